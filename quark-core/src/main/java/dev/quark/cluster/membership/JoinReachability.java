package dev.quark.cluster.membership;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import dev.quark.runtime.RuntimeScheduler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before a joining silo writes itself active, that it reaches the silos that are: a silo whose peers
 * cannot talk to it (their TLS refuses its certificate, it speaks plaintext to a TLS cluster, another cluster
 * name or protocol version, a firewall) would otherwise own ring ranges that every call to fails, be voted dead
 * by its peers, and rejoin in a loop.
 * <p>
 * <b>Whom</b>: every other silo the table shows {@link SiloStatus#ACTIVE} — not a sample or a majority. Each of
 * them routes calls to the joining silo once it is active, so each must be reachable, and a misconfigured silo
 * fails against all of them anyway; probes are cheap and sent in parallel. A probe is answered over the peer's
 * own link back, so an answer shows that both directions work. The first silo of an empty cluster has no one to
 * reach and joins at once.
 * <p>
 * <b>Transient failures</b>: a peer that does not answer is probed again every probe interval until the
 * {@link MembershipSettings#reachabilityTimeout() reachability timeout}; before each retry the table is read
 * again, and a peer that is no longer active with the same epoch (declared dead, shutting down, gone) no longer
 * counts, while a silo that became active meanwhile is added. A peer that answered once stays reached. Every
 * failure is retried, TLS refusals too: a peer dying in the middle of a TLS handshake fails it like a
 * refusal does, and a certificate may be reloaded meanwhile.
 */
final class JoinReachability {

    private static final Logger logger = LoggerFactory.getLogger(JoinReachability.class);

    private final MembershipSettings settings;

    private final SiloProber prober;

    private final RuntimeScheduler scheduler;

    private final Clock clock;

    private final Supplier<CompletableFuture<MembershipSnapshot>> readTable;

    /**
     * @param readTable reads the table on the agent's executor
     */
    JoinReachability(MembershipSettings settings, SiloProber prober, RuntimeScheduler scheduler, Clock clock,
            Supplier<CompletableFuture<MembershipSnapshot>> readTable) {
        this.settings = settings;
        this.prober = prober;
        this.scheduler = scheduler;
        this.clock = clock;
        this.readTable = readTable;
    }

    /**
     * Probes the active silos until each answered or left the active set.
     * @param table the table as the joining entry was written on it
     * @return completes once every active silo answered; fails with an {@link UnreachablePeersException} at the
     * reachability timeout
     */
    CompletableFuture<Void> check(MembershipSnapshot table) {
        Attempt attempt = new Attempt(this.clock.instant().plus(this.settings.reachabilityTimeout()));
        attempt.round(table);
        return attempt.result;
    }

    private static String key(SiloEntry entry) {
        return entry.siloId() + "@" + entry.epoch();
    }

    private static Throwable unwrap(Throwable failure) {
        return (failure instanceof CompletionException && failure.getCause() != null) ? failure.getCause() : failure;
    }

    /**
     * One check: what answered, what failed last, until when.
     */
    private final class Attempt {

        final CompletableFuture<Void> result = new CompletableFuture<>();

        private final Instant deadline;

        /** The peers that answered, by id and epoch. */
        private final Map<String, Boolean> answered = new ConcurrentHashMap<>();

        /** The last failure of each peer that has not answered yet, by id and epoch. */
        private final Map<String, Throwable> failures = new ConcurrentHashMap<>();

        /** The peers still to reach, as the last read of the table has them, by id and epoch. */
        private volatile Map<String, SiloEntry> pending = Map.of();

        Attempt(Instant deadline) {
            this.deadline = deadline;
        }

        void round(MembershipSnapshot table) {
            if (this.result.isDone()) {
                return;
            }
            Map<String, SiloEntry> targets = new TreeMap<>();
            for (SiloEntry entry : table.silos().values()) {
                if (entry.status() == SiloStatus.ACTIVE && !entry.siloId().equals(JoinReachability.this.settings.siloId())
                        && !this.answered.containsKey(key(entry))) {
                    targets.put(key(entry), entry);
                }
            }
            this.failures.keySet().retainAll(targets.keySet());
            this.pending = targets;
            if (targets.isEmpty()) {
                this.result.complete(null);
                return;
            }
            Instant now = JoinReachability.this.clock.instant();
            if (!now.isBefore(this.deadline)) {
                fail();
                return;
            }
            Duration timeout = JoinReachability.this.settings.probeTimeout();
            List<CompletableFuture<Void>> probes = new ArrayList<>();
            for (Map.Entry<String, SiloEntry> target : targets.entrySet()) {
                probes.add(probe(target.getValue(), timeout).handle((ok, failure) -> {
                    if (failure == null) {
                        this.answered.put(target.getKey(), Boolean.TRUE);
                        this.failures.remove(target.getKey());
                    }
                    else {
                        this.failures.put(target.getKey(), unwrap(failure));
                    }
                    return null;
                }));
            }
            CompletableFuture<Void> roundDone = new CompletableFuture<>();
            CompletableFuture.allOf(probes.toArray(CompletableFuture[]::new))
                .whenComplete((ok, failure) -> roundDone.complete(null));
            RuntimeScheduler.Cancellable timer = JoinReachability.this.scheduler.schedule(now.plus(timeout), () -> {
                roundDone.complete(null);
                return CompletableFuture.completedFuture(null);
            });
            Instant nextAt = now.plus(JoinReachability.this.settings.probeInterval());
            roundDone.whenComplete((ok, failure) -> {
                timer.cancel();
                afterRound(targets, nextAt);
            });
        }

        private CompletableFuture<Void> probe(SiloEntry target, Duration timeout) {
            try {
                return JoinReachability.this.prober.probe(target, timeout).toCompletableFuture();
            }
            catch (RuntimeException ex) {
                return CompletableFuture.failedFuture(ex);
            }
        }

        private void afterRound(Map<String, SiloEntry> targets, Instant nextAt) {
            if (this.answered.keySet().containsAll(targets.keySet())) {
                this.result.complete(null);
                return;
            }
            Instant now = JoinReachability.this.clock.instant();
            if (!now.isBefore(this.deadline)) {
                fail();
                return;
            }
            Instant at = nextAt.isAfter(this.deadline) ? this.deadline : nextAt;
            JoinReachability.this.scheduler.schedule(at.isAfter(now) ? at : now, () -> {
                JoinReachability.this.readTable.get().whenComplete((table, failure) -> {
                    if (failure != null) {
                        // The table cannot be read now: probe the peers of the last read again.
                        retryWithout(failure);
                    }
                    else {
                        round(table);
                    }
                });
                return CompletableFuture.completedFuture(null);
            });
        }

        private void retryWithout(Throwable tableFailure) {
            logger.debug("Silo {} could not read the membership table while it joined; it probes the peers of "
                    + "its last read again", JoinReachability.this.settings.siloId(), tableFailure);
            Map<String, SiloEntry> last = this.pending;
            round(MembershipSnapshot.of(0, last.values()));
        }

        private void fail() {
            Map<String, SiloEntry> unreached = new TreeMap<>(this.pending);
            unreached.keySet().removeAll(this.answered.keySet());
            if (unreached.isEmpty()) {
                this.result.complete(null);
                return;
            }
            List<String> reasons = new ArrayList<>();
            @Nullable Throwable first = null;
            List<Throwable> others = new ArrayList<>();
            for (Map.Entry<String, SiloEntry> peer : unreached.entrySet()) {
                Throwable failure = this.failures.get(peer.getKey());
                String why = (failure != null) ? String.valueOf(failure.getMessage()) : "no answer yet";
                reasons.add(peer.getValue().siloId() + "@" + peer.getValue().address() + ": " + why);
                if (failure != null) {
                    if (first == null) {
                        first = failure;
                    }
                    else {
                        others.add(failure);
                    }
                }
            }
            MembershipSettings s = JoinReachability.this.settings;
            UnreachablePeersException failure = new UnreachablePeersException("Silo " + s.siloId() + " cannot reach "
                    + unreached.size() + " of the active silos of cluster '" + s.clusterName() + "' within "
                    + s.reachabilityTimeout() + " (quark.cluster.reachability-timeout) " + reasons
                    + "; it did not become active", first);
            others.forEach(failure::addSuppressed);
            this.result.completeExceptionally(failure);
        }
    }
}
