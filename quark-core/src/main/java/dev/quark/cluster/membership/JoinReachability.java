package dev.quark.cluster.membership;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import dev.quark.runtime.RuntimeScheduler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before a joining silo writes itself active, that the silos that are active do not refuse it: a silo
 * whose peers cannot talk to it (their TLS refuses its certificate, another cluster name or protocol version)
 * would otherwise own ring ranges that every call to fails, be voted dead by its peers, and rejoin in a loop.
 * <p>
 * <b>Whom</b>: every other silo the table shows {@link SiloStatus#ACTIVE} with a fresh heartbeat (its last
 * heartbeat plus the silo TTL not yet past). An active entry whose heartbeat expired is a silo that crashed:
 * stores keep such rows until an active silo evicts them, and after a full crash there is none, so they never
 * count. Freshness is judged again on every read of the table, so an entry that expires during the check stops
 * counting, as does one that left the active set; a silo that became active meanwhile is added. A probe is
 * answered over the peer's own link back, so an answer shows that both directions work.
 * <p>
 * <b>Transport security</b>: before the probes of each round, when a majority of the fresh active entries are
 * alive (renewed since the check began, or at that instant) and publish another {@link TransportSecurity} than
 * this silo's (TLS against plaintext), the join fails at once with a {@link TransportSecurityMismatchException}
 * naming them: neither side can reach the other, and a plaintext silo would only meet silence from TLS ones.
 * Entries fresh but not renewed since the check began do not count (after a fast full restart that switches TLS
 * on, the old rows are still fresh though no silo renews them): they are silent peers that expire. A minority of
 * alive entries with the other setting is logged at WARN, once per check, and left to the probes. Entries that do
 * not say ({@link TransportSecurity#UNKNOWN}) never count.
 * <p>
 * <b>When it fails</b>: on a transport security mismatch (above), and otherwise only on refusals
 * ({@link SiloProber#isRefusal}), which do not heal by themselves. Peers
 * are probed every probe interval until each answered. When the peers whose probe was refused are a majority of
 * the fresh active entries (every one of them, for one or two peers) in two rounds in a row, the join fails without
 * waiting for the reachability timeout, naming every peer not reached: no majority can answer it any more. One
 * round is not enough, since a certificate reloaded on most members at once may refuse for a moment. Only the
 * refusals of the round being judged count: a peer whose probe of this round has not finished when the round
 * ends (its timer fired first) is not counted as refusing on the strength of an earlier round. A minority that
 * refuses is probed again until the {@link MembershipSettings#reachabilityTimeout() reachability timeout}, because
 * a peer that reloads its
 * certificate may refuse it for a moment; then, when a majority answered, the silo joins with a warning naming
 * the refusing peers (one misconfigured active silo does not keep every silo out of the cluster until it is voted
 * dead; calls between the two fail until their configuration is fixed), and otherwise the refusal fails the join.
 * A refusal first seen later, while it waits for silent peers to expire, fails the join at once. A deadline is
 * judged after the probes of the round that started at it, so a peer first seen then is probed.
 * <p>
 * <b>Silent peers</b> (no answer, no refusal: a crashed silo whose entry has not expired yet, a slow or
 * partitioned one) do not block for good. At the reachability timeout, when a majority of the fresh active
 * entries answered, the silo joins with a warning naming the silent ones: the failure detector deals with them
 * as with any silo that stops answering. Otherwise (after a fast full restart none of the rows answers) it waits
 * for the silent entries to expire, which every entry fresh at the start of the check does within the silo TTL
 * unless its silo renews it, and joins once the peers left answered or are a majority. It gives up, naming the
 * silent peers, one probe interval after the silo TTL: their entries are renewed by silos that do not answer.
 * Meanwhile it renews its own joining entry every heartbeat interval, so that peers do not evict it as expired.
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
     * Probes the fresh active silos until each answered, expired or left the active set, or the join is decided
     * otherwise (see the class description).
     * @param table the table as the joining entry was written on it
     * @param renewJoining renews the joining entry; run every heartbeat interval while the check lasts
     * @return completes once the silo may become active; fails with an {@link UnreachablePeersException} when a
     * peer refused it, or silent peers neither answered nor expired, and with its subclass
     * {@link TransportSecurityMismatchException} when a majority of alive peers publish another transport security
     */
    CompletableFuture<Void> check(MembershipSnapshot table, Runnable renewJoining) {
        Instant start = this.clock.instant();
        Attempt attempt = new Attempt(start, renewJoining);
        attempt.round(table);
        return attempt.result;
    }

    /**
     * The latest time a joining silo started at {@code start} waits for silent peers: the reachability timeout,
     * or one probe interval after every entry fresh at the start expired, whichever is later.
     */
    Instant waitsAtMostUntil(Instant start) {
        Instant reach = start.plus(this.settings.reachabilityTimeout());
        Instant expiry = start.plus(this.settings.siloTtl()).plus(this.settings.probeInterval());
        return expiry.isAfter(reach) ? expiry : reach;
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

        private final Instant start;

        private final Instant reachDeadline;

        private final Instant expiryDeadline;

        private final Runnable renewJoining;

        private volatile Instant lastRenewal;

        /** The peers that answered, by id and epoch. */
        private final Set<String> answered = ConcurrentHashMap.newKeySet();

        /** The last failure of each peer that has not answered yet, by id and epoch. */
        private final Map<String, Throwable> failures = new ConcurrentHashMap<>();

        /**
         * The round in which each peer's failure in {@link #failures} was recorded, by id and epoch: only this
         * round's failures count as refusals, so a failure of an earlier round whose peer has not answered this
         * round's probe yet (the round's timer fired first) is not counted again.
         */
        private final Map<String, Long> failedInRound = new ConcurrentHashMap<>();

        /** The number of the current round, from 1. */
        private volatile long roundNumber;

        /** How many rounds in a row ended with a majority of the fresh active entries refusing the silo. */
        private volatile int majorityRefusals;

        /** Whether the WARN on a minority of alive silos with another transport security was logged in this check. */
        private volatile boolean minorityWarned;

        /** The fresh active peers of the last read of the table, by id and epoch. */
        private volatile Map<String, SiloEntry> fresh = Map.of();

        Attempt(Instant start, Runnable renewJoining) {
            this.start = start;
            this.reachDeadline = start.plus(JoinReachability.this.settings.reachabilityTimeout());
            this.expiryDeadline = waitsAtMostUntil(start);
            this.renewJoining = renewJoining;
            this.lastRenewal = start;
        }

        void round(MembershipSnapshot table) {
            if (this.result.isDone()) {
                return;
            }
            Instant now = JoinReachability.this.clock.instant();
            renewIfDue(now);
            Duration ttl = JoinReachability.this.settings.siloTtl();
            Map<String, SiloEntry> freshNow = new TreeMap<>();
            for (SiloEntry entry : table.silos().values()) {
                if (entry.status() == SiloStatus.ACTIVE && !entry.siloId().equals(JoinReachability.this.settings.siloId())
                        && !entry.lastHeartbeat().plus(ttl).isBefore(now)) {
                    freshNow.put(key(entry), entry);
                }
            }
            this.fresh = freshNow;
            if (securityMismatchedByAMajority(freshNow)) {
                return;
            }
            this.failures.keySet().retainAll(freshNow.keySet());
            this.failedInRound.keySet().retainAll(freshNow.keySet());
            long round = ++this.roundNumber;
            Map<String, SiloEntry> targets = new TreeMap<>(freshNow);
            targets.keySet().removeAll(this.answered);
            if (targets.isEmpty()) {
                this.result.complete(null);
                return;
            }
            Duration timeout = JoinReachability.this.settings.probeTimeout();
            List<CompletableFuture<Void>> probes = new ArrayList<>();
            for (Map.Entry<String, SiloEntry> target : targets.entrySet()) {
                probes.add(probe(target.getValue(), timeout).handle((ok, failure) -> {
                    if (failure == null) {
                        this.answered.add(target.getKey());
                        this.failures.remove(target.getKey());
                    }
                    else {
                        recordFailure(target.getKey(), round, unwrap(failure));
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
                afterRound(now, round, freshNow, targets, nextAt);
            });
        }

        /**
         * Fails the join, before this round's probes, when a majority of the fresh active silos are alive and
         * publish another transport security than this silo's (TLS against plaintext): neither side can reach the
         * other, and a plaintext silo probing TLS ones would only meet silence until their entries expired. Judged
         * on every round, since each reads the table again.
         * <p>
         * Only <b>alive</b> entries count as mismatched: those whose last heartbeat is not before the start of the
         * check, renewed since the join began (or at that very instant). An entry fresh but not renewed since may be
         * the row of a silo that is gone: after a fast full restart that switches TLS on, the old plaintext rows are
         * still fresh though no silo renews them, and counting them would fail every restarted silo. Such a row is a
         * silent peer like any other, and expires; a live silo renews its entry within a heartbeat interval, and the
         * next round counts it. The majority is judged against every fresh active entry, alive or not.
         * <p>
         * A minority that differs is left to the probes, and logged once per join: the silo joins or fails as their
         * answers decide. Entries that do not say ({@link TransportSecurity#UNKNOWN}) never differ.
         * @return whether the join is decided
         */
        private boolean securityMismatchedByAMajority(Map<String, SiloEntry> freshNow) {
            MembershipSettings s = JoinReachability.this.settings;
            Map<String, SiloEntry> mismatched = new TreeMap<>();
            freshNow.forEach((key, entry) -> {
                if (!entry.lastHeartbeat().isBefore(this.start)
                        && s.transportSecurity().mismatches(entry.transportSecurity())) {
                    mismatched.put(key, entry);
                }
            });
            if (mismatched.isEmpty()) {
                return false;
            }
            List<String> named = mismatched.values()
                .stream()
                .map((entry) -> entry.siloId() + "@" + entry.address() + " (" + entry.transportSecurity() + ")")
                .toList();
            String own = (s.transportSecurity() == TransportSecurity.TLS)
                    ? "uses TLS (quark.cluster.transport.ssl.bundle)"
                    : "uses plaintext (no quark.cluster.transport.ssl.bundle)";
            if (mismatched.size() * 2 <= freshNow.size()) {
                if (!this.minorityWarned) {
                    this.minorityWarned = true;
                    logger.warn("Silo {} {} on its links to other silos, but {} of the {} active silos of cluster '{}' "
                            + "do not, as their membership entries say: it cannot reach them, nor they it, until every "
                            + "silo has the same setting: {}", s.siloId(), own, mismatched.size(), freshNow.size(),
                            s.clusterName(), named);
                }
                return false;
            }
            this.result.completeExceptionally(new TransportSecurityMismatchException("Silo " + s.siloId() + " " + own
                    + " on its links to other silos, but " + mismatched.size() + " of the " + freshNow.size()
                    + " active silos of cluster '" + s.clusterName() + "', a majority, do not, as their membership "
                    + "entries say: " + named + "; neither side can reach the other, so it did not become active "
                    + "(give every silo the same quark.cluster.transport.ssl.bundle, or none)"));
            return true;
        }

        /** Keeps a peer's failure unless a later round's failure of it is already kept (a late handler). */
        private synchronized void recordFailure(String peer, long round, Throwable failure) {
            Long kept = this.failedInRound.get(peer);
            if (kept != null && kept > round) {
                return;
            }
            this.failures.put(peer, failure);
            this.failedInRound.put(peer, round);
        }

        private void renewIfDue(Instant now) {
            if (Duration.between(this.lastRenewal, now).compareTo(JoinReachability.this.settings.heartbeatInterval()) < 0) {
                return;
            }
            this.lastRenewal = now;
            this.renewJoining.run();
        }

        /**
         * Fails the join, whatever the time, when the peers whose probe was refused in this round are a majority
         * of the fresh active entries, and were in the round before too: no majority can answer it then, so
         * waiting for the reachability timeout would only delay the same failure. Two rounds in a row, not one, so
         * that a refusal of a moment (a certificate reloaded on most members at once) does not fail the join.
         * @return whether the join is decided
         */
        private boolean refusedByAMajority(Instant now, long round, Map<String, SiloEntry> freshNow,
                Map<String, SiloEntry> unanswered) {
            Map<String, SiloEntry> refusing = refusing(unanswered, round);
            if (refusing.size() * 2 <= freshNow.size()) {
                this.majorityRefusals = 0;
                return false;
            }
            this.majorityRefusals++;
            if (this.majorityRefusals < 2) {
                return false;
            }
            MembershipSettings s = JoinReachability.this.settings;
            String within = "(refused by " + refusing.size() + " of the " + freshNow.size() + ", a majority, within "
                    + Duration.between(this.start, now).truncatedTo(ChronoUnit.MILLIS) + ", in 2 probe rounds in a row";
            fail(unanswered, now.isBefore(this.reachDeadline)
                    ? within + ": the join fails without waiting for quark.cluster.reachability-timeout, "
                            + s.reachabilityTimeout() + ")"
                    : within + ")");
            return true;
        }

        /**
         * Decides the join after a round started once the reachability timeout was past: joins when a majority
         * answered (with a warning naming the peers that refused it or stayed silent), fails on a refusal, fails
         * when the silent peers outlived the wait for their expiry.
         * @return whether the join is decided
         */
        private boolean decided(Instant now, long round, Map<String, SiloEntry> freshNow,
                Map<String, SiloEntry> unanswered) {
            if (now.isBefore(this.reachDeadline)) {
                return false;
            }
            Map<String, SiloEntry> refusing = refusing(unanswered, round);
            MembershipSettings s = JoinReachability.this.settings;
            int answeredCount = freshNow.size() - unanswered.size();
            if (answeredCount * 2 > freshNow.size()) {
                if (refusing.isEmpty()) {
                    logger.warn("Silo {} joins cluster '{}' although {} of the {} active silos did not answer within {} "
                            + "(quark.cluster.reachability-timeout), as a majority did: {}", s.siloId(), s.clusterName(),
                            unanswered.size(), freshNow.size(), s.reachabilityTimeout(), reasons(unanswered));
                }
                else {
                    logger.warn("Silo {} joins cluster '{}' although {} of the {} active silos refused it and {} did not "
                            + "answer within {} (quark.cluster.reachability-timeout), as a majority answered; calls "
                            + "between it and a refusing silo fail until their configuration is fixed: {}", s.siloId(),
                            s.clusterName(), refusing.size(), freshNow.size(), unanswered.size() - refusing.size(),
                            s.reachabilityTimeout(), reasons(unanswered));
                }
                this.result.complete(null);
                return true;
            }
            if (!refusing.isEmpty()) {
                Duration elapsed = Duration.between(this.start, now).truncatedTo(ChronoUnit.MILLIS);
                fail(unanswered, (elapsed.compareTo(s.reachabilityTimeout().plus(s.probeInterval())) < 0)
                        ? "within " + s.reachabilityTimeout() + " (quark.cluster.reachability-timeout)"
                        : "within " + elapsed + " (a peer refused it after quark.cluster.reachability-timeout, "
                                + s.reachabilityTimeout() + ", while it waited for the entries of silent peers to expire)");
                return true;
            }
            if (!now.isBefore(this.expiryDeadline)) {
                fail(unanswered, "within " + Duration.between(this.start, now).truncatedTo(ChronoUnit.MILLIS) + ", and their entries did not "
                        + "expire (their silos renew them but do not answer)");
                return true;
            }
            return false;
        }

        /**
         * The peers among {@code unanswered} whose probe of the given round was refused
         * ({@link SiloProber#isRefusal}); a refusal of an earlier round does not count.
         */
        private Map<String, SiloEntry> refusing(Map<String, SiloEntry> unanswered, long round) {
            Map<String, SiloEntry> refusing = new TreeMap<>();
            for (Map.Entry<String, SiloEntry> peer : unanswered.entrySet()) {
                Throwable failure = this.failures.get(peer.getKey());
                Long failedIn = this.failedInRound.get(peer.getKey());
                if (failure != null && failedIn != null && failedIn == round
                        && JoinReachability.this.prober.isRefusal(failure)) {
                    refusing.put(peer.getKey(), peer.getValue());
                }
            }
            return refusing;
        }

        private CompletableFuture<Void> probe(SiloEntry target, Duration timeout) {
            try {
                return JoinReachability.this.prober.probe(target, timeout).toCompletableFuture();
            }
            catch (RuntimeException ex) {
                return CompletableFuture.failedFuture(ex);
            }
        }

        /**
         * Completes the join when every peer of the round answered, decides it once a deadline is past, and
         * otherwise schedules the next round. A deadline is judged at the round's start, after its probes, so
         * that a peer first seen in the round at a deadline is probed before it can fail the join.
         */
        private void afterRound(Instant roundStart, long round, Map<String, SiloEntry> freshNow,
                Map<String, SiloEntry> targets, Instant nextAt) {
            Map<String, SiloEntry> unanswered = new TreeMap<>(targets);
            unanswered.keySet().removeAll(this.answered);
            if (unanswered.isEmpty()) {
                this.result.complete(null);
                return;
            }
            if (this.result.isDone()
                    || refusedByAMajority(JoinReachability.this.clock.instant(), round, freshNow, unanswered)
                    || decided(roundStart, round, freshNow, unanswered)) {
                return;
            }
            Instant now = JoinReachability.this.clock.instant();
            Instant at = nextAt;
            if (now.isBefore(this.reachDeadline) && at.isAfter(this.reachDeadline)) {
                at = this.reachDeadline;
            }
            else if (at.isAfter(this.expiryDeadline) && now.isBefore(this.expiryDeadline)) {
                at = this.expiryDeadline;
            }
            JoinReachability.this.scheduler.schedule(at.isAfter(now) ? at : now, () -> {
                JoinReachability.this.readTable.get().whenComplete((table, failure) -> {
                    if (failure != null) {
                        // The table cannot be read now: judge the peers of the last read again.
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
            round(MembershipSnapshot.of(0, this.fresh.values()));
        }

        private List<String> reasons(Map<String, SiloEntry> unreached) {
            List<String> reasons = new ArrayList<>();
            for (Map.Entry<String, SiloEntry> peer : unreached.entrySet()) {
                Throwable failure = this.failures.get(peer.getKey());
                String why = (failure != null) ? String.valueOf(failure.getMessage()) : "no answer yet";
                reasons.add(peer.getValue().siloId() + "@" + peer.getValue().address() + ": " + why);
            }
            return reasons;
        }

        private void fail(Map<String, SiloEntry> unreached, String when) {
            @Nullable Throwable first = null;
            List<Throwable> others = new ArrayList<>();
            for (String key : unreached.keySet()) {
                Throwable failure = this.failures.get(key);
                if (failure == null) {
                    continue;
                }
                boolean refusal = JoinReachability.this.prober.isRefusal(failure);
                if (first == null || (refusal && !JoinReachability.this.prober.isRefusal(first))) {
                    if (first != null) {
                        others.add(first);
                    }
                    first = failure;
                }
                else {
                    others.add(failure);
                }
            }
            MembershipSettings s = JoinReachability.this.settings;
            UnreachablePeersException failure = new UnreachablePeersException("Silo " + s.siloId() + " cannot reach "
                    + unreached.size() + " of the active silos of cluster '" + s.clusterName() + "' " + when + " "
                    + reasons(unreached) + "; it did not become active", first);
            others.forEach(failure::addSuppressed);
            this.result.completeExceptionally(failure);
        }
    }
}
