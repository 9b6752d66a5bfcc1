package dev.quark.samples.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The accounts' ledgers as the event store holds them ({@code GET /bank/ledgers}), checked against each other: which
 * entry numbers an account's ledger misses or holds twice, what it adds up to, and every transfer as the ledger of the
 * account it left and the ledger of the account it reached recorded it.
 */
final class LedgerAudit {

    private final Map<String, Long> balances = new TreeMap<>();

    private final Map<String, Long> versions = new TreeMap<>();

    private final Map<String, Long> lastEntries = new TreeMap<>();

    private final Map<String, String> entryProblems = new TreeMap<>();

    private final Map<String, List<Recorded>> sent = new TreeMap<>();

    private final Map<String, List<Recorded>> received = new TreeMap<>();

    /**
     * Reads the ledgers.
     * @param ledgers the answer of {@code GET /bank/ledgers}
     */
    LedgerAudit(JsonNode ledgers) {
        for (JsonNode ledger : ledgers) {
            String account = ledger.path("account").asString();
            List<Long> entries = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            long balance = 0;
            for (JsonNode stored : ledger.path("events")) {
                JsonNode event = stored.path("event");
                long entry = event.path("entry").asLong();
                if (entry <= 0) {
                    problems.add("an event without an entry number: " + stored);
                }
                entries.add(entry);
                long amount = event.path("amount").asLong();
                String transferId = event.path("transferId").asString();
                switch (stored.path("type").asString()) {
                    case "Deposited" -> balance += amount;
                    case "TransferReceived" -> {
                        balance += amount;
                        recorded(this.received, transferId, account, event.path("from").asString(), amount);
                    }
                    case "TransferSent" -> {
                        balance -= amount;
                        recorded(this.sent, transferId, account, event.path("to").asString(), amount);
                    }
                    case "Withdrawn", "FeeCharged" -> balance -= amount;
                    default -> throw new IllegalStateException(
                            "Unknown ledger event type " + stored.path("type") + " in " + account + "'s ledger");
                }
            }
            this.balances.put(account, balance);
            this.lastEntries.put(account, entries.stream().mapToLong(Long::longValue).max().orElse(0));
            this.versions.put(account, ledger.path("version").asLong());
            String problem = entryProblem(entries, ledger.path("version").asLong());
            if (problem != null) {
                problems.add(problem);
            }
            if (!problems.isEmpty()) {
                this.entryProblems.put(account, String.join("; ", problems));
            }
        }
    }

    private static void recorded(Map<String, List<Recorded>> transfers, String transferId, String account,
            String counterparty, long amount) {
        transfers.computeIfAbsent(transferId, (id) -> new ArrayList<>())
            .add(new Recorded(account, counterparty, amount));
    }

    private static @Nullable String entryProblem(List<Long> entries, long version) {
        TreeSet<Long> seen = new TreeSet<>();
        Set<Long> repeated = new TreeSet<>();
        entries.forEach((entry) -> {
            if (!seen.add(entry)) {
                repeated.add(entry);
            }
        });
        long last = seen.isEmpty() ? 0 : seen.last();
        Set<Long> missing = new TreeSet<>();
        for (long entry = 1; entry <= last; entry++) {
            if (!seen.contains(entry)) {
                missing.add(entry);
            }
        }
        if (missing.isEmpty() && repeated.isEmpty() && version == entries.size()) {
            return null;
        }
        return "entries missing " + missing + ", repeated " + repeated + ", " + entries.size() + " events, version "
                + version;
    }

    /** What each account's ledger adds up to. */
    Map<String, Long> balances() {
        return this.balances;
    }

    /** Each account's highest entry number (0 for an empty ledger). */
    Map<String, Long> lastEntries() {
        return this.lastEntries;
    }

    /** Each account's ledger version. */
    Map<String, Long> versions() {
        return this.versions;
    }

    /**
     * The accounts whose ledgers miss an entry number, hold one twice, hold an event without one (missing or zero), or
     * whose version is not their event count.
     */
    Map<String, String> entryProblems() {
        return this.entryProblems;
    }

    /**
     * Returns the transfers not recorded exactly once as sent and once as received, with the same accounts and amount.
     * @return transfer id to what the ledgers hold of it
     */
    Map<String, String> transferProblems() {
        Map<String, String> problems = new TreeMap<>();
        Set<String> ids = new TreeSet<>(this.sent.keySet());
        ids.addAll(this.received.keySet());
        for (String id : ids) {
            List<Recorded> out = this.sent.getOrDefault(id, List.of());
            List<Recorded> in = this.received.getOrDefault(id, List.of());
            boolean once = out.size() == 1 && in.size() == 1;
            if (!once || !out.get(0).account().equals(in.get(0).counterparty())
                    || !out.get(0).counterparty().equals(in.get(0).account())
                    || out.get(0).amount() != in.get(0).amount()) {
                problems.put(id, "sent " + out + ", received " + in);
            }
        }
        return problems;
    }

    /**
     * Returns the transfers recorded as sent, by id.
     * @return transfer id to the ledger entries of its source
     */
    Map<String, List<Recorded>> sent() {
        return this.sent;
    }

    /**
     * One transfer entry in one ledger.
     * @param account the ledger's account
     * @param counterparty the other account (credited for a transfer sent, debited for one received)
     * @param amount the amount
     */
    record Recorded(String account, String counterparty, long amount) {
    }
}
