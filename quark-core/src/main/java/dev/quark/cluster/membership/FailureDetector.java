package dev.quark.cluster.membership;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

import dev.quark.runtime.RuntimeScheduler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One silo's failure detector, in the manner of Orleans: every probe interval it probes a few peers
 * ({@link ProbeTargets}); a peer that misses {@code missedProbes} probes in a row is probed through another
 * silo, and if that fails too this silo votes that it is dead by adding a {@link Suspicion} to its entry. The
 * vote that brings the fresh votes of active silos to the number needed writes the entry as
 * {@link SiloStatus#DEAD} instead. Any silo also declares dead a silo whose last heartbeat is older than the
 * TTL, and the first active silo removes the entries of long-dead silos.
 * <p>
 * Every write is a conditional write through the {@link TableUpdater}, decided on a fresh read, and only
 * while this silo is itself active in that read: a silo that was declared dead casts no votes. Runs on the
 * agent's serial executor; probe answers come back on any thread and are handled there too.
 */
final class FailureDetector {

    private static final Logger logger = LoggerFactory.getLogger(FailureDetector.class);

    private final MembershipSettings settings;

    private final SiloProber prober;

    private final TableUpdater table;

    private final SerialExecutor serial;

    private final RuntimeScheduler scheduler;

    private final Clock clock;

    private final MembershipMetrics metrics;

    private final Runnable tableChanged;

    /** Whether the last write failed, so that an outage is logged once; serial executor only. */
    private boolean writesFailing;

    /** What this silo knows about each peer it probes; touched only on the serial executor. */
    private final Map<String, Peer> peers = new HashMap<>();

    /**
     * Creates a detector.
     * @param scheduler bounds probes whose stage the prober never completes
     * @param tableChanged told after this detector wrote to the table, and when a write found this silo no
     * longer active in it: the agent reads the table again
     */
    FailureDetector(MembershipSettings settings, SiloProber prober, TableUpdater table, SerialExecutor serial,
            RuntimeScheduler scheduler, Clock clock, MembershipMetrics metrics, Runnable tableChanged) {
        this.settings = settings;
        this.prober = prober;
        this.table = table;
        this.serial = serial;
        this.scheduler = scheduler;
        this.clock = clock;
        this.metrics = metrics;
        this.tableChanged = tableChanged;
    }

    /**
     * Runs one round: declares silos with expired heartbeats dead, then probes this silo's peers. Called on
     * the serial executor while this silo is active. A probe is sent every round even while the previous one
     * to the same peer is still out (a probe timeout as long as the interval would otherwise skip every other
     * round); answers are counted in the order they arrive, and a late answer resets the misses, since the
     * peer was alive when it answered.
     * <p>
     * Returns once the probes are sent, without waiting for their answers: a prober may answer on any
     * thread, also from a task of the very scheduler that runs this round (a timeout in virtual time).
     * Answers that are already there when a probe returns are handled as soon as the round's job ends, by
     * the same serial executor — with a direct executor, before the scheduler task that ran the round ends.
     * @param snapshot the table as this silo last read it
     * @param selfEpoch this silo's incarnation
     */
    void round(MembershipSnapshot snapshot, long selfEpoch) {
        evictExpired(snapshot, selfEpoch);
        List<SiloEntry> targets = ProbeTargets.of(snapshot, this.settings.siloId(), this.settings.probedPeers());
        Set<String> targetIds = new HashSet<>();
        for (SiloEntry target : targets) {
            targetIds.add(target.siloId());
            Peer peer = this.peers.get(target.siloId());
            if (peer == null || peer.epoch != target.epoch()) {
                peer = new Peer(target.epoch());
                this.peers.put(target.siloId(), peer);
            }
            var unused = probe(snapshot, target, peer, selfEpoch)
                .whenComplete((ignored, failure) -> {
                    if (failure == null) {
                        return;
                    }
                    if (isRejected(failure)) {
                        logger.debug("Dropped the answer to a probe of silo {}: the agent has stopped",
                                target.siloId());
                    }
                    else {
                        logger.error("Handling a probe of silo {} failed", target.siloId(), failure);
                    }
                });
        }
        this.peers.keySet().retainAll(targetIds);
    }

    /**
     * Returns whether a probe's answer could not be handled because the agent's executor refused it: the agent
     * was closed while the probe was out.
     */
    private static boolean isRejected(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause instanceof RejectedExecutionException;
    }

    /**
     * Forgets every peer's misses, for a silo that rejoins with a new epoch.
     */
    void reset() {
        this.peers.clear();
    }

    /**
     * Removes the entries of silos dead for longer than the retention, counted from their last heartbeat.
     * Only the first active silo in silo-id order does it, so that silos do not race to remove the same rows.
     * @param snapshot the table as this silo last read it
     */
    void removeLongDead(MembershipSnapshot snapshot) {
        String first = snapshot.withStatus(SiloStatus.ACTIVE).keySet().stream().findFirst().orElse(null);
        if (!this.settings.siloId().equals(first)) {
            return;
        }
        Instant now = this.clock.instant();
        for (SiloEntry entry : snapshot.withStatus(SiloStatus.DEAD).values()) {
            if (!longDead(entry, now)) {
                continue;
            }
            try {
                if (this.table.removeIf(entry.siloId(), (current) -> current.status() == SiloStatus.DEAD
                        && current.epoch() == entry.epoch() && longDead(current, now))) {
                    logger.info("Removed the entry of silo {} (epoch {}), dead since its last heartbeat at {}",
                            entry.siloId(), entry.epoch(), entry.lastHeartbeat());
                    this.tableChanged.run();
                }
            }
            catch (RuntimeException ex) {
                writeFailed("remove the entry of long-dead silo " + entry.siloId(), ex);
                return;
            }
        }
    }

    private boolean longDead(SiloEntry entry, Instant now) {
        return entry.lastHeartbeat().plus(this.settings.deadSiloRetention()).isBefore(now);
    }

    private void evictExpired(MembershipSnapshot snapshot, long selfEpoch) {
        Instant now = this.clock.instant();
        for (SiloEntry entry : snapshot.silos().values()) {
            if (entry.siloId().equals(this.settings.siloId()) || entry.status() == SiloStatus.DEAD
                    || !expired(entry, now)) {
                continue;
            }
            String evict = "declare silo " + entry.siloId() + " (epoch " + entry.epoch()
                    + ") dead after its heartbeat expired";
            TableUpdater.Update update;
            try {
                update = this.table.update(evict, (read) -> {
                    SiloEntry current = read.silos().get(entry.siloId());
                    if (current == null || current.epoch() != entry.epoch() || current.status() == SiloStatus.DEAD
                            || !expired(current, now) || !selfActive(read, selfEpoch)) {
                        return null;
                    }
                    return current.withStatus(SiloStatus.DEAD);
                });
            }
            catch (RuntimeException ex) {
                writeFailed("declare silo " + entry.siloId() + " dead after its heartbeat expired", ex);
                return;
            }
            this.writesFailing = false;
            SiloEntry written = update.written();
            if (written != null) {
                logger.info("Declared silo {} (epoch {}, {}) dead: its last heartbeat, at {}, is older than the "
                        + "silo TTL ({})", written.siloId(), written.epoch(), written.address(),
                        written.lastHeartbeat(), this.settings.siloTtl());
                this.metrics.siloDeclaredDead(written.siloId(), DeathCause.HEARTBEAT_EXPIRED);
                this.tableChanged.run();
            }
            else if (!selfActive(update.read(), selfEpoch)) {
                this.tableChanged.run();
                return;
            }
        }
    }

    private boolean expired(SiloEntry entry, Instant now) {
        return entry.lastHeartbeat().plus(this.settings.siloTtl()).isBefore(now);
    }

    private CompletableFuture<Void> probe(MembershipSnapshot snapshot, SiloEntry target, Peer peer,
            long selfEpoch) {
        Instant start = this.clock.instant();
        return answered(() -> this.prober.probe(target, this.settings.probeTimeout()), this.settings.probeTimeout())
            .thenCompose((answered) -> this.serial.call(() -> {
                this.metrics.probed(target.siloId(), answered, Duration.between(start, this.clock.instant()));
                return afterDirectProbe(snapshot, target, peer, answered, selfEpoch);
            }));
    }

    private CompletableFuture<Void> afterDirectProbe(MembershipSnapshot snapshot, SiloEntry target, Peer peer,
            boolean answered, long selfEpoch) {
        if (answered) {
            if (peer.misses >= this.settings.missedProbes()) {
                logger.info("Silo {} answers this silo's probes again", target.siloId());
            }
            peer.misses = 0;
            peer.answers++;
            return CompletableFuture.completedFuture(null);
        }
        peer.misses++;
        logger.debug("Silo {} missed {} probe(s) in a row", target.siloId(), peer.misses);
        if (peer.misses < this.settings.missedProbes()) {
            return CompletableFuture.completedFuture(null);
        }
        SiloEntry via = ProbeTargets.intermediary(snapshot, this.settings.siloId(), target,
                peer.misses - this.settings.missedProbes());
        if (via == null) {
            vote(target, peer, selfEpoch);
            return CompletableFuture.completedFuture(null);
        }
        long answersBefore = peer.answers;
        int missesBefore = peer.misses;
        return answered(() -> this.prober.probeIndirectly(via, target, this.settings.indirectProbeTimeout()),
                this.settings.indirectProbeTimeout())
            .thenCompose((answeredIndirectly) -> this.serial.call(() -> {
                if (answeredIndirectly) {
                    if (!peer.answersIndirectly && peer.answers == answersBefore) {
                        logger.info("Silo {} missed {} probes of this silo but answers silo {}: a broken link, "
                                + "not a dead silo; it is not suspected", target.siloId(), missesBefore,
                                via.siloId());
                        peer.answersIndirectly = true;
                    }
                }
                else if (this.peers.get(target.siloId()) != peer || peer.answers != answersBefore) {
                    logger.debug("Silo {} answered again, or is no longer probed by this silo, since an indirect "
                            + "probe of it went out: the probe's failure is no vote", target.siloId());
                }
                else {
                    peer.answersIndirectly = false;
                    vote(target, peer, selfEpoch);
                }
                return CompletableFuture.completedFuture(null);
            }));
    }

    private void vote(SiloEntry target, Peer peer, long selfEpoch) {
        Instant now = this.clock.instant();
        Instant votedAt = peer.votedAt;
        if (votedAt != null && Duration.between(votedAt, now).compareTo(this.settings.voteExpiry().dividedBy(2)) < 0) {
            return;
        }
        String selfId = this.settings.siloId();
        int[] tally = new int[2];
        String suspect = "vote that silo " + target.siloId() + " (epoch " + target.epoch() + ") is dead";
        TableUpdater.Update update;
        try {
            update = this.table.update(suspect, (read) -> {
                SiloEntry current = read.silos().get(target.siloId());
                if (current == null || current.epoch() != target.epoch() || current.status() == SiloStatus.DEAD
                        || !selfActive(read, selfEpoch)) {
                    return null;
                }
                List<Suspicion> votes = new ArrayList<>();
                for (Suspicion vote : current.suspicions()) {
                    if (!vote.suspectingSiloId().equals(selfId) && fresh(vote, now)) {
                        votes.add(vote);
                    }
                }
                votes.add(new Suspicion(selfId, now));
                tally[0] = countingVotes(read, current, votes);
                tally[1] = this.settings.votesNeeded(activeSilos(read, now));
                SiloEntry suspected = current.withSuspicions(votes);
                return (tally[0] >= tally[1]) ? suspected.withStatus(SiloStatus.DEAD) : suspected;
            });
        }
        catch (RuntimeException ex) {
            writeFailed("vote that silo " + target.siloId() + " is dead", ex);
            return;
        }
        this.writesFailing = false;
        SiloEntry written = update.written();
        if (written == null) {
            if (!selfActive(update.read(), selfEpoch)) {
                this.tableChanged.run();
            }
            return;
        }
        this.tableChanged.run();
        boolean first = votedAt == null;
        peer.votedAt = now;
        this.metrics.suspected(target.siloId());
        if (written.status() == SiloStatus.DEAD) {
            logger.info("Declared silo {} (epoch {}, {}) dead: it missed {} probes and an indirect probe, and {} "
                    + "active silo(s) suspect it ({} needed)", written.siloId(), written.epoch(), written.address(),
                    peer.misses, tally[0], tally[1]);
            this.metrics.siloDeclaredDead(written.siloId(), DeathCause.VOTES);
        }
        else if (first) {
            logger.info("Suspects that silo {} (epoch {}) is dead: it missed {} probes and an indirect probe; {} "
                    + "of {} needed vote(s)", written.siloId(), written.epoch(), peer.misses, tally[0], tally[1]);
        }
    }

    private void writeFailed(String what, RuntimeException ex) {
        if (!this.writesFailing) {
            this.writesFailing = true;
            logger.warn("Silo {} could not {}: {}", this.settings.siloId(), what, ex.toString());
        }
        else {
            logger.debug("Silo {} could not {}", this.settings.siloId(), what, ex);
        }
    }

    private boolean fresh(Suspicion vote, Instant now) {
        return vote.at().plus(this.settings.voteExpiry()).isAfter(now);
    }

    private static int countingVotes(MembershipSnapshot read, SiloEntry suspect, List<Suspicion> votes) {
        int counting = 0;
        for (Suspicion vote : votes) {
            SiloEntry voter = read.silos().get(vote.suspectingSiloId());
            if (voter != null && voter.status() == SiloStatus.ACTIVE && !voter.siloId().equals(suspect.siloId())) {
                counting++;
            }
        }
        return counting;
    }

    private int activeSilos(MembershipSnapshot read, Instant now) {
        int active = 0;
        for (SiloEntry entry : read.silos().values()) {
            if (entry.status() == SiloStatus.ACTIVE && !expired(entry, now)) {
                active++;
            }
        }
        return active;
    }

    private boolean selfActive(MembershipSnapshot read, long selfEpoch) {
        SiloEntry self = read.silos().get(this.settings.siloId());
        return self != null && self.epoch() == selfEpoch && self.status() == SiloStatus.ACTIVE;
    }

    /**
     * Runs a probe and tells whether it was answered. A probe whose stage is still open an interval after its
     * timeout counts as missed, so that a prober that loses a stage cannot stop the detector.
     */
    private CompletableFuture<Boolean> answered(Supplier<? extends CompletionStage<Void>> probe, Duration timeout) {
        CompletableFuture<Boolean> answered = new CompletableFuture<>();
        RuntimeScheduler.Cancellable limit = this.scheduler.schedule(
                this.clock.instant().plus(timeout).plus(this.settings.probeInterval()), () -> {
                    answered.complete(false);
                    return CompletableFuture.completedFuture(null);
                });
        try {
            probe.get().whenComplete((ignored, failure) -> {
                if (answered.complete(failure == null)) {
                    limit.cancel();
                }
            });
        }
        catch (RuntimeException ex) {
            answered.complete(false);
            limit.cancel();
        }
        return answered;
    }

    /**
     * What this silo knows about one incarnation of a peer it probes.
     */
    private static final class Peer {

        final long epoch;

        int misses;

        /**
         * How many direct probes it answered: an indirect probe whose failure comes back after the peer answered
         * again is stale, and casts no vote.
         */
        long answers;

        boolean answersIndirectly;

        @Nullable Instant votedAt;

        Peer(long epoch) {
            this.epoch = epoch;
        }
    }
}
