package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;

import dev.quark.jobs.JobId;
import dev.quark.jobs.store.JobOutcome;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseKeeper;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outcomes of attempts whose write failed because the store could not be reached ({@link ConnectionFailures}),
 * kept on the node and written again, with a back-off, until the store answers or the job's lease is lost. While an
 * outcome is kept its lease stays with the node's lease keeper, which goes on renewing it: a store that is back
 * before the lease expires takes the outcome, and the job, whose handler ended, does not run again. A lease lost
 * meanwhile (expired while the store was down, or refused) ends the keeping: the job stays {@code RUNNING} and a
 * worker takes it over once the lease is free, as when nothing is kept.
 * <p>
 * Each outcome is settled once, with what its last write gave ({@code null} when written): the attempt's own
 * handling of a written or refused outcome then runs (metrics, the lease, listeners and filters). Retries go through
 * the node's {@link OutcomeWriter}, one thread per kept outcome, so that they are written together like any. At
 * close every kept outcome is tried once more and then settled, whatever its write gave.
 */
final class UnwrittenOutcomes {

    private static final Logger logger = LoggerFactory.getLogger(UnwrittenOutcomes.class);

    /** The longest the first retry waits. */
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);

    /**
     * How long a close waits for the writes in flight and its own last tries (each bounded by the store's own
     * timeouts); what has not ended then is settled with its last failure.
     */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private final OutcomeWriter writer;

    private final LeaseKeeper.Scheduler scheduler;

    private final Clock clock;

    private final Executor threads;

    private final Duration firstRetry;

    private final Duration maxRetry;

    private final Predicate<Lease> kept;

    private final Object lock = new Object();

    // Guarded by lock.

    private final Map<JobId, Kept> outcomes = new LinkedHashMap<>();

    private final List<CompletableFuture<Void>> inFlight = new ArrayList<>();

    private LeaseKeeper.Scheduler.@Nullable Cancellable retry;

    private Duration backoff;

    private boolean closed;

    /**
     * @param writer writes the outcomes
     * @param scheduler schedules the retries
     * @param clock tells the time of a retry
     * @param threads runs each write on a thread of its own
     * @param leaseDuration the jobs' lease duration: the first retry comes after an eighth of it (at most
     * {@link #FIRST_RETRY}), later ones doubling up to a quarter of it, so that several tries fit in a lease
     * @param kept whether the node's lease keeper still keeps a lease: an outcome whose lease was lost before it
     * could be kept (during its first write, which may wait out a connection timeout) is not kept
     */
    UnwrittenOutcomes(OutcomeWriter writer, LeaseKeeper.Scheduler scheduler, Clock clock, Executor threads,
            Duration leaseDuration, Predicate<Lease> kept) {
        this.writer = Objects.requireNonNull(writer, "writer must not be null");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.threads = Objects.requireNonNull(threads, "threads must not be null");
        this.kept = Objects.requireNonNull(kept, "kept must not be null");
        Duration eighth = leaseDuration.dividedBy(8);
        this.firstRetry = (eighth.compareTo(FIRST_RETRY) < 0) ? eighth : FIRST_RETRY;
        Duration quarter = leaseDuration.dividedBy(4);
        this.maxRetry = (quarter.compareTo(this.firstRetry) > 0) ? quarter : this.firstRetry;
        this.backoff = this.firstRetry;
    }

    /**
     * Keeps an outcome whose write failed because the store could not be reached, to write it again.
     * @param outcome the outcome
     * @param failure why its write failed
     * @param settle called once, on another thread, with what the last write gave ({@code null}: written)
     * @return whether it is kept; {@code false} once closed (the caller settles it itself)
     */
    boolean keep(JobOutcome outcome, RuntimeException failure, Consumer<@Nullable RuntimeException> settle) {
        Kept entry = new Kept(outcome, settle, failure);
        Kept replaced;
        synchronized (this.lock) {
            if (this.closed) {
                return false;
            }
            replaced = this.outcomes.put(outcome.id(), entry);
            armRetry();
        }
        if (replaced != null) {
            // An earlier attempt's outcome of the same job, whose lease was lost since (the job was claimed again).
            drop(replaced);
        }
        // After the put, so that a loss the keeper reports from now on finds the entry, and one it reported before
        // is seen here: the first write may have waited out a connection timeout longer than the lease.
        if (!this.kept.test(outcome.lease())) {
            logger.warn("The outcome of job {} could not be written as the store could not be reached, and its lease "
                    + "was lost meanwhile: it is not kept; the job runs again once its lease is free", outcome.id());
            drop(entry);
        }
        return true;
    }

    /**
     * Ends the keeping of an outcome whose lease was lost: it is settled with its last failure, and no longer
     * written (a write in flight is settled with what it gives).
     * @param lease the lost lease
     */
    void leaseLost(Lease lease) {
        Kept lost = null;
        synchronized (this.lock) {
            for (Kept candidate : this.outcomes.values()) {
                if (candidate.outcome.lease().isSameLease(lease)) {
                    lost = candidate;
                    break;
                }
            }
        }
        if (lost != null) {
            logger.warn("The outcome of job {} was kept to be written once the store answers, but its lease was lost "
                    + "first: it is not written; the job runs again once its lease is free", lost.outcome.id());
            drop(lost);
        }
    }

    /**
     * Stops keeping an outcome: settled now with its last failure unless a write of it is in flight, which settles it
     * with what it gives.
     */
    private void drop(Kept entry) {
        boolean settleNow;
        synchronized (this.lock) {
            entry.lost = true;
            settleNow = !entry.writing;
        }
        if (settleNow) {
            this.threads.execute(() -> finish(entry, entry.failure));
        }
    }

    /**
     * Settles an outcome once, whoever asks: it is no longer kept.
     */
    private void finish(Kept entry, @Nullable RuntimeException result) {
        synchronized (this.lock) {
            if (entry.settled) {
                return;
            }
            entry.settled = true;
            this.outcomes.remove(entry.outcome.id(), entry);
            if (result == null) {
                this.backoff = this.firstRetry;
            }
        }
        if (result == null) {
            logger.info("Wrote the outcome of job {}, kept since the store could not be reached", entry.outcome.id());
        }
        entry.settle.accept(result);
    }

    /**
     * Returns the jobs whose outcomes are kept: they are not abandoned, however their leases look in the store.
     */
    Set<JobId> jobIds() {
        synchronized (this.lock) {
            return Set.copyOf(this.outcomes.keySet());
        }
    }

    /**
     * Returns how many outcomes are kept, for the orchestrator's view and tests.
     */
    int size() {
        synchronized (this.lock) {
            return this.outcomes.size();
        }
    }

    /**
     * Stops retrying: waits for the writes in flight, tries every outcome still kept once more, and settles all of
     * them, within a bound.
     */
    void close() {
        List<Kept> last = new ArrayList<>();
        List<CompletableFuture<Void>> pending;
        synchronized (this.lock) {
            if (this.closed) {
                return;
            }
            this.closed = true;
            if (this.retry != null) {
                this.retry.cancel();
                this.retry = null;
            }
            for (Kept entry : this.outcomes.values()) {
                if (!entry.writing) {
                    last.add(entry);
                }
            }
            last.forEach(this::write);
            pending = List.copyOf(this.inFlight);
        }
        if (!last.isEmpty()) {
            logger.info("Writing the outcomes of {} jobs kept since the store could not be reached, a last time before "
                    + "the node stops", last.size());
        }
        try {
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                .get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        catch (TimeoutException | java.util.concurrent.ExecutionException ex) {
            logger.warn("The last writes of kept job outcomes did not all end within {}", CLOSE_WAIT);
        }
        List<Kept> left;
        synchronized (this.lock) {
            left = List.copyOf(this.outcomes.values());
        }
        // A write that did not end in time (it may still land: its lease fences it), or that had no thread.
        left.forEach((entry) -> finish(entry, entry.failure));
    }

    /** Under the lock. */
    private void armRetry() {
        if (this.retry != null || this.closed || this.outcomes.isEmpty()) {
            return;
        }
        this.retry = this.scheduler.schedule(this.clock.instant().plus(this.backoff), () -> {
            retryRound();
            return CompletableFuture.completedFuture(null);
        });
    }

    private void retryRound() {
        synchronized (this.lock) {
            this.retry = null;
            if (this.closed) {
                return;
            }
            int tried = 0;
            for (Kept entry : this.outcomes.values()) {
                if (!entry.writing && !entry.lost) {
                    write(entry);
                    tried++;
                }
            }
            logger.debug("Writing the outcomes of {} jobs kept since the store could not be reached", tried);
            Duration doubled = this.backoff.multipliedBy(2);
            this.backoff = (doubled.compareTo(this.maxRetry) > 0) ? this.maxRetry : doubled;
        }
    }

    /** Under the lock: starts the write of a kept outcome, tracked among the writes in flight until it ends. */
    private void write(Kept entry) {
        entry.writing = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        this.inFlight.add(done);
        done.whenComplete((ignored, failure) -> {
            synchronized (this.lock) {
                this.inFlight.remove(done);
            }
        });
        try {
            this.threads.execute(() -> {
                try {
                    written(entry, this.writer.write(entry.outcome));
                }
                catch (RuntimeException ex) {
                    written(entry, ex);
                }
                finally {
                    done.complete(null);
                }
            });
        }
        catch (RuntimeException ex) {
            // No thread: the next round (or the close) tries it again.
            entry.writing = false;
            done.complete(null);
            armRetry();
        }
    }

    private void written(Kept entry, @Nullable RuntimeException result) {
        synchronized (this.lock) {
            entry.writing = false;
            if (result != null && ConnectionFailures.isConnectionFailure(result) && !this.closed && !entry.lost
                    && !entry.settled) {
                entry.failure = result;
                armRetry();
                return;
            }
        }
        finish(entry, result);
    }

    /** A kept outcome; its mutable fields guarded by the lock. */
    private static final class Kept {

        private final JobOutcome outcome;

        private final Consumer<@Nullable RuntimeException> settle;

        private RuntimeException failure;

        private boolean writing;

        private boolean lost;

        private boolean settled;

        Kept(JobOutcome outcome, Consumer<@Nullable RuntimeException> settle, RuntimeException failure) {
            this.outcome = outcome;
            this.settle = settle;
            this.failure = failure;
        }
    }
}
