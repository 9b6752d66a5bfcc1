package dev.quark.jobs.runtime;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobAbandonedException;
import dev.quark.jobs.JobCancelledException;
import dev.quark.jobs.JobError;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.JobTimeoutException;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.JobOutcome;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobTransition;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseKeeper;
import dev.quark.lease.LeaseLoss;
import dev.quark.lease.LeaseLostException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One attempt of a claimed job on a worker thread. Whatever ends the attempt first decides its outcome, once: the
 * handler returning or throwing, the timeout, the loss of the lease, or the shutdown of the worker; the others then
 * change nothing. Once the handler returned, neither the timeout nor the shutdown decides any more, even before the
 * handler's outcome is decided ({@link #returned()}). A decision is written to the store (fenced by the lease) and the lease released, except after a
 * lease loss, where another worker may own the job. The worker's slot stays taken until the handler's thread
 * returns, even when the timeout or a lease loss decided before; once it returned the slot goes to the next job while
 * this thread writes the outcome ({@link JobOrchestrator#handlerReturned}, write-behind).
 */
final class JobExecution {

    private static final Logger logger = LoggerFactory.getLogger(JobExecution.class);

    private static final Runnable NOTHING = () -> { };

    private final JobOrchestrator orchestrator;

    private final ClaimedJob claimed;

    private final RegisteredJobHandler handler;

    private final ExecutionContext context;

    private final Instant startedAt;

    private @Nullable Thread thread;

    private LeaseKeeper.Scheduler.@Nullable Cancellable timeout;

    private boolean decided;

    private boolean stopping;

    private boolean ending;

    /**
     * Whether the handler returned ({@link #returned()}): from then on its outcome is the handler's, so neither the
     * timeout nor the shutdown decides one any more, and nothing interrupts the thread, which frees its worker's slot
     * and writes that outcome; only a lease loss still decides (nothing is written then, as the write's fence would
     * refuse it).
     */
    private boolean returned;

    /** Whether the attempt started ({@link #start()}): from then on a lease loss interrupts it rather than withdraws it. */
    private boolean started;

    /** Whether it was withdrawn before it started and its job is still to be given back ({@link #takeWithdrawn()}). */
    private boolean withdrawn;

    /** The failure of the timeout that decided the outcome, handed to the filters' {@code afterRun}. */
    private @Nullable JobTimeoutException timedOutWith;

    JobExecution(JobOrchestrator orchestrator, ClaimedJob claimed, RegisteredJobHandler handler,
            ExecutionContext context) {
        this.orchestrator = orchestrator;
        this.claimed = claimed;
        this.handler = handler;
        this.context = context;
        this.startedAt = orchestrator.clock().instant();
    }

    Job job() {
        return this.claimed.job();
    }

    Lease lease() {
        return this.claimed.lease();
    }

    String type() {
        return this.handler.type();
    }

    ExecutionContext context() {
        return this.context;
    }

    /**
     * Runs the attempt on the calling thread, the worker's.
     */
    void run() {
        synchronized (this) {
            this.thread = Thread.currentThread();
        }
        Job job = job();
        MDC.put("quark.job.id", job.id().toString());
        MDC.put("quark.job.type", job.type());
        JobFilters filters = this.orchestrator.filters();
        List<JobFilters.OpenScope> scopes = new ArrayList<>();
        try {
            try {
                filters.openScopes(job, scopes);
            }
            catch (VirtualMachineError error) {
                // The only failure openScopes lets through (out of memory, stack overflow): the attempt never started,
                // so it is withdrawn and its job given back, its attempt not counted, when the thread ends.
                if (withdraw()) {
                    this.orchestrator.attemptFailedToStart();
                    logger.error("Job {} ({}) could not start its attempt: a filter's openScope threw; given back, its "
                            + "attempt not counted", job.id(), type(), error);
                    return;
                }
                throw error;
            }
            if (!start()) {
                return;
            }
            this.orchestrator.metrics().started(type(), latency(job));
            if (!beforeHandler(job)) {
                return;
            }
            filters.each("beforeRun", job, (filter) -> filter.beforeRun(job, this.context));
            Throwable failure = null;
            try {
                Object payload = this.orchestrator.codec()
                    .read(job.id(), job.type(), this.handler.payloadType(), job.payload());
                armTimeout();
                this.handler.handler().handle(payload, this.context);
            }
            catch (Throwable thrown) {
                failure = thrown;
            }
            Throwable outcome = failureForAfterRun(failure);
            filters.each("afterRun", job, (filter) -> filter.afterRun(job, this.context, outcome));
            // The handler returned: its outcome is decided by it, and the next waiting job may take the worker while
            // this outcome is written.
            returned();
            this.orchestrator.handlerReturned(this);
            if (failure == null) {
                succeeded();
            }
            else {
                failed(failure);
            }
        }
        catch (Throwable failure) {
            failed(failure);
        }
        finally {
            end(filters, job, scopes);
        }
    }

    /**
     * Returns what the filters' {@code afterRun} is told: the timeout's failure when the timeout decided the outcome
     * (the handler then returned, or threw on its interrupt), else what the handler threw.
     */
    private @Nullable Throwable failureForAfterRun(@Nullable Throwable thrown) {
        synchronized (this) {
            return (this.timedOutWith != null) ? this.timedOutWith : thrown;
        }
    }

    /**
     * Marks the handler as returned before the worker's slot is freed: the timeout is disarmed, and a timeout or a
     * shutdown that comes between now and the decision of the outcome changes nothing (the slot's freeing starts the
     * next job, which may take a while, a thread's creation or the give-back of a withdrawn attempt), so that a
     * handler that succeeded is not recorded as timed out or given back.
     */
    private void returned() {
        disarmTimeout();
        synchronized (this) {
            this.returned = true;
        }
    }

    /**
     * Ends the attempt on the worker thread, whatever happened before: no timeout, lease loss or shutdown interrupts
     * the thread any more, the interrupt flag is cleared (so that a scope's blocking close works), the scopes are
     * closed, the MDC of the job removed and the worker's slot freed, even when a scope's close throws an error.
     */
    private void end(JobFilters filters, Job job, List<JobFilters.OpenScope> scopes) {
        try {
            disarmTimeout();
            synchronized (this) {
                this.ending = true;
            }
            Thread.interrupted();
            filters.close(job, scopes);
        }
        finally {
            MDC.remove("quark.job.id");
            MDC.remove("quark.job.type");
            Thread.interrupted();
            this.orchestrator.ended(this);
        }
    }

    /**
     * Handles what a takeover or an earlier cancellation request decides before the handler runs.
     * @return whether to run the handler
     */
    private boolean beforeHandler(Job job) {
        String abandonedBy = this.claimed.abandonedBy();
        if (abandonedBy != null) {
            int abandoned = job.attempt() - 1;
            JobAbandonedException failure = new JobAbandonedException(job.id(), abandoned, abandonedBy);
            this.context.system("WARN", java.util.Objects.requireNonNullElse(failure.getMessage(), failure.toString()));
            if (!this.handler.retryPolicy().shouldRetry(failure, abandoned)) {
                JobError error = JobError.of(failure);
                deadLettered(new JobTransition(JobStatus.DEAD_LETTERED, null, error, false), error);
                return false;
            }
        }
        // The context also knows of a request made while the job waited prefetched, after its claim was read.
        if (job.cancelRequested() || this.context.isCancellationRequested()) {
            decide(new JobTransition(JobStatus.CANCELLED, null, null, false), ExecutionOutcome.CANCELLED, false, NOTHING);
            return false;
        }
        return true;
    }

    private void succeeded() {
        decide(JobTransition.succeeded(), ExecutionOutcome.SUCCEEDED, true, NOTHING);
    }

    private void failed(Throwable failure) {
        boolean stoppingNow;
        synchronized (this) {
            stoppingNow = this.stopping;
        }
        if (stoppingNow) {
            release();
            return;
        }
        if (failure instanceof JobCancelledException && this.context.isCancellationRequested()) {
            this.context.system("INFO", "attempt " + job().attempt() + " stopped after a cancellation request");
            decide(JobTransition.cancelled(), ExecutionOutcome.CANCELLED, false, NOTHING);
            return;
        }
        if (failure instanceof LeaseLostException lost && lost.getResource().equals(lease().resource())) {
            leaseLost(LeaseLoss.RENEWAL_REFUSED);
            return;
        }
        fail(failure);
    }

    private void fail(Throwable failure) {
        Job job = job();
        JobError error = JobError.of(failure);
        if (this.handler.retryPolicy().shouldRetry(failure, job.attempt())) {
            Duration backoff = this.handler.retryPolicy().backoff(job.attempt(), this.orchestrator.random());
            Instant retryAt = this.orchestrator.clock().instant().plus(backoff);
            this.context.system("WARN", "attempt " + job.attempt() + " failed (" + error + "); retrying at " + retryAt);
            decide(JobTransition.retry(retryAt, error), ExecutionOutcome.RETRIED, false, () -> {
                this.orchestrator.jobDueLater(type(), retryAt);
                this.orchestrator.filters().each("onFailure", job, (filter) -> filter.onFailure(job, error, retryAt));
            });
        }
        else {
            String why = this.handler.retryPolicy().isRetryable(failure) ? "no attempts left" : "not retryable";
            this.context.system("ERROR", "attempt " + job.attempt() + " failed (" + error + "); dead-lettered: " + why);
            deadLettered(JobTransition.deadLetter(error), error);
        }
    }

    private void deadLettered(JobTransition transition, JobError error) {
        Job job = job();
        decide(transition, ExecutionOutcome.DEAD_LETTERED, false,
                () -> this.orchestrator.filters().each("onDeadLetter", job, (filter) -> filter.onDeadLetter(job, error)));
    }

    /**
     * Ends the attempt because it ran past its timeout: interrupts the handler's thread and records the failure.
     */
    void timedOut() {
        Thread running;
        Job job = job();
        JobTimeoutException failure;
        synchronized (this) {
            // Returned: the handler's outcome is decided, though maybe not yet written; a late timer changes nothing.
            if (this.decided || this.returned) {
                return;
            }
            running = this.thread;
            failure = new JobTimeoutException(job.id(), job.type(), job.attempt(),
                    job.timeoutOr(this.handler.timeout()));
            this.timedOutWith = failure;
        }
        logger.warn("{}", failure.getMessage());
        // The worker thread may still be in the handler: onFailure / onDeadLetter run here, with the job's MDC
        // but without the scopes of openScope, which belong to the worker thread.
        MDC.put("quark.job.id", job.id().toString());
        MDC.put("quark.job.type", job.type());
        try {
            fail(failure);
        }
        finally {
            MDC.remove("quark.job.id");
            MDC.remove("quark.job.type");
            interrupt(running);
        }
    }

    /**
     * Interrupts the handler's thread, unless its handler returned or the attempt is ending there already: from then
     * on an interrupt would only disturb the freeing of the slot, the write of the outcome or the closing of the scopes.
     */
    private void interrupt(@Nullable Thread running) {
        synchronized (this) {
            if (running != null && running != Thread.currentThread() && !this.ending && !this.returned) {
                running.interrupt();
            }
        }
    }

    /**
     * Ends the attempt because the worker lost the job's lease: interrupts the handler's thread (unless it returned),
     * writes nothing. Also once the handler returned, until its outcome is decided: that write would be refused.
     * @param loss how it was lost
     */
    void leaseLost(LeaseLoss loss) {
        Thread running;
        synchronized (this) {
            if (this.decided) {
                return;
            }
            this.decided = true;
            running = this.thread;
        }
        logger.warn("Lost the lease of job {} ({}, attempt {}): {}; its handler is interrupted and another worker may run "
                + "it again", job().id(), type(), job().attempt(), loss);
        this.orchestrator.metrics().finished(type(), ExecutionOutcome.LEASE_LOST, elapsed());
        this.orchestrator.releaseLease(lease());
        interrupt(running);
    }

    /**
     * Starts the attempt on the worker thread, as late as possible: right before its first effect (the metrics, a
     * takeover's or a cancellation's outcome, the filters' {@code beforeRun}, the handler). An attempt whose lease was
     * lost since a worker took it, or that was withdrawn or stopped meanwhile, does not start: it never ran, so its job
     * is given back when its thread ends ({@link JobOrchestrator#ended}), its attempt not counted.
     * @return whether to go on with the attempt
     */
    private boolean start() {
        if (!this.orchestrator.keeps(lease())) {
            if (withdraw()) {
                logger.warn("Lost the lease of job {} ({}) before its attempt started; given back unless another "
                        + "worker took it over", job().id(), type());
            }
            return false;
        }
        synchronized (this) {
            // Stopping: the worker shuts down and gives the job back (stop()), so the handler must not start on it.
            if (this.decided || this.stopping) {
                return false;
            }
            this.started = true;
            return true;
        }
    }

    /**
     * Returns whether the attempt started ({@link #start()}): its handler ran, or was about to.
     * @return whether it started
     */
    boolean started() {
        synchronized (this) {
            return this.started;
        }
    }

    /**
     * Withdraws the attempt before it started, its lease lost: no outcome is recorded for it, and its job is given
     * back, its attempt not counted, once its thread ended ({@link #takeWithdrawn()}).
     * @return whether it was withdrawn; {@code false} when it started or an outcome was decided already
     */
    boolean withdraw() {
        synchronized (this) {
            if (this.decided || this.started) {
                return false;
            }
            this.decided = true;
            this.withdrawn = true;
            return true;
        }
    }

    /**
     * Takes the job of a withdrawn attempt, once, to give it back.
     * @return the claimed job, or {@code null} when the attempt was not withdrawn or its job was taken already
     */
    @Nullable ClaimedJob takeWithdrawn() {
        synchronized (this) {
            if (!this.withdrawn) {
                return null;
            }
            this.withdrawn = false;
        }
        return this.claimed;
    }

    /**
     * Asks the attempt to stop because the worker shuts down: interrupts the handler's thread and gives the job
     * back, its attempt not counted.
     */
    void stop() {
        Thread running;
        synchronized (this) {
            // Returned: the outcome the handler gave is written (close waits for the attempts writing theirs).
            if (this.decided || this.returned) {
                return;
            }
            this.stopping = true;
            running = this.thread;
        }
        release();
        interrupt(running);
    }

    private void release() {
        this.context.system("WARN", "attempt " + job().attempt() + " stopped: its worker '" + lease().owner()
                + "' shut down; the job is enqueued again");
        decide(JobTransition.released(this.orchestrator.clock().instant()), ExecutionOutcome.RELEASED, false, NOTHING);
    }

    /**
     * Records the attempt's outcome, unless another was decided before. An outcome whose write fails because the store
     * cannot be reached is kept by the node ({@link UnwrittenOutcomes}) and written again while its lease lasts; the
     * attempt's handling of the outcome, and {@code recorded}, then run once it is written.
     * @param recorded run once the outcome is recorded (at once, or later for a kept outcome)
     */
    private void decide(JobTransition transition, ExecutionOutcome outcome, boolean succeeded, Runnable recorded) {
        synchronized (this) {
            if (this.decided) {
                return;
            }
            this.decided = true;
        }
        JobReport report = this.context.finalReport(succeeded);
        Duration elapsed = elapsed();
        JobOutcome written = new JobOutcome(job().id(), lease(), transition, report, this.orchestrator.clock().instant());
        RuntimeException refused = this.orchestrator.outcomes().write(written);
        if (refused != null && ConnectionFailures.isConnectionFailure(refused) && this.orchestrator.unwrittenOutcomes()
            .keep(written, refused, (result) -> settleKept(transition, outcome, elapsed, result, recorded))) {
            logger.warn("Job {} ({}) could not be recorded as {}: the store could not be reached; the outcome is kept "
                    + "and written again until the store answers or the job's lease is lost", job().id(), type(),
                    transition.status(), refused);
            return;
        }
        settle(transition, outcome, elapsed, refused, recorded);
    }

    /**
     * Handles what the last write of a kept outcome gave, on the writing thread, with the job's MDC as on its worker.
     */
    private void settleKept(JobTransition transition, ExecutionOutcome outcome, Duration elapsed,
            @Nullable RuntimeException refused, Runnable recorded) {
        MDC.put("quark.job.id", job().id().toString());
        MDC.put("quark.job.type", type());
        try {
            settle(transition, outcome, elapsed, refused, recorded);
        }
        finally {
            MDC.remove("quark.job.id");
            MDC.remove("quark.job.type");
        }
    }

    /**
     * Handles what the write of the outcome gave: {@code null} when it is recorded, why not otherwise.
     */
    private void settle(JobTransition transition, ExecutionOutcome outcome, Duration elapsed,
            @Nullable RuntimeException refused, Runnable recorded) {
        if (refused == null) {
            this.orchestrator.metrics().finished(type(), outcome, elapsed);
        }
        else if (refused instanceof LeaseLostException) {
            logger.warn("Job {} ({}) could not be recorded as {}: its lease was lost, another worker may run it", job().id(),
                    type(), transition.status());
            this.orchestrator.metrics().finished(type(), ExecutionOutcome.LEASE_LOST, elapsed);
        }
        boolean unreachable = refused != null && ConnectionFailures.isConnectionFailure(refused);
        if (unreachable) {
            logger.error("Job {} ({}) could not be recorded as {}: the store could not be reached; it stays RUNNING "
                    + "and runs again once its lease expires", job().id(), type(), transition.status(), refused);
        }
        else if (refused != null && !(refused instanceof LeaseLostException)) {
            logger.error("Job {} ({}) could not be recorded as {}: the store refused the write; it runs again once its "
                    + "lease is free", job().id(), type(), transition.status(), refused);
        }
        if (refused == null) {
            this.orchestrator.outcomeRecorded(lease());
        }
        else if (unreachable) {
            // Not released: the job's record still says RUNNING under this lease, and releasing it would let a claim
            // take the job over at once (or wait out a connection timeout itself); it expires.
            this.orchestrator.leaveLease(lease());
        }
        else {
            this.orchestrator.releaseLease(lease());
        }
        if (refused == null && transition.status().isFinished()) {
            try {
                this.orchestrator.outcomeListener().finished(job(), transition.status());
            }
            catch (RuntimeException ex) {
                logger.warn("The outcome listener of job {} ({}) failed", job().id(), type(), ex);
            }
        }
        if (refused == null) {
            recorded.run();
        }
    }

    private void armTimeout() {
        Instant at = this.orchestrator.clock().instant().plus(job().timeoutOr(this.handler.timeout()));
        LeaseKeeper.Scheduler.Cancellable timer = this.orchestrator.scheduler()
            .schedule(at, () -> this.orchestrator.runAsync(this::timedOut));
        synchronized (this) {
            this.timeout = timer;
        }
    }

    private void disarmTimeout() {
        LeaseKeeper.Scheduler.Cancellable timer;
        synchronized (this) {
            timer = this.timeout;
            this.timeout = null;
        }
        if (timer != null) {
            timer.cancel();
        }
    }

    private Duration elapsed() {
        Duration elapsed = Duration.between(this.startedAt, this.orchestrator.clock().instant());
        return elapsed.isNegative() ? Duration.ZERO : elapsed;
    }

    private static Duration latency(Job job) {
        Instant started = job.startedAt();
        if (started == null) {
            return Duration.ZERO;
        }
        Duration latency = Duration.between(job.dueAt(), started);
        return latency.isNegative() ? Duration.ZERO : latency;
    }

    @Override
    public String toString() {
        return "JobExecution[" + job().id() + ", " + type() + ", attempt " + job().attempt() + "]";
    }
}
