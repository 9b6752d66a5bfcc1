package dev.quark.samples.cluster;

import java.util.ArrayList;
import java.util.List;

import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.StoredEvent;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /bank/ledgers?accounts=alice,bob}: the events of some accounts' ledgers as the event store holds them
 * (the stream {@code Ledger/<account id>} of each), read straight from the store rather than through the ledger
 * actors: what was recorded, each entry as often as it was appended. An audit read, for instance to check that every
 * transfer is in the ledger of the account it left and in the one it reached, once each. It activates nothing. Not
 * in a cluster client, which keeps no events.
 */
@RestController
@ConditionalOnProperty(name = "quark.cluster.mode", havingValue = "silo", matchIfMissing = true)
class LedgerEventsController {

    /** How many events one read of a stream returns at most; a ledger is read in pages of this size. */
    private static final int PAGE = 500;

    private final EventStore events;

    private final JsonMapper json;

    LedgerEventsController(EventStore events, JsonMapper json) {
        this.events = events;
        this.json = json;
    }

    @GetMapping("/bank/ledgers")
    List<StoredLedger> ledgers(@RequestParam List<String> accounts) {
        return accounts.stream().map(this::ledger).toList();
    }

    private StoredLedger ledger(String account) {
        String stream = "Ledger/" + account;
        List<StoredLedgerEvent> read = new ArrayList<>();
        long from = 1;
        while (true) {
            List<StoredEvent> page = this.events.read(stream, from, PAGE);
            for (StoredEvent event : page) {
                read.add(new StoredLedgerEvent(event.version(), event.type(), this.json.readTree(event.payload())));
            }
            if (page.size() < PAGE) {
                return new StoredLedger(account, this.events.version(stream), read);
            }
            from = page.getLast().version() + 1;
        }
    }

    /**
     * One account's ledger as stored.
     * @param account the account id
     * @param version the stream's version
     * @param events its events, in version order
     */
    record StoredLedger(String account, long version, List<StoredLedgerEvent> events) {
    }

    /**
     * One stored ledger event.
     * @param version its version in the stream
     * @param type its type name
     * @param event the event as stored: {@code entry}, {@code amount}, and for a transfer {@code transferId} with
     * {@code to} (sent) or {@code from} (received)
     */
    record StoredLedgerEvent(long version, String type, JsonNode event) {
    }
}
