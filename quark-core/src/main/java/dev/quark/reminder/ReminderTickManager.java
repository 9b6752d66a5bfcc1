package dev.quark.reminder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.ReminderStatus;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseLoss;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.internal.LostFencingTokens;
import dev.quark.reminder.ScheduledReminder.Status;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.RuntimeScheduler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires the reminders of one silo: one per silo, started once the runtime runs and closed before it.
 * <p>
 * Every {@link ReminderSettings#refreshInterval() refresh interval} it reads from the {@link ReminderTable} the
 * reminders of the buckets this silo owns ({@link ReminderBucketOwnership}) that fall due within the
 * {@link ReminderSettings#lookahead() lookahead}, and keeps them in a timing queue ordered by fire time, with
 * one wake-up armed on the runtime's scheduler for the earliest. A registration made through the
 * {@link ReminderRegistry} on this silo is queued at once. So the table is read in bulk, at a fixed rate
 * whatever the number of reminders, and a tick fires at its instant rather than at the next poll.
 * <p>
 * <b>Reads of changes.</b> On a table that tracks changes ({@link ReminderTable#versions}), only the first read,
 * a read after the silo gained buckets, {@link #refreshNow()} and one read every
 * {@link ReminderSettings#fullReadInterval() full-read interval} read the whole lookahead. The refreshes in between
 * read the registrations and removals made since the last read ({@link ReminderTable#changes}; the silo's own writes
 * of next ticks are none of them) and the slice of time the lookahead newly covers
 * ({@link ReminderTable#due(ReminderBucketSet, Instant, Instant, int)}): reminders that keep firing here are not read
 * again. A reminder whose next tick fell beyond the lookahead when it was written is queued again from memory when
 * the lookahead reaches it, while this silo still knows it (its write may have reached the table after the slice
 * that covers it was read).
 * <p>
 * A change read is never lost because it could not be applied when it was read: a removal of a reminder whose tick
 * is running is kept with it and applied when the tick ends (the tick's next one is not queued); a change that
 * something this silo did since the read began may have overtaken (a registration here, the end of a tick) is read
 * again, by itself, with a generation of its own, at the end of the same refresh and, should that be in doubt too,
 * at the next one. So a removal or replacement by another node takes effect within a refresh interval, not at the
 * next full read. A full read that no longer shows a reminder whose tick is running removes it when the tick ends,
 * as it forgets a waiting one. A read of changes that finds a bucket's change entries trimmed beyond what it asks
 * for ({@link ReminderChangesTrimmedException}) reads the whole lookahead instead.
 * <p>
 * Each tick is delivered as a call of {@link dev.quark.actor.Remindable#receiveReminder} through the
 * {@link ReminderDelivery} (a turn of the actor, activated when needed); once it ends, the reminder's next tick
 * is written to the table, in batches ({@link ReminderSettings#maxBatch()}). The rules:
 * <ul>
 * <li>The next tick is the first instant of the schedule after the delivery ended. Ticks that fell due while the
 * delivery ran are skipped ({@link ReminderOutcome#SKIPPED}): a tick never starts while the previous one of the
 * same reminder runs.</li>
 * <li>A reminder found overdue (no silo ran it, or this one was down) is delivered once, with the first instant
 * it missed, then goes on with its schedule; the ticks in between are counted {@link ReminderOutcome#MISSED},
 * never delivered in a flood.</li>
 * <li>A tick whose {@code receiveReminder} throws, or whose delivery outlasts the
 * {@link ReminderSettings#deliveryTimeout() delivery timeout} (or the runtime's call timeout), is logged and counted
 * failed; a periodic reminder goes on with its schedule (a timed-out instant is not tried again: its turn may still
 * run), a one-shot reminder is tried again after a backoff, up to {@link ReminderSettings#maxAttempts()}
 * attempts.</li>
 * <li>A tick that did not reach its actor (its silo unreachable or not serving, a full mailbox, the runtime
 * closed: {@link ReminderDeliveryFailures}) keeps its scheduled instant and is tried
 * again after a backoff, until it is delivered; it is not written, so the table still holds it should this silo
 * stop. The reminder's later instants wait for it: none overtakes it, and those that fell due meanwhile are
 * {@link ReminderOutcome#MISSED} once it is delivered (the catch-up rule).</li>
 * <li>A repeat count and an end instant remove the reminder after its last tick.</li>
 * <li>Delivery is at least once per scheduled instant: the next tick is written only after a delivery, so a
 * crash in between delivers that tick again, with the same {@link ReminderStatus#scheduledAt()}.</li>
 * </ul>
 * <b>Bucket leases.</b> With a {@link LeaseStore} ({@link Builder#leases}), a silo fires a bucket only while it
 * holds the bucket's lease, so that two silos whose views of the cluster differ never fire the same bucket: each
 * claim round acquires, in one batch, the buckets the ownership gives this silo that it does not hold, stamps them
 * in the table with their fencing tokens ({@link ReminderTable#stamp}) and only then reads them; it releases, in
 * one batch, the buckets the ownership no longer gives it once their running ticks ended and their next ticks were
 * written. What a round could not do (a bucket another silo still holds, one still busy here) is tried again:
 * for {@link #FAST_CLAIM_WINDOW} after a change of ownership or a lost lease, after
 * {@value #FIRST_CLAIM_RETRY_MILLIS} ms, the pause doubling up to {@link #LONGEST_CLAIM_RETRY}, so that a hand-over
 * completes about as soon as the previous owner has learnt the new view and finished the bucket's running ticks;
 * after that window, or after a round whose lease calls failed, every {@code lease duration / 4}. Pauses vary by
 * &plusmn;20 % so that silos that learnt a view together do not ask the store in step. A tick
 * is delivered only while the lease is valid on this silo's clock, and the write of its next tick carries the
 * lease's token, which the table checks in the same step: a silo that lost its lease (a long pause) can neither
 * fire from then on nor overwrite the new owner's writes. The {@link dev.quark.lease.LeaseKeeper} renews all the
 * leases in one batch per round. Claim rounds run at start, on {@link #ownershipChanged()}, when a lease is lost,
 * and while some wanted bucket is not held.
 * <p>
 * Time comes from the runtime's clock and scheduler, so a test drives it with a manual clock.
 */
public final class ReminderTickManager implements ReminderRegistry.Listener, AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(ReminderTickManager.class);

    /** How many notice reads run at once at most. */
    static final int MAX_NOTICE_READS = 8;

    /** The first pause before a claim round tries again what it could not do. */
    static final long FIRST_CLAIM_RETRY_MILLIS = 25;

    /**
     * The longest pause between the quick claim rounds after a change of ownership: short, so that a bucket is
     * taken over soon after its previous owner lets it go.
     */
    static final Duration LONGEST_CLAIM_RETRY = Duration.ofMillis(250);

    /**
     * How long after a change of ownership or a lost lease claim rounds are retried quickly: about as long as the
     * silos of a cluster take to learn a view (a silo that misses a membership notice reads the table within its
     * refresh interval, 5 s by default); past it (a dead silo's leases that must expire, a bucket another silo
     * keeps), rounds go back to every {@code lease duration / 4}, sparing the lease store.
     */
    static final Duration FAST_CLAIM_WINDOW = Duration.ofSeconds(6);

    /** How many reminders of a read of the table are applied in one step under the lock. */
    static final int APPLY_STEP = 512;

    /**
     * The most tick ends recorded under one hold of the lock: enough that a burst costs few acquisitions, few enough
     * that a fire round or a read waits a short while for the lock.
     */
    private static final int ENDS_BATCH = 256;

    private static final Runnable NOTHING = () -> {
    };

    private final ReminderTable table;

    private final ReminderDelivery delivery;

    private final Clock clock;

    private final RuntimeScheduler scheduler;

    private final ReminderBucketOwnership ownership;

    private final ReminderSettings settings;

    private final ReminderMetrics metrics;

    private final @Nullable ReminderRegistry registry;

    private final @Nullable BucketLeases leases;

    /** Runs table reads and writes, and by default the deliveries: virtual threads, since they all wait. */
    private final ExecutorService io;

    /**
     * Runs the refreshes' reads of the table: a platform thread each, not a virtual one. Decoding a read of up to
     * {@link ReminderSettings#loadLimit()} reminders is hundreds of milliseconds of work that never waits; on a
     * virtual thread it held one of the few carrier threads the whole time (virtual threads are not time-sliced),
     * and the deliveries and turns queued behind it on the others: a tail of late ticks at every refresh. A platform
     * thread is time-sliced with the carriers by the operating system.
     */
    private final ExecutorService reads;

    /**
     * Where the end of a delivery is handled: a thread of {@link #io}, never the thread that completed the call
     * (the actor's turn thread, the transport's, the scheduler's), since the handling takes the manager's lock;
     * inline once {@link #io} is shut down.
     */
    private final Executor continuations;

    /**
     * Guarded by this: the reminders whose notice read is queued or running, with whether another notice came
     * meanwhile (one more read then follows). Notices of one reminder are coalesced: a burst of registrations
     * costs at most two reads of it.
     */
    private final Map<ReminderKey, Boolean> noticeReads = new HashMap<>();

    /** Bounds the notice reads that run at once, so that a burst of notices cannot crowd out refreshes and writes. */
    private final Semaphore noticeReadPermits = new Semaphore(MAX_NOTICE_READS);

    private final TableWrites writes;

    private final Counts counts = new Counts();

    private final DeliveryTimeouts timeouts;

    /** The ends of deliveries, recorded in batches on {@link #continuations}. */
    private final Batches<TickEnd> ends;

    // Guarded by this.

    private final Map<ReminderKey, ScheduledReminder> reminders = new HashMap<>();

    private final TimingQueue waiting = new TimingQueue();

    private long sequence;

    /** The generation of the last read of the table that began. */
    private long generation;

    private ReminderBucketSet owned = ReminderBucketSet.none();

    /**
     * How many ended ticks of each bucket have a write not yet handed to {@link #writes}: counted with the batch's
     * ends under the lock and uncounted under one more hold once the batch's writes are submitted, so that
     * {@link #busyBuckets()} never sees a bucket as idle in between (its lease released, the new owner would read
     * the old tick and deliver it again). Counted rather than submitted under the lock: a submit may start a task
     * and complete the futures of the writes it replaces, whose callbacks must not run under the manager's lock.
     */
    private final int[] unsubmitted = new int[ReminderBuckets.COUNT];

    /** The sum of {@link #unsubmitted}: {@link #busyBuckets()} scans it only when some write is not submitted. */
    private int unsubmittedTotal;

    /**
     * The {@link #generation} at which each bucket last became {@link #owned}: a read that began at or before it
     * may show that bucket as it was before this silo lost it and got it back (another silo may have fired and
     * advanced its reminders meanwhile), so what it shows of the bucket is not taken.
     */
    private final long[] gainedAt = new long[ReminderBuckets.COUNT];

    private Phase phase = Phase.NEW;

    private int running;

    private @Nullable CompletableFuture<Void> idle;

    private @Nullable Instant wakeAt;

    private RuntimeScheduler.@Nullable Cancellable wake;

    private RuntimeScheduler.@Nullable Cancellable nextRefresh;

    private boolean refreshing;

    private boolean refreshRequested;

    /** Whether the next refresh reads the whole lookahead: at start, after a gain, on {@link #refreshNow()}. */
    private boolean fullReadWanted = true;

    /** When the next refresh reads the whole lookahead at the latest. */
    private @Nullable Instant nextFullRead;

    /**
     * The change version of each owned bucket that the reads took in, {@code null} until a full read of a table that
     * tracks changes: then every refresh reads the whole lookahead.
     */
    private long @Nullable [] readVersions;

    /** The instant before which the reads are complete: where the next slice of time starts. */
    private @Nullable Instant coveredUntil;

    /**
     * The reminders whose change or notice was read but could not be applied then, since something this silo did
     * after the read began may have overtaken it: read again, each by itself, at the end of the next refresh.
     */
    private final Set<ReminderKey> rereads = new LinkedHashSet<>();

    /** The buckets the ownership gives this silo; with leases, {@link #owned} is those of them whose lease it holds. */
    private ReminderBucketSet wanted = ReminderBucketSet.none();

    private boolean claiming;

    private boolean claimRequested;

    /** The pause before the last quick claim round; {@code null} to start again from the first. */
    private @Nullable Duration claimRetry;

    /** Until when claim rounds are retried quickly (see {@link #FAST_CLAIM_WINDOW}). */
    private Instant fastClaimsUntil = Instant.MIN;

    private RuntimeScheduler.@Nullable Cancellable nextClaim;

    private @Nullable Instant nextClaimAt;

    private ReminderTickManager(Builder builder, ReminderDelivery delivery, Clock clock, RuntimeScheduler scheduler,
            ExecutorService io, ExecutorService reads) {
        this.table = builder.table;
        this.delivery = delivery;
        this.clock = clock;
        this.scheduler = scheduler;
        this.ownership = builder.ownership;
        this.settings = builder.settings;
        this.metrics = builder.metrics;
        this.registry = builder.registry;
        this.io = io;
        this.reads = reads;
        this.continuations = (task) -> {
            try {
                io.execute(task);
            }
            catch (RejectedExecutionException ex) {
                task.run();
            }
        };
        this.ends = new Batches<>(this.continuations, ENDS_BATCH, this::delivered);
        this.timeouts = new DeliveryTimeouts(scheduler, clock, this.settings.deliveryTimeout());
        this.writes = new TableWrites(this.table, this.settings.maxBatch(), io, scheduler, clock,
                this.settings.initialBackoff());
        LeaseStore store = builder.leaseStore;
        if (store != null) {
            this.leases = new BucketLeases(BucketLeases.keeper(store, Objects.requireNonNull(builder.leaseOwner))
                .duration(builder.leaseDuration)
                .clock(clock)
                .scheduler((at, task) -> scheduler.schedule(at, task)::cancel)
                .executor(io)
                .listener(this::leaseLost)
                .build(), store, this.table, clock, this.metrics);
        }
        else {
            this.leases = null;
        }
    }

    /**
     * Starts building the tick manager of a runtime: ticks are delivered through its references, on its clock
     * and scheduler.
     * @param table where reminders are kept
     * @param runtime the silo's runtime
     * @return a builder
     */
    public static Builder builder(ReminderTable table, ActorRuntime runtime) {
        return new Builder(table, Objects.requireNonNull(runtime, "runtime must not be null"));
    }

    /**
     * Starts firing: reads the owned buckets at once, then every refresh interval, and listens to the registry.
     * @throws IllegalStateException when it was started before
     */
    public void start() {
        synchronized (this) {
            if (this.phase != Phase.NEW) {
                throw new IllegalStateException("The reminder tick manager was already started (" + this.phase + ")");
            }
            this.phase = Phase.RUNNING;
            this.wanted = this.ownership.ownedBuckets();
            claimQuickly();
            if (this.leases == null) {
                own(this.wanted);
            }
        }
        if (this.registry != null) {
            this.registry.addListener(this);
        }
        logger.debug("Reminder tick manager started on {} ({})", this.table, this.wanted);
        if (this.leases != null) {
            scheduleClaim(this.clock.instant());
        }
        else {
            refreshNow();
        }
    }

    /**
     * Tells the manager that the buckets this silo owns may have changed: it stops firing the reminders of the
     * buckets it lost (a tick that runs completes and records its next tick) and reads the buckets it gained at
     * once.
     */
    public void ownershipChanged() {
        synchronized (this) {
            if (this.phase != Phase.RUNNING) {
                return;
            }
            ReminderBucketSet now = this.ownership.ownedBuckets();
            if (!now.equals(this.wanted)) {
                claimQuickly();
            }
            this.wanted = now;
            ReminderBucketSet lost = this.owned.minus(now);
            if (this.leases == null) {
                own(now);
            }
            else {
                this.owned = this.owned.minus(lost);
            }
            drop(lost);
            logger.debug("Reminder buckets changed: {} owned, {} lost", now, lost);
        }
        if (this.leases != null) {
            scheduleClaim(this.clock.instant());
        }
        else {
            refreshNow();
        }
    }

    /** Makes some buckets the fired ones, recording when each new one was gained. Called under the lock. */
    private void own(ReminderBucketSet buckets) {
        for (int bucket : buckets.minus(this.owned).toArray()) {
            this.gainedAt[bucket] = this.generation;
            this.fullReadWanted = true;
        }
        this.owned = buckets;
    }

    /**
     * Returns whether what a read of the table shows of a bucket may be taken: the bucket is owned, and was
     * already owned when the read began. Called under the lock.
     */
    private boolean ownedThroughout(int bucket, long readGeneration) {
        return this.owned.contains(bucket) && this.gainedAt[bucket] < readGeneration;
    }

    /** Stops firing the reminders of some buckets; their running ticks complete. Called under the lock. */
    private void drop(ReminderBucketSet lost) {
        if (lost.isEmpty()) {
            return;
        }
        this.reminders.values().removeIf((reminder) -> lost.contains(reminder.entry.bucket())
                && reminder.status != Status.RUNNING && (reminder.status != Status.WAITING
                        || this.waiting.remove(reminder)));
        arm();
    }

    // ---------------------------------------------------------------- bucket leases

    private void scheduleClaim(Instant at) {
        synchronized (this) {
            if (this.phase != Phase.RUNNING || this.leases == null) {
                return;
            }
            if (this.claiming) {
                this.claimRequested = true;
                return;
            }
            if (this.nextClaim != null) {
                if (this.nextClaimAt != null && !this.nextClaimAt.isAfter(at)) {
                    return;
                }
                this.nextClaim.cancel();
            }
            this.nextClaim = this.scheduler.schedule(at, this::claim);
            this.nextClaimAt = at;
        }
    }

    /** Starts the window of quick claim rounds again: ownership changed or a lease was lost. Called under the lock. */
    private void claimQuickly() {
        this.claimRetry = null;
        this.fastClaimsUntil = this.clock.instant().plus(FAST_CLAIM_WINDOW);
    }

    /**
     * A claim round: releases the held buckets no longer wanted whose ticks are all written, acquires and stamps
     * the wanted buckets not held, then reads the table if it gained any.
     */
    private CompletionStage<?> claim() {
        BucketLeases bucketLeases = this.leases;
        ReminderBucketSet release;
        ReminderBucketSet acquire;
        boolean releaseLater;
        synchronized (this) {
            this.nextClaim = null;
            this.nextClaimAt = null;
            if (this.phase != Phase.RUNNING || bucketLeases == null || this.claiming) {
                return CompletableFuture.completedFuture(null);
            }
            this.claiming = true;
            this.claimRequested = false;
            ReminderBucketSet lost = this.owned.minus(this.wanted);
            this.owned = this.owned.minus(lost);
            drop(lost);
            ReminderBucketSet held = bucketLeases.held();
            ReminderBucketSet unwanted = held.minus(this.wanted);
            release = unwanted.isEmpty() ? unwanted : unwanted.minus(busyBuckets());
            releaseLater = release.size() < unwanted.size();
            acquire = this.wanted.minus(held);
        }
        return CompletableFuture.supplyAsync(() -> {
            boolean failed = false;
            boolean released = false;
            try {
                bucketLeases.release(release);
                released = !release.isEmpty();
            }
            catch (RuntimeException ex) {
                failed = true;
                logger.warn("Could not release the leases of {}; they expire on their own: {}", release, ex.toString());
            }
            ReminderBucketSet gained = ReminderBucketSet.none();
            try {
                gained = bucketLeases.acquire(acquire);
            }
            catch (RuntimeException ex) {
                failed = true;
                logger.warn("Could not claim the reminder buckets {}; trying again: {}", acquire, ex.toString());
            }
            if (!gained.isEmpty()) {
                logger.debug("Claimed reminder buckets {}", gained);
            }
            return new ClaimRound(failed, released || !gained.isEmpty());
        }, this.io).handle((round, failure) -> {
            boolean read;
            @Nullable Duration pause = null;
            synchronized (this) {
                this.claiming = false;
                ReminderBucketSet held = bucketLeases.held();
                ReminderBucketSet before = this.owned;
                own(this.wanted.minus(this.wanted.minus(held)));
                read = !this.owned.minus(before).isEmpty();
                boolean leftToDo = releaseLater || !this.wanted.minus(held).isEmpty() || !held.minus(this.wanted).isEmpty();
                if (this.claimRequested) {
                    pause = Duration.ZERO;
                }
                else if (!leftToDo) {
                    this.claimRetry = null;
                }
                else {
                    boolean failed = round == null || round.failed();
                    if (round != null && round.changedHands()) {
                        this.claimRetry = null;
                    }
                    pause = jittered(failed ? quarterOfTheLease() : nextClaimRetry());
                }
            }
            if (read) {
                refreshNow();
            }
            if (pause != null) {
                scheduleClaim(this.clock.instant().plus(pause));
            }
            return null;
        });
    }

    /** What a claim round's lease calls did: whether one failed, and whether a bucket was released or gained. */
    private record ClaimRound(boolean failed, boolean changedHands) {
    }

    /**
     * The pause before the next try of what a claim round left to do: within {@link #FAST_CLAIM_WINDOW} of a change,
     * {@value #FIRST_CLAIM_RETRY_MILLIS} ms after the first round, then doubling up to {@link #LONGEST_CLAIM_RETRY};
     * past the window a quarter of the lease duration. Never above that quarter before {@link #jittered jitter}.
     * Called under the lock.
     */
    private Duration nextClaimRetry() {
        Duration quarter = quarterOfTheLease();
        if (!this.clock.instant().isBefore(this.fastClaimsUntil)) {
            this.claimRetry = null;
            return quarter;
        }
        Duration next = (this.claimRetry == null) ? Duration.ofMillis(FIRST_CLAIM_RETRY_MILLIS)
                : this.claimRetry.multipliedBy(2);
        if (next.compareTo(LONGEST_CLAIM_RETRY) > 0) {
            next = LONGEST_CLAIM_RETRY;
        }
        if (next.compareTo(quarter) > 0) {
            next = quarter;
        }
        this.claimRetry = next;
        return next;
    }

    private Duration quarterOfTheLease() {
        Duration quarter = Objects.requireNonNull(this.leases).duration().dividedBy(4);
        return quarter.isZero() ? Duration.ofMillis(1) : quarter;
    }

    /** A pause varied by up to 20 % either way, at least a millisecond. */
    private static Duration jittered(Duration pause) {
        long millis = Math.round(pause.toMillis() * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
        return Duration.ofMillis(Math.max(1, millis));
    }

    /**
     * The buckets with a tick running or a next tick not yet written, submitted or not ({@link #unsubmitted}). Called
     * under the lock.
     */
    private ReminderBucketSet busyBuckets() {
        List<Integer> busy = new ArrayList<>();
        for (ScheduledReminder reminder : this.reminders.values()) {
            if (reminder.status == Status.RUNNING) {
                busy.add(reminder.entry.bucket());
            }
        }
        if (this.unsubmittedTotal > 0) {
            for (int bucket = 0; bucket < this.unsubmitted.length; bucket++) {
                if (this.unsubmitted[bucket] > 0) {
                    busy.add(bucket);
                }
            }
        }
        busy.addAll(this.writes.pendingBuckets());
        return ReminderBucketSet.of(busy);
    }

    /** The keeper lost a lease: stop firing its bucket and claim it again if it is still wanted. */
    private void leaseLost(Lease lease, LeaseLoss loss) {
        int bucket = BucketLeases.bucketOf(lease.resource());
        if (bucket < 0) {
            return;
        }
        logger.warn("Lost the lease of reminder bucket {} ({}); its reminders stop firing here", bucket, loss);
        this.io.execute(() -> {
            synchronized (this) {
                if (this.phase != Phase.RUNNING) {
                    return;
                }
                ReminderBucketSet lost = ReminderBucketSet.of(bucket);
                this.owned = this.owned.minus(lost);
                drop(lost);
                claimQuickly();
            }
            scheduleClaim(this.clock.instant());
        });
    }

    /**
     * Reads the owned buckets of the table now, the whole lookahead, rather than at the next refresh interval; what a
     * test or an operator does after changing the table behind the manager's back.
     */
    public void refreshNow() {
        synchronized (this) {
            if (this.phase != Phase.RUNNING) {
                return;
            }
            this.fullReadWanted = true;
            if (this.refreshing) {
                this.refreshRequested = true;
                return;
            }
        }
        scheduleRefresh(this.clock.instant());
    }

    /**
     * Returns what the manager has done and holds now.
     * @return the counters
     */
    public synchronized Stats stats() {
        int queued = this.waiting.size();
        LostFencingTokens.Losses lostTokens = (this.leases != null) ? this.leases.lostTokens()
                : LostFencingTokens.Losses.NONE;
        return new Stats(this.counts.delivered.sum(), this.counts.failed.sum(), this.counts.undelivered.sum(),
                this.counts.abandoned.sum(),
                this.counts.skipped.sum(), this.counts.missed.sum(), queued, this.running, this.writes.pendingCount(),
                this.owned.size(), lostTokens.resources(), lostTokens.last(),
                (this.leases != null) ? this.leases.lastRaiseHeldBack() : null);
    }

    /**
     * Returns the buckets this manager fires the reminders of.
     * @return the owned buckets, none before it starts
     */
    public synchronized ReminderBucketSet ownedBuckets() {
        return this.owned;
    }

    /**
     * Returns the table the manager reads.
     * @return the table
     */
    public ReminderTable table() {
        return this.table;
    }

    // ---------------------------------------------------------------- registrations on this silo

    /**
     * A registration made on this silo, told once it is stored (after its transaction commits, on PostgreSQL). A
     * registration the manager knows already is left as it is: a read of changes may have shown it (and fired its
     * first tick) between the commit and this call, which comes after the caller's other after-commit work.
     */
    @Override
    public void registered(ReminderEntry entry) {
        synchronized (this) {
            ScheduledReminder known = this.reminders.get(entry.key());
            if (known != null && (known.entry.registration() == entry.registration()
                    || (known.replacement != null && known.replacement.registration() == entry.registration()))) {
                return;
            }
            schedule(entry);
        }
    }

    /** Queues a registration, or keeps it as the replacement of a running tick. */
    private void schedule(ReminderEntry entry) {
        synchronized (this) {
            if (this.phase != Phase.RUNNING || !this.owned.contains(entry.bucket())) {
                return;
            }
            ScheduledReminder known = this.reminders.get(entry.key());
            if (known != null && known.status == Status.RUNNING) {
                known.replacement = entry;
                known.unregistered = false;
                known.trustReadsAfter = this.generation;
                return;
            }
            if (known != null && known.status == Status.WAITING) {
                this.waiting.remove(known);
            }
            boolean soon = entry.tick().fireAt().isBefore(this.clock.instant().plus(this.settings.lookahead()));
            ScheduledReminder reminder = new ScheduledReminder(entry, soon ? Status.WAITING : Status.DONE,
                    this.generation);
            this.reminders.put(entry.key(), reminder);
            if (soon) {
                enqueue(reminder);
                arm();
            }
        }
    }

    @Override
    public void unregistered(ReminderKey key) {
        synchronized (this) {
            if (this.phase != Phase.RUNNING || !this.owned.contains(key.bucket())) {
                return;
            }
            ScheduledReminder known = this.reminders.get(key);
            if (known != null && known.status == Status.RUNNING) {
                known.unregistered = true;
                known.replacement = null;
                return;
            }
            if (known != null && known.status == Status.WAITING) {
                this.waiting.remove(known);
            }
            if (known != null) {
                known.later = false;
            }
            if (known != null && known.status == Status.DONE && known.trustReadsAfter == Long.MAX_VALUE) {
                return;
            }
            ScheduledReminder gone = (known != null) ? known : ScheduledReminder.forgotten(key, this.generation);
            gone.status = Status.DONE;
            gone.later = false;
            gone.trustReadsAfter = this.generation;
            this.reminders.put(key, gone);
        }
    }

    /**
     * Tells the manager that another silo registered or removed a reminder ({@link ReminderNotices}): if its bucket
     * is one this silo fires, the manager reads it from the table now and queues it, or forgets it, rather than at
     * its next refresh. A hint: the next refresh reconciles whatever it got wrong.
     * @param key the reminder
     */
    public void changedElsewhere(ReminderKey key) {
        Objects.requireNonNull(key, "key must not be null");
        synchronized (this) {
            if (this.phase != Phase.RUNNING || !this.owned.contains(key.bucket())) {
                return;
            }
            if (this.noticeReads.containsKey(key)) {
                this.noticeReads.put(key, Boolean.TRUE);
                return;
            }
            this.noticeReads.put(key, Boolean.FALSE);
        }
        readNoticed(key);
    }

    private void readNoticed(ReminderKey key) {
        long readGeneration;
        synchronized (this) {
            readGeneration = ++this.generation;
        }
        CompletableFuture.supplyAsync(() -> findWithPermit(key), this.io).whenComplete((found, failure) -> {
            if (failure != null) {
                logger.debug("Could not read the {} another silo changed; the next refresh reads it: {}", key,
                        unwrap(failure).toString());
            }
            boolean settled = failure != null || (found.isPresent() ? registeredElsewhere(found.get(), readGeneration)
                    : unregisteredElsewhere(key, readGeneration));
            boolean again;
            synchronized (this) {
                again = Boolean.TRUE.equals(this.noticeReads.get(key)) && this.phase == Phase.RUNNING;
                if (again) {
                    this.noticeReads.put(key, Boolean.FALSE);
                }
                else {
                    this.noticeReads.remove(key);
                    if (!settled) {
                        // The notice read that follows (again) reads it as it is now; without one, the next refresh.
                        rereadLater(key);
                    }
                }
            }
            if (again) {
                readNoticed(key);
            }
        });
    }

    private Optional<ReminderEntry> findWithPermit(ReminderKey key) {
        this.noticeReadPermits.acquireUninterruptibly();
        try {
            return this.table.find(key);
        }
        finally {
            this.noticeReadPermits.release();
        }
    }

    /**
     * A registration read from the table (a notice's read, a read of changes): queued unless the manager knows it
     * already. When the manager learnt of the reminder after this read began (a registration here, the end of a
     * tick, a later read that finished first), the read may be the older: it is not applied, and the reminder is
     * read again ({@link #rereads}).
     * @return whether the read is settled: applied, or known already; {@code false} when it must be read again
     */
    private boolean registeredElsewhere(ReminderEntry entry, long readGeneration) {
        synchronized (this) {
            if (!ownedThroughout(entry.bucket(), readGeneration)) {
                // Not fired here, or gained after the read began: the read the gain requested shows it as it is.
                return true;
            }
            ScheduledReminder known = this.reminders.get(entry.key());
            if (known != null) {
                boolean same = known.entry.registration() == entry.registration();
                if (same && (known.status != Status.DONE || readGeneration <= known.readsWinAfter(false))) {
                    return true;
                }
                if (!same && known.replacement != null
                        && known.replacement.registration() == entry.registration()) {
                    return true;
                }
                if (!same && readGeneration <= known.readsWinAfter(true)) {
                    return false;
                }
            }
            schedule(entry);
            return true;
        }
    }

    /**
     * A removal read from the table (a notice's read, a read of changes): forgotten, or, while the reminder's tick
     * runs, kept with the tick and applied when it ends (its next tick is then neither written nor queued). When the
     * manager learnt of the reminder after this read began, the read may be the older: it is not applied, and the
     * reminder is read again ({@link #rereads}).
     * @return whether the read is settled: applied, or nothing to do; {@code false} when it must be read again
     */
    private boolean unregisteredElsewhere(ReminderKey key, long readGeneration) {
        synchronized (this) {
            if (!ownedThroughout(key.bucket(), readGeneration)) {
                return true;
            }
            ScheduledReminder known = this.reminders.get(key);
            if (known != null && known.status == Status.DONE && !known.later) {
                // Nothing fires it from memory: a read that shows it registered again queues it.
                return true;
            }
            if (known != null && readGeneration <= known.readsWinAfter(true)) {
                return false;
            }
            if (known != null && known.status == Status.RUNNING) {
                known.unregistered = true;
                known.replacement = null;
                return true;
            }
            unregistered(key);
            return true;
        }
    }

    /** Marks a reminder to be read again at the end of the next refresh. Called under the lock. */
    private void rereadLater(ReminderKey key) {
        this.rereads.add(key);
    }

    // ---------------------------------------------------------------- reading the table

    private void scheduleRefresh(Instant at) {
        synchronized (this) {
            if (this.phase != Phase.RUNNING) {
                return;
            }
            if (this.nextRefresh != null) {
                this.nextRefresh.cancel();
            }
            this.nextRefresh = this.scheduler.schedule(at, this::refresh);
        }
    }

    private CompletionStage<?> refresh() {
        long readGeneration;
        ReminderBucketSet buckets;
        boolean whole;
        long @Nullable [] after;
        @Nullable Instant from;
        Instant now = this.clock.instant();
        synchronized (this) {
            this.nextRefresh = null;
            if (this.phase != Phase.RUNNING || this.refreshing) {
                return CompletableFuture.completedFuture(null);
            }
            this.refreshing = true;
            this.refreshRequested = false;
            readGeneration = ++this.generation;
            buckets = this.owned;
            whole = this.fullReadWanted || this.readVersions == null || this.coveredUntil == null
                    || this.nextFullRead == null || !now.isBefore(this.nextFullRead);
            this.fullReadWanted = false;
            after = (whole || this.readVersions == null) ? null : this.readVersions.clone();
            from = this.coveredUntil;
        }
        Instant horizon = now.plus(this.settings.lookahead());
        CompletableFuture<RefreshRead> read;
        try {
            read = CompletableFuture.supplyAsync(() -> (after == null || from == null) ? readWhole(buckets, horizon)
                    : readChanges(buckets, after, from, horizon), this.reads);
        }
        catch (RejectedExecutionException ex) {
            // The executor stops when the manager closes.
            synchronized (this) {
                this.refreshing = false;
            }
            return CompletableFuture.completedFuture(null);
        }
        return read.thenCompose((done) -> new ReadApplication(readGeneration, done, horizon).start()
            .thenRun(() -> readApplied(done, now, horizon)))
            .thenCompose((ignored) -> reread())
            .handle((ignored, failure) -> {
                if (failure != null) {
                    logger.warn("Could not read the due reminders of {} from {}; trying again in {}: {}", buckets,
                            this.table, this.settings.refreshInterval(), unwrap(failure).toString());
                }
                boolean again;
                synchronized (this) {
                    this.refreshing = false;
                    if (failure != null && whole) {
                        this.fullReadWanted = true;
                    }
                    again = this.refreshRequested;
                }
                scheduleRefresh(again ? this.clock.instant() : this.clock.instant().plus(this.settings.refreshInterval()));
                return null;
            });
    }

    /** Reads the whole lookahead, after the change versions it starts from. Runs on {@link #reads}. */
    private RefreshRead readWhole(ReminderBucketSet buckets, Instant horizon) {
        long[] versions = this.table.versions(buckets);
        DueReminders due = this.table.due(buckets, horizon, this.settings.loadLimit());
        return new RefreshRead(true, List.of(), due, versions, false);
    }

    /**
     * Reads what changed since the last read and the slice of time the lookahead newly covers. Runs on
     * {@link #reads}.
     */
    private RefreshRead readChanges(ReminderBucketSet buckets, long[] after, Instant from, Instant horizon) {
        int perBucket = DueReminders.perBucketLimit(this.settings.loadLimit(), buckets.size());
        List<ReminderChange> changes;
        try {
            changes = this.table.changes(buckets, after, perBucket);
        }
        catch (ReminderChangesTrimmedException ex) {
            logger.info("The changes of reminder buckets {} were trimmed beyond what this silo read; reading the "
                    + "whole lookahead", ex.buckets());
            return readWhole(buckets, horizon);
        }
        int[] perBucketRead = new int[ReminderBuckets.COUNT];
        boolean more = false;
        for (ReminderChange change : changes) {
            more |= ++perBucketRead[change.key().bucket()] >= perBucket;
        }
        DueReminders slice = from.isBefore(horizon) ? this.table.due(buckets, from, horizon, this.settings.loadLimit())
                : new DueReminders(List.of(), from);
        return new RefreshRead(false, changes, slice, null, more);
    }

    /** Records how far a read that was applied took the manager. */
    private synchronized void readApplied(RefreshRead read, Instant readAt, Instant horizon) {
        Instant complete = read.due().completeBefore().isBefore(horizon) ? read.due().completeBefore() : horizon;
        if (read.whole()) {
            this.readVersions = read.versions();
            this.nextFullRead = readAt.plus(this.settings.fullReadInterval());
            this.coveredUntil = complete;
            return;
        }
        long[] versions = this.readVersions;
        if (versions != null) {
            for (ReminderChange change : read.changes()) {
                int bucket = change.key().bucket();
                versions[bucket] = Math.max(versions[bucket], change.version());
            }
        }
        if (this.coveredUntil == null || complete.isAfter(this.coveredUntil)) {
            this.coveredUntil = complete;
        }
        if (read.more()) {
            this.refreshRequested = true;
        }
    }

    /**
     * What one refresh read from the table.
     * @param whole whether it read the whole lookahead
     * @param changes the registrations and removals since the last read, none when whole
     * @param due the reminders due within the lookahead when whole, those of the newly covered slice otherwise
     * @param versions the change versions the whole read starts from, {@code null} when the table tracks no changes
     * @param more whether the changes read were cut at their limit in some bucket
     */
    private record RefreshRead(boolean whole, List<ReminderChange> changes, DueReminders due,
            long @Nullable [] versions, boolean more) {
    }

    /**
     * Reads again, each by itself and with a generation of its own, the reminders whose change or notice could not
     * be applied when read ({@link #rereads}); those still in doubt are read again at the end of the next refresh.
     * Runs the reads on {@link #reads}.
     */
    private CompletableFuture<Void> reread() {
        List<ReminderKey> keys;
        long readGeneration;
        synchronized (this) {
            if (this.rereads.isEmpty() || this.phase != Phase.RUNNING) {
                return CompletableFuture.completedFuture(null);
            }
            keys = List.copyOf(this.rereads);
            this.rereads.clear();
            readGeneration = ++this.generation;
        }
        CompletableFuture<List<Optional<ReminderEntry>>> found;
        try {
            found = CompletableFuture.supplyAsync(() -> keys.stream().map(this.table::find).toList(), this.reads);
        }
        catch (RejectedExecutionException ex) {
            return CompletableFuture.completedFuture(null);
        }
        return found.handle((entries, failure) -> {
            synchronized (this) {
                if (failure != null) {
                    this.rereads.addAll(keys);
                    throw new CompletionException(unwrap(failure));
                }
                for (int i = 0; i < keys.size(); i++) {
                    Optional<ReminderEntry> entry = entries.get(i);
                    if (!(entry.isPresent() ? registeredElsewhere(entry.get(), readGeneration)
                            : unregisteredElsewhere(keys.get(i), readGeneration))) {
                        rereadLater(keys.get(i));
                    }
                }
                arm();
            }
            return null;
        });
    }

    /**
     * Merges a read of the table into what the manager knows, {@value #APPLY_STEP} reminders at a time under the
     * lock, each step a task of its own, so that ticks keep firing (and registrations, notices and ends of
     * deliveries keep being taken) while a large read is applied. What the manager learnt after the read began
     * wins; for the rest the table wins, except that the tick of a registration known here is never taken back:
     * the table may not have the write of its last delivery yet.
     * <p>
     * Applying a reminder a step later is the same as the read having returned later: whatever changed a reminder
     * meanwhile (a registration, a notice's read, the end of its tick) marked it with a generation at least the
     * read's, which the steps that follow respect. The read is first applied entry by entry, then the reminders it
     * no longer shows are forgotten, from a list of the known ones taken when the entries are all in.
     * <p>
     * What the read shows of a bucket this silo lost and got back after the read began is ignored: another silo
     * may have fired and advanced those reminders meanwhile, and the read that the gain requested shows them as
     * they are now.
     */
    private final class ReadApplication {

        private final long readGeneration;

        /** Whether the read covers the whole lookahead: only then does what it does not show mean a removal. */
        private final boolean whole;

        private final List<ReminderChange> changes;

        private int changesTaken;

        private final Instant horizon;

        /**
         * The entries read, each let go once merged: a large read is not kept whole until its last step, for the
         * young collections that fall meanwhile to copy.
         */
        private final @Nullable ReminderEntry[] entries;

        private final Instant completeBefore;

        private final CompletableFuture<Void> done = new CompletableFuture<>();

        private int next;

        private @Nullable List<ScheduledReminder> known;

        ReadApplication(long readGeneration, RefreshRead read, Instant horizon) {
            this.readGeneration = readGeneration;
            this.whole = read.whole();
            this.changes = read.changes();
            this.horizon = horizon;
            this.entries = read.due().entries().toArray(new ReminderEntry[0]);
            this.completeBefore = read.due().completeBefore();
        }

        CompletableFuture<Void> start() {
            run();
            return this.done;
        }

        private void run() {
            try {
                if (step()) {
                    ReminderTickManager.this.io.execute(this::run);
                }
                else {
                    this.done.complete(null);
                }
            }
            catch (RejectedExecutionException ex) {
                // The executor stops when the manager closes.
                this.done.complete(null);
            }
            catch (RuntimeException ex) {
                this.done.completeExceptionally(ex);
            }
        }

        /** Applies the next step; returns whether more follow. */
        private boolean step() {
            synchronized (ReminderTickManager.this) {
                if (ReminderTickManager.this.phase != Phase.RUNNING) {
                    return false;
                }
                // Changes are few: a registration or removal each, taken in the first step.
                for (int i = this.changesTaken; i < this.changes.size(); i++) {
                    ReminderChange change = this.changes.get(i);
                    ReminderEntry entry = change.entry();
                    // The change version moves past it whatever happens here: one in doubt is read again.
                    if (!((entry == null) ? unregisteredElsewhere(change.key(), this.readGeneration)
                            : registeredElsewhere(entry, this.readGeneration))) {
                        rereadLater(change.key());
                    }
                }
                this.changesTaken = this.changes.size();
                @Nullable ReminderEntry[] read = this.entries;
                if (this.next < read.length) {
                    int end = Math.min(read.length, this.next + APPLY_STEP);
                    for (int i = this.next; i < end; i++) {
                        merge(Objects.requireNonNull(read[i]));
                        read[i] = null;
                    }
                    this.next = end;
                    arm();
                    return true;
                }
                List<ScheduledReminder> all = this.known;
                if (all == null) {
                    all = new ArrayList<>(ReminderTickManager.this.reminders.values());
                    this.known = all;
                    this.next = read.length;
                }
                int from = this.next - read.length;
                int end = Math.min(all.size(), from + APPLY_STEP);
                for (int i = from; i < end; i++) {
                    forgetIfGone(all.get(i));
                }
                this.next += end - from;
                arm();
                return end < all.size();
            }
        }

        /** Merges one reminder read from the table. Called under the lock. */
        private void merge(ReminderEntry entry) {
            if (!ownedThroughout(entry.bucket(), this.readGeneration)) {
                return;
            }
            ScheduledReminder known = ReminderTickManager.this.reminders.get(entry.key());
            if (known == null) {
                ScheduledReminder added = new ScheduledReminder(entry, Status.WAITING, this.readGeneration);
                added.seenBy = this.readGeneration;
                ReminderTickManager.this.reminders.put(entry.key(), added);
                enqueue(added);
                return;
            }
            known.seenBy = this.readGeneration;
            boolean newer = this.readGeneration > known.readsWinAfter(known.entry.registration() != entry.registration());
            if (known.status == Status.DONE) {
                if (newer) {
                    // The object is taken again as it is: a done reminder is in no queue and no running tick holds it.
                    known.take(entry, this.readGeneration);
                    known.replacement = null;
                    known.unregistered = false;
                    known.trustReadsAfter = this.readGeneration;
                    enqueue(known);
                }
            }
            else if (newer && known.entry.registration() != entry.registration()) {
                if (known.status == Status.RUNNING) {
                    known.replacement = entry;
                    // Like a registration here: an older read that shows a removal is read again, not applied.
                    known.trustReadsAfter = this.readGeneration;
                }
                else {
                    ReminderTickManager.this.waiting.remove(known);
                    known.take(entry, this.readGeneration);
                    known.trustReadsAfter = this.readGeneration;
                    enqueue(known);
                }
            }
        }

        /**
         * Forgets a reminder the read shows is gone, or that no read needs telling apart any more, unless it
         * changed since the read began. Called under the lock.
         */
        private void forgetIfGone(ScheduledReminder known) {
            if (ReminderTickManager.this.reminders.get(known.key()) != known) {
                return;
            }
            if (!this.whole && known.status == Status.DONE && known.later
                    && ReminderTickManager.this.owned.contains(known.entry.bucket()) && known.firesBefore(this.horizon)) {
                // Its next tick, written here, now falls within the lookahead: the slice that covers it may have been
                // read before the write reached the table.
                known.trustReadsAfter = ReminderTickManager.this.generation;
                enqueue(known);
                return;
            }
            boolean forget = switch (known.status) {
                case DONE -> {
                    boolean trusted = this.readGeneration > known.trustReadsAfter;
                    if (!trusted && this.whole && known.later && known.seenBy != this.readGeneration
                            && ownedThroughout(known.entry.bucket(), this.readGeneration)) {
                        // Its next tick was not written when the read began: the read not showing it may be a removal
                        // elsewhere, which a later read of changes would not tell (its version was taken in here), and
                        // the reminder would be queued again from memory. Its own read settles it.
                        rereadLater(known.key());
                    }
                    yield trusted;
                }
                case WAITING -> !this.whole ? !ReminderTickManager.this.owned.contains(known.entry.bucket())
                        && ReminderTickManager.this.waiting.remove(known)
                        : (!ReminderTickManager.this.owned.contains(known.entry.bucket())
                        || (ownedThroughout(known.entry.bucket(), this.readGeneration)
                                && known.seenBy != this.readGeneration && this.readGeneration > known.trustReadsAfter
                                && known.firesBefore(this.completeBefore)))
                        && ReminderTickManager.this.waiting.remove(known);
                case RUNNING -> {
                    if (this.whole && known.replacement == null && ownedThroughout(known.entry.bucket(), this.readGeneration)
                            && known.seenBy != this.readGeneration && this.readGeneration > known.trustReadsAfter
                            && known.firesBefore(this.completeBefore)) {
                        // Gone from the table while its tick runs: removed when the tick ends, like a waiting one now.
                        known.unregistered = true;
                    }
                    yield false;
                }
            };
            if (forget) {
                ReminderTickManager.this.reminders.remove(known.key());
            }
        }
    }

    // ---------------------------------------------------------------- firing

    /** Queues a reminder at its tick's fire time. Called under the lock. */
    private void enqueue(ScheduledReminder reminder) {
        this.waiting.remove(reminder);
        reminder.status = Status.WAITING;
        reminder.later = false;
        reminder.sequence = this.sequence++;
        this.waiting.add(reminder);
    }

    /**
     * Arms the wake-up for the earliest waiting reminder, unless one is armed earlier, or {@link
     * ReminderSettings#maxRunning()} ticks run (the end of one arms it again). Called under the lock.
     */
    private void arm() {
        if (this.phase != Phase.RUNNING || this.waiting.isEmpty() || this.running >= this.settings.maxRunning()) {
            return;
        }
        ScheduledReminder earliest = Objects.requireNonNull(this.waiting.first());
        if (this.wakeAt != null && !earliest.firesBefore(this.wakeAt)) {
            return;
        }
        if (this.wake != null) {
            this.wake.cancel();
        }
        Instant first = earliest.fireAt();
        this.wakeAt = first;
        this.wake = this.scheduler.schedule(first, this::fire);
    }

    private CompletionStage<?> fire() {
        Instant now = this.clock.instant();
        List<ScheduledReminder> due = new ArrayList<>();
        boolean notHeld = false;
        synchronized (this) {
            this.wake = null;
            this.wakeAt = null;
            if (this.phase != Phase.RUNNING) {
                return CompletableFuture.completedFuture(null);
            }
            int room = this.settings.maxRunning() - this.running;
            ScheduledReminder reminder;
            while (due.size() < room && (reminder = this.waiting.first()) != null && !reminder.firesAfter(now)) {
                this.waiting.poll();
                if (this.leases != null) {
                    FencingToken token = this.leases.validToken(reminder.entry.bucket(), now);
                    if (token == null) {
                        // Kept, done, and queued again from memory by the next refresh while the bucket is still
                        // owned: a late renewal may yet keep the lease, and then the claim round this asks for changes
                        // nothing and reads nothing (forgotten, it waited for the next full read). A loss the keeper
                        // reports drops it with its bucket.
                        notHeld = true;
                        reminder.status = Status.DONE;
                        reminder.later = true;
                        reminder.trustReadsAfter = this.generation;
                        continue;
                    }
                    reminder.token = token;
                }
                reminder.status = Status.RUNNING;
                due.add(reminder);
            }
            this.running += due.size();
            arm();
        }
        if (notHeld) {
            scheduleClaim(now);
        }
        if (due.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        // The calls start on a thread of their own, not on the scheduler's, which the runtime's other timed work
        // shares: one thread per round of due ticks, not one per tick, since the calls do not wait for their turns.
        return CompletableFuture.supplyAsync(() -> {
            CompletableFuture<?>[] deliveries = new CompletableFuture<?>[due.size()];
            for (int i = 0; i < deliveries.length; i++) {
                deliveries[i] = deliver(due.get(i), now);
            }
            return CompletableFuture.allOf(deliveries);
        }, this.continuations).thenCompose((all) -> all);
    }

    /**
     * Delivers one tick of a round, unless the manager stopped since the round was taken: then the tick stays in
     * the table for whichever silo fires it next, and its slot is given back. Whatever goes wrong ends the tick
     * (so that its slot is given back), and the end is handled with the others of its batch in {@link #ends}.
     */
    private CompletableFuture<?> deliver(ScheduledReminder reminder, Instant firedAt) {
        ReminderEntry entry;
        ReminderTick tick;
        synchronized (this) {
            if (this.phase != Phase.RUNNING) {
                reminder.token = null;
                reminder.status = Status.DONE;
                reminder.trustReadsAfter = this.generation;
                this.running--;
                completeIdleIfDone();
                return CompletableFuture.completedFuture(null);
            }
            entry = reminder.entry;
            tick = reminder.tick();
        }
        CompletionStage<?> outcome;
        try {
            outcome = call(entry, tick, firedAt);
        }
        catch (RuntimeException ex) {
            outcome = CompletableFuture.failedFuture(ex);
        }
        CompletableFuture<Void> written = new CompletableFuture<>();
        outcome.whenComplete((result, failure) -> this.ends.add(
                new TickEnd(reminder, entry, tick, firedAt, (failure != null) ? unwrap(failure) : null, written)));
        return written;
    }

    /** Makes the call of one tick, bounded by the delivery timeout. */
    private CompletionStage<?> call(ReminderEntry entry, ReminderTick tick, Instant firedAt) {
        String type = entry.key().actor().typeName();
        Instant fireAt = tick.fireAt();
        // Not Duration.between: its Instant.until took a few percent of a busy silo's processor.
        Duration lateness = Duration.ofSeconds(firedAt.getEpochSecond() - fireAt.getEpochSecond(),
                firedAt.getNano() - fireAt.getNano());
        try {
            this.metrics.lateness(type, lateness.isNegative() ? Duration.ZERO : lateness);
        }
        catch (RuntimeException ex) {
            metricsFailed(ex);
        }
        ReminderStatus status = entry.status(tick, firedAt);
        CompletionStage<?> call;
        try {
            call = this.delivery.deliver(entry.key().actor(), entry.key().name(), status);
        }
        catch (RuntimeException ex) {
            call = CompletableFuture.failedFuture(ex);
        }
        return withTimeout(call, entry, firedAt);
    }

    /**
     * Bounds a delivery by the delivery timeout, with the one timer of {@link #timeouts}: past it the delivery fails
     * with an {@link ActorCallTimeoutException}, which counts as failed. The call's own future is failed as well:
     * through the runtime it is the call itself, so a tick still queued in the actor's mailbox is dropped instead
     * of running later; a turn already running is not interrupted (nor is a call that already left for another
     * silo), and no longer holds a slot of {@link ReminderSettings#maxRunning()}. The slot goes back at the timeout
     * on purpose: the end of a call failed here is not reported, and a slot held until a turn that may never end
     * would let {@code maxRunning} stuck actors stop every reminder of the silo; a stuck actor holds up only its own
     * ticks, which queue behind its turn and time out too. When the scheduler refuses the timer (it is closed), the
     * runtime's call timeout bounds the call.
     */
    private CompletionStage<?> withTimeout(CompletionStage<?> call, ReminderEntry entry, Instant firedAt) {
        return this.timeouts.bound(call, firedAt,
                (timeout) -> new ActorCallTimeoutException(entry.key().actor().toString(), "receiveReminder", timeout));
    }

    /**
     * Records the ends of a batch of deliveries, under one hold of the lock, then writes their next ticks. What goes
     * wrong with one end is logged, and the others are still recorded. The schedules' next ticks are worked out
     * before the lock is taken: a cron reminder's catch-up may step through many instants
     * ({@link TickSchedule#MAX_CRON_STEPS}), which under the lock would hold up every tick and read of the silo.
     */
    private void delivered(List<TickEnd> batch) {
        Instant endedAt = this.clock.instant();
        Instant horizon = endedAt.plus(this.settings.lookahead());
        TickSchedule.@Nullable Following[] followings = followings(batch, endedAt);
        EndedTick[] ended = new EndedTick[batch.size()];
        boolean counted = false;
        try {
            synchronized (this) {
                try {
                    for (int i = 0; i < ended.length; i++) {
                        TickEnd end = batch.get(i);
                        try {
                            ended[i] = ended(end, endedAt, horizon, followings[i]);
                        }
                        catch (RuntimeException | Error ex) {
                            if (ex instanceof VirtualMachineError) {
                                throw ex;
                            }
                            logger.error("Could not record the tick of the {}", end.entry().key(), ex);
                        }
                        if (ended[i] != null && ended[i].update() != null) {
                            this.unsubmitted[end.entry().bucket()]++;
                            this.unsubmittedTotal++;
                            counted = true;
                        }
                    }
                    arm();
                }
                finally {
                    completeIdleIfDone();
                }
            }
            for (int i = 0; i < ended.length; i++) {
                TickEnd end = batch.get(i);
                try {
                    if (ended[i] == null) {
                        end.written().complete(null);
                    }
                    else {
                        recorded(ended[i]).whenComplete((ignored, writeFailure) -> end.written().complete(null));
                    }
                }
                catch (RuntimeException ex) {
                    logger.error("Could not record the tick of the {}", end.entry().key(), ex);
                    end.written().complete(null);
                }
            }
        }
        finally {
            if (counted) {
                submitted(batch, ended);
            }
        }
    }

    /**
     * Works out, off the lock, what follows each delivered tick of a batch that goes on with its schedule. A
     * {@link TickSchedule#following} depends only on the schedule and tick of the {@link TickEnd} (what was
     * delivered, not what the reminder holds now) and on the instants, so {@link #ended} takes it as it is; one that
     * failed is worked out again there, where its failure is logged.
     */
    private static TickSchedule.@Nullable Following[] followings(List<TickEnd> batch, Instant endedAt) {
        TickSchedule.@Nullable Following[] followings = new TickSchedule.Following[batch.size()];
        for (int i = 0; i < followings.length; i++) {
            TickEnd end = batch.get(i);
            Throwable failure = end.failure();
            boolean goesOn = failure == null
                    || (!ReminderDeliveryFailures.notDelivered(failure) && end.entry().schedule().isPeriodic());
            if (goesOn) {
                try {
                    followings[i] = TickSchedule.following(end.entry().schedule(), end.tick(), end.firedAt(), endedAt);
                }
                catch (RuntimeException | Error ex) {
                    if (ex instanceof VirtualMachineError) {
                        throw ex;
                    }
                    followings[i] = null;
                }
            }
        }
        return followings;
    }

    /**
     * Uncounts the writes of a batch of ended ticks from {@link #unsubmitted}, once they are all submitted, and
     * completes {@link #idle} if nothing else is left.
     */
    private synchronized void submitted(List<TickEnd> batch, @Nullable EndedTick[] ended) {
        for (int i = 0; i < ended.length; i++) {
            EndedTick tick = ended[i];
            if (tick != null && tick.update() != null) {
                this.unsubmitted[batch.get(i).entry().bucket()]--;
                this.unsubmittedTotal--;
            }
        }
        completeIdleIfDone();
    }

    /**
     * Completes {@link #idle} once no tick runs and every ended tick's write is submitted: {@link #close()} then
     * drains the writes and releases the leases, so a write not yet submitted would be dropped and its instant
     * delivered again by the bucket's next owner.
     */
    private void completeIdleIfDone() {
        if (this.running == 0 && this.unsubmittedTotal == 0 && this.idle != null) {
            this.idle.complete(null);
        }
    }

    /**
     * Records the end of a delivery and decides the reminder's next tick. Called under the lock; the caller arms
     * the wake-up and completes {@link #idle} once its batch is recorded.
     * @param precomputed what follows the delivered tick, worked out before the lock was taken; {@code null} to
     * work it out here
     * @return what to count, log and write once the lock is released
     */
    private EndedTick ended(TickEnd end, Instant endedAt, Instant horizon,
            TickSchedule.@Nullable Following precomputed) {
        ScheduledReminder reminder = end.reminder();
        ReminderEntry entry = end.entry();
        Instant firedAt = end.firedAt();
        Throwable failure = end.failure();
        ReminderKey key = entry.key();
        String type = key.actor().typeName();
        ReminderTick tick = end.tick();
        ReminderUpdate update = null;
        long missed = 0;
        long skipped = 0;
        boolean undelivered = failure != null && ReminderDeliveryFailures.notDelivered(failure);
        ReminderOutcome outcome = (failure == null) ? ReminderOutcome.DELIVERED
                : undelivered ? ReminderOutcome.UNDELIVERED : ReminderOutcome.FAILED;
        boolean abandoned = false;
        // Logged once the lock is released: formatting a stack trace under it would hold up every tick.
        Runnable report = null;
        FencingToken token = reminder.token;
        reminder.token = null;
        reminder.later = false;
        this.running--;
        if (reminder.unregistered) {
            reminder.status = Status.DONE;
            reminder.trustReadsAfter = this.generation;
            reminder.unregistered = false;
        }
        else if (reminder.replacement != null) {
            reminder.take(reminder.replacement, this.generation);
            reminder.replacement = null;
            reminder.trustReadsAfter = this.generation;
            if (this.phase == Phase.RUNNING && this.owned.contains(key.bucket())) {
                enqueue(reminder);
            }
            else {
                reminder.status = Status.DONE;
            }
        }
        else if (undelivered) {
            // The table keeps this tick: nothing to write. The same instant is tried again; later ones wait.
            ReminderTick retry = tick.retryAt(endedAt.plus(this.settings.backoff(tick.attempt())));
            report = () -> logger.warn(
                    "The tick of {} of the {} was not delivered (attempt {}); trying again at {}: {}",
                    tick.scheduledAt(), key, tick.attempt(), retry.fireAt(), String.valueOf(failure));
            reminder.tick(retry);
            reminder.trustReadsAfter = this.generation;
            if (this.phase == Phase.RUNNING && this.owned.contains(key.bucket())) {
                enqueue(reminder);
            }
            else {
                reminder.status = Status.DONE;
            }
        }
        else {
            ReminderTick next;
            if (failure != null && !entry.schedule().isPeriodic()) {
                if (tick.attempt() < this.settings.maxAttempts()) {
                    next = tick.retryAt(endedAt.plus(this.settings.backoff(tick.attempt())));
                    ReminderTick retry = next;
                    int attempts = this.settings.maxAttempts();
                    report = () -> logger.warn(
                            "The {} failed its tick of {} (attempt {} of {}); trying again at {}", key,
                            tick.scheduledAt(), tick.attempt(), attempts, retry.fireAt(), failure);
                }
                else {
                    next = null;
                    abandoned = true;
                    report = () -> logger.error("The {} failed its tick of {} {} times; it is removed", key,
                            tick.scheduledAt(), tick.attempt(), failure);
                }
            }
            else {
                if (failure != null) {
                    report = () -> logger.warn("The {} failed its tick of {} (attempt {}); its schedule goes on", key,
                            tick.scheduledAt(), tick.attempt(), failure);
                }
                TickSchedule.Following following = (precomputed != null) ? precomputed
                        : TickSchedule.following(entry.schedule(), tick, firedAt, endedAt);
                next = following.next();
                missed = following.missed();
                skipped = following.skipped();
            }
            if (next == null) {
                update = ReminderUpdate.remove(key, entry.registration());
                reminder.status = Status.DONE;
                reminder.trustReadsAfter = Long.MAX_VALUE;
            }
            else {
                update = ReminderUpdate.advance(key, entry.registration(), next);
                reminder.tick(next);
                if (this.phase == Phase.RUNNING && this.owned.contains(key.bucket())
                        && next.fireAt().isBefore(horizon)) {
                    reminder.trustReadsAfter = this.generation;
                    enqueue(reminder);
                }
                else {
                    reminder.status = Status.DONE;
                    reminder.trustReadsAfter = Long.MAX_VALUE;
                    reminder.later = this.phase == Phase.RUNNING && this.owned.contains(key.bucket());
                }
            }
        }
        boolean awaitsWrite = reminder.status == Status.DONE && reminder.trustReadsAfter == Long.MAX_VALUE;
        return new EndedTick(reminder, type, outcome, abandoned, missed, skipped, report,
                (update != null && token != null) ? update.fencedBy(token) : update, awaitsWrite);
    }

    /**
     * Counts and logs the end of a tick and writes the reminder's next tick.
     * @return a stage that completes once the first attempt to write the next tick ended
     */
    private CompletableFuture<Void> recorded(EndedTick ended) {
        if (ended.report() != null) {
            ended.report().run();
        }
        count(ended.type(), ended.outcome(), 1);
        count(ended.type(), ReminderOutcome.ABANDONED, ended.abandoned() ? 1 : 0);
        count(ended.type(), ReminderOutcome.MISSED, ended.missed());
        count(ended.type(), ReminderOutcome.SKIPPED, ended.skipped());
        if (ended.update() == null) {
            return CompletableFuture.completedFuture(null);
        }
        ScheduledReminder reminder = ended.reminder();
        // Only a reminder left done here waits for its write; the others would take the lock for nothing.
        return this.writes.submit(ended.update(), ended.awaitsWrite() ? () -> written(reminder) : NOTHING);
    }

    /** The end of one delivery, waiting to be recorded with the others of its batch. */
    private record TickEnd(ScheduledReminder reminder, ReminderEntry entry, ReminderTick tick, Instant firedAt,
            @Nullable Throwable failure, CompletableFuture<Void> written) {
    }

    /** What the end of one tick leaves to do once the lock is released. */
    private record EndedTick(ScheduledReminder reminder, String type, ReminderOutcome outcome, boolean abandoned,
            long missed, long skipped, @Nullable Runnable report, @Nullable ReminderUpdate update,
            boolean awaitsWrite) {
    }

    /** The table took the last write of a reminder that is done here: reads that begin now may show it again. */
    private synchronized void written(ScheduledReminder reminder) {
        if (reminder.status == Status.DONE && reminder.trustReadsAfter == Long.MAX_VALUE) {
            reminder.trustReadsAfter = this.generation;
        }
    }

    private void count(String type, ReminderOutcome outcome, long count) {
        if (count <= 0) {
            return;
        }
        this.counts.add(outcome, count);
        try {
            this.metrics.ticks(type, outcome, count);
        }
        catch (RuntimeException ex) {
            metricsFailed(ex);
        }
    }

    /** What the user's metrics throw is logged, and changes nothing about the ticks. */
    private static void metricsFailed(RuntimeException ex) {
        logger.warn("Reminder metrics failed: {}", ex.toString());
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    // ---------------------------------------------------------------- stopping

    /**
     * Stops firing: no tick starts after this returns. Waits, up to the shutdown timeout, for the ticks that run
     * and for the writes of their next ticks; a tick whose write did not make it is delivered again by whichever
     * silo fires it next.
     */
    @Override
    public void close() {
        CompletableFuture<Void> ended;
        synchronized (this) {
            if (this.phase == Phase.CLOSED || this.phase == Phase.CLOSING) {
                return;
            }
            boolean started = this.phase == Phase.RUNNING;
            this.phase = Phase.CLOSING;
            if (this.wake != null) {
                this.wake.cancel();
                this.wake = null;
            }
            if (this.nextRefresh != null) {
                this.nextRefresh.cancel();
                this.nextRefresh = null;
            }
            if (this.nextClaim != null) {
                this.nextClaim.cancel();
                this.nextClaim = null;
                this.nextClaimAt = null;
            }
            this.waiting.clear();
            this.idle = new CompletableFuture<>();
            completeIdleIfDone();
            ended = this.idle;
            if (!started) {
                this.phase = Phase.CLOSED;
                if (this.leases != null) {
                    this.leases.close();
                }
                this.io.shutdownNow();
                this.reads.shutdownNow();
                return;
            }
        }
        if (this.registry != null) {
            this.registry.removeListener(this);
        }
        long deadline = System.nanoTime() + this.settings.shutdownTimeout().toNanos();
        try {
            ended.get(this.settings.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        catch (Exception ex) {
            int unsubmittedWrites;
            synchronized (this) {
                unsubmittedWrites = this.unsubmittedTotal;
            }
            logger.warn("{} reminder ticks still ran and {} ended ticks' writes were not handed over after {}; "
                    + "stopping without them", stats().running(), unsubmittedWrites, this.settings.shutdownTimeout());
        }
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        if (!this.writes.drain(left)) {
            logger.warn("{} writes of next ticks did not reach {} before the shutdown timeout; those ticks will be "
                    + "delivered again", this.writes.pendingCount(), this.table);
        }
        this.writes.close();
        if (this.leases != null) {
            this.leases.close();
        }
        synchronized (this) {
            this.phase = Phase.CLOSED;
            this.reminders.clear();
        }
        this.io.shutdownNow();
        this.reads.shutdownNow();
        logger.debug("Reminder tick manager stopped");
    }

    /**
     * Stops at once, as a crash would: no tick starts or is written after this returns, nothing waits, and the
     * bucket leases are neither renewed nor released, so that other silos get the buckets once the leases expire.
     * What a test does to a silo it kills; an application calls {@link #close()}.
     */
    public void halt() {
        synchronized (this) {
            if (this.phase == Phase.CLOSED) {
                return;
            }
            this.phase = Phase.CLOSED;
            for (RuntimeScheduler.Cancellable timer : new RuntimeScheduler.@Nullable Cancellable[] { this.wake,
                    this.nextRefresh, this.nextClaim }) {
                if (timer != null) {
                    timer.cancel();
                }
            }
            this.wake = null;
            this.nextRefresh = null;
            this.nextClaim = null;
            this.nextClaimAt = null;
            this.waiting.clear();
            this.reminders.clear();
        }
        if (this.registry != null) {
            this.registry.removeListener(this);
        }
        this.writes.close();
        if (this.leases != null) {
            this.leases.halt();
        }
        this.io.shutdownNow();
        this.reads.shutdownNow();
        logger.debug("Reminder tick manager halted");
    }

    /**
     * Returns whether the manager fires reminders.
     * @return {@code true} between {@link #start()} and {@link #close()}
     */
    public synchronized boolean isRunning() {
        return this.phase == Phase.RUNNING;
    }

    @Override
    public String toString() {
        return "ReminderTickManager[" + this.table + ", " + this.owned + "]";
    }

    private enum Phase {
        NEW, RUNNING, CLOSING, CLOSED
    }

    /**
     * What a tick manager has done since it started, and what it holds now.
     *
     * @param delivered ticks whose {@code receiveReminder} returned
     * @param failed deliveries whose {@code receiveReminder} threw or that timed out (the delivery timeout, or the
     * runtime's call timeout), retried or not
     * @param undelivered deliveries that did not reach their actor (its silo unreachable or not serving, its mailbox
     * full, the runtime closed), each tried again
     * @param abandoned one-shot reminders removed after their last failed attempt (counted as failed too)
     * @param skipped ticks not delivered because the previous tick of their reminder still ran
     * @param missed ticks not delivered because they were overdue when an earlier one was delivered
     * @param waiting reminders in the timing queue
     * @param running ticks being delivered
     * @param pendingWrites next ticks waiting to be written to the table
     * @param ownedBuckets how many buckets this silo fires the reminders of
     * @param fencingTokensLost buckets a claim round found with a valid lease whose fencing token was below the
     * bucket's stamp, the lease store having lost its tokens (each counted once per incident, as
     * {@link ReminderMetrics#fencingTokensLost} counts them); always 0 without {@link Builder#leases leases}
     * @param lastFencingTokensLoss when the claim round that found the last of them ran, on the manager's clock;
     * {@code null} while there was none
     * @param lastFencingTokensRaiseHeldBack when a claim round last found tokens lost again within ten lease durations
     * of this silo's raise, and did not raise them (two lease stores on one table?), on the manager's clock;
     * {@code null} while there was none
     */
    public record Stats(long delivered, long failed, long undelivered, long abandoned, long skipped, long missed,
            int waiting, int running, int pendingWrites, int ownedBuckets, long fencingTokensLost,
            @Nullable Instant lastFencingTokensLoss, @Nullable Instant lastFencingTokensRaiseHeldBack) {

        /**
         * Creates the counters of a manager that never held a raise back.
         * @param delivered see the record
         * @param failed see the record
         * @param undelivered see the record
         * @param abandoned see the record
         * @param skipped see the record
         * @param missed see the record
         * @param waiting see the record
         * @param running see the record
         * @param pendingWrites see the record
         * @param ownedBuckets see the record
         * @param fencingTokensLost see the record
         * @param lastFencingTokensLoss see the record
         */
        public Stats(long delivered, long failed, long undelivered, long abandoned, long skipped, long missed,
                int waiting, int running, int pendingWrites, int ownedBuckets, long fencingTokensLost,
                @Nullable Instant lastFencingTokensLoss) {
            this(delivered, failed, undelivered, abandoned, skipped, missed, waiting, running, pendingWrites,
                    ownedBuckets, fencingTokensLost, lastFencingTokensLoss, null);
        }
    }

    private static final class Counts {

        final LongAdder delivered = new LongAdder();

        final LongAdder failed = new LongAdder();

        final LongAdder undelivered = new LongAdder();

        final LongAdder abandoned = new LongAdder();

        final LongAdder skipped = new LongAdder();

        final LongAdder missed = new LongAdder();

        void add(ReminderOutcome outcome, long count) {
            switch (outcome) {
                case DELIVERED -> this.delivered.add(count);
                case FAILED -> this.failed.add(count);
                case UNDELIVERED -> this.undelivered.add(count);
                case ABANDONED -> this.abandoned.add(count);
                case SKIPPED -> this.skipped.add(count);
                case MISSED -> this.missed.add(count);
            }
        }
    }

    /**
     * Builds a {@link ReminderTickManager}.
     */
    public static final class Builder {

        private final ReminderTable table;

        private final ActorRuntime runtime;

        private ReminderBucketOwnership ownership = ReminderBucketOwnership.ALL_BUCKETS;

        private ReminderSettings settings = ReminderSettings.DEFAULTS;

        private ReminderMetrics metrics = ReminderMetrics.NONE;

        private @Nullable ReminderRegistry registry;

        private @Nullable ReminderDelivery delivery;

        private @Nullable LeaseStore leaseStore;

        private @Nullable String leaseOwner;

        private Duration leaseDuration = Duration.ofSeconds(10);

        private Builder(ReminderTable table, ActorRuntime runtime) {
            this.table = Objects.requireNonNull(table, "table must not be null");
            this.runtime = runtime;
        }

        /**
         * Sets the registry whose registrations this silo queues at once. Default: none; reminders registered on
         * this silo are found by the next read of the table.
         * @param registry the registry, on the same table
         * @return this builder
         */
        public Builder registry(ReminderRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry must not be null");
            return this;
        }

        /**
         * Sets which buckets this silo fires. Default: all of them (one silo).
         * @param ownership the ownership
         * @return this builder
         */
        public Builder ownership(ReminderBucketOwnership ownership) {
            this.ownership = Objects.requireNonNull(ownership, "ownership must not be null");
            return this;
        }

        /**
         * Sets the settings. Default: {@link ReminderSettings#DEFAULTS}.
         * @param settings the settings
         * @return this builder
         */
        public Builder settings(ReminderSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings must not be null");
            return this;
        }

        /**
         * Sets where ticks are recorded. Default: nowhere.
         * @param metrics the metrics
         * @return this builder
         */
        public Builder metrics(ReminderMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics must not be null");
            return this;
        }

        /**
         * Makes the silo hold the buckets it fires through leases, one per bucket, so that silos whose views of
         * the cluster differ never fire the same bucket, and a silo that lost a bucket can no longer write its next
         * ticks (see the class documentation). Default: no leases; every bucket the ownership gives is fired, which
         * is right for one silo and leaves a window for double ticks while the views of several silos differ.
         * The lease store must be used by no other application sharing the table's buckets under another table.
         * @param store where the leases are; its clock decides expiry
         * @param owner this silo's id, not blank, at most 255 characters
         * @param duration how long a lease lasts unless renewed (renewed every third of it); at least 100 ms.
         * Choose it no longer than the cluster's failure detection time, since the buckets of a silo that dies
         * are fired again only once both have passed
         * @return this builder
         * @throws IllegalArgumentException naming the value when the owner or the duration is not allowed
         */
        public Builder leases(LeaseStore store, String owner, Duration duration) {
            Objects.requireNonNull(store, "store must not be null");
            Objects.requireNonNull(owner, "owner must not be null");
            Objects.requireNonNull(duration, "duration must not be null");
            if (owner.isBlank() || owner.length() > 255) {
                throw new IllegalArgumentException("Reminder lease owner '" + owner
                        + "' is not allowed: it must not be blank and at most 255 characters long");
            }
            if (duration.compareTo(Duration.ofMillis(100)) < 0 || duration.compareTo(LeaseStore.MAX_DURATION) > 0) {
                throw new IllegalArgumentException("Reminder lease duration " + duration
                        + " is not allowed: it must be between 100ms and " + LeaseStore.MAX_DURATION);
            }
            this.leaseStore = store;
            this.leaseOwner = owner;
            this.leaseDuration = duration;
            return this;
        }

        /**
         * Sets how ticks reach their actors. Default: a call of {@code receiveReminder} through the runtime, made
         * without waiting for the turn ({@link ReminderDelivery#through(ActorRuntime)}), so no thread per tick.
         * @param delivery the delivery
         * @return this builder
         */
        public Builder delivery(ReminderDelivery delivery) {
            this.delivery = Objects.requireNonNull(delivery, "delivery must not be null");
            return this;
        }

        /**
         * Builds the manager; {@link ReminderTickManager#start()} starts it.
         * @return the manager
         */
        public ReminderTickManager build() {
            ExecutorService io = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("quark-reminder-", 0).factory());
            ExecutorService reads = Executors
                .newThreadPerTaskExecutor(Thread.ofPlatform().daemon().name("quark-reminder-read-", 0).factory());
            ReminderDelivery chosen = (this.delivery != null) ? this.delivery : ReminderDelivery.through(this.runtime);
            return new ReminderTickManager(this, chosen, this.runtime.clock(), this.runtime.scheduler(), io, reads);
        }
    }
}
