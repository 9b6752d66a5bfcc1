package dev.quark.autoconfigure.jobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import dev.quark.autoconfigure.PropertyChecks;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.jobs.JobDraft;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.filter.MdcJobFilter;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration of durable jobs: where they are kept, how many run at once on this node, and the defaults of every
 * job type (timeout, retries). The defaults are written out, so that the configuration metadata shows them; a test
 * checks that they equal the library's.
 */
@ConfigurationProperties(QuarkJobsProperties.PREFIX)
public class QuarkJobsProperties implements InitializingBean {

    static final String PREFIX = "quark.jobs";

    private static final PropertyChecks CHECKS = new PropertyChecks(PREFIX);

    /**
     * Where jobs are kept: memory, redis or postgres. Defaults to quark.backend.
     */
    private @Nullable QuarkBackend backend;

    /**
     * How many jobs this node runs at once, each on a virtual thread. 0 makes this node only enqueue: it runs no
     * job.
     */
    private int workers = 4;

    /**
     * How many jobs this node may claim beyond its free workers, to wait leased until a worker frees, so that a claim
     * brings a batch. Waiting jobs are not run by other nodes meanwhile. Types with a concurrency limit are never
     * claimed beyond it. Set, it stays fixed; unset, it is adaptive: sized from the jobs the workers finish per
     * second times a claim's round trip, from 1 (long-running jobs) to quark.jobs.max-prefetch (a backlog of short
     * jobs), starting at the worker count.
     */
    private @Nullable Integer prefetch;

    /**
     * The most jobs the adaptive prefetch claims beyond the free workers (when quark.jobs.prefetch is unset; ignored
     * when it is set). Defaults to 4 times the worker count.
     */
    private @Nullable Integer maxPrefetch;

    /**
     * How often the store is polled for due jobs. A job enqueued on this node wakes its workers at once, and on
     * PostgreSQL one enqueued on another node too unless quark.jobs.postgres.notify-enabled is false, on Redis
     * unless quark.jobs.redis.notify-enabled is false.
     */
    private Duration pollInterval = Duration.ofSeconds(1);

    /**
     * How long a claim on a job lasts unless its worker renews it (a third of it apart): how long after a node stops
     * its running jobs are taken over by another node.
     */
    private Duration leaseDuration = Duration.ofSeconds(30);

    /**
     * How long one attempt of a job may run before its thread is interrupted and the attempt fails, for job types
     * whose handler does not say.
     */
    private Duration timeout = Duration.ofHours(1);

    /**
     * How long shutdown waits for running jobs before it interrupts them and enqueues them again.
     */
    private Duration shutdownTimeout = Duration.ofSeconds(30);

    /**
     * How many log lines each job keeps, the latest.
     */
    private int logLimit = 100;

    /**
     * Name of this node in the leases and jobs it claims; unique among the nodes sharing the store. Host name,
     * process id and a random suffix when not set.
     */
    private @Nullable String nodeId;

    private final Retry retry = new Retry();

    private final Retention retention = new Retention();

    private final Recurring recurring = new Recurring();

    private final Workflows workflows = new Workflows();

    private final Context context = new Context();

    private final Tracing tracing = new Tracing();

    private final Postgres postgres = new Postgres();

    private final Redis redis = new Redis();

    public @Nullable QuarkBackend getBackend() {
        return this.backend;
    }

    public void setBackend(@Nullable QuarkBackend backend) {
        this.backend = backend;
    }

    public int getWorkers() {
        return this.workers;
    }

    public void setWorkers(int workers) {
        this.workers = workers;
    }

    public @Nullable Integer getPrefetch() {
        return this.prefetch;
    }

    public void setPrefetch(@Nullable Integer prefetch) {
        this.prefetch = prefetch;
    }

    public @Nullable Integer getMaxPrefetch() {
        return this.maxPrefetch;
    }

    public void setMaxPrefetch(@Nullable Integer maxPrefetch) {
        this.maxPrefetch = maxPrefetch;
    }

    public Duration getPollInterval() {
        return this.pollInterval;
    }

    public void setPollInterval(Duration pollInterval) {
        this.pollInterval = pollInterval;
    }

    public Duration getLeaseDuration() {
        return this.leaseDuration;
    }

    public void setLeaseDuration(Duration leaseDuration) {
        this.leaseDuration = leaseDuration;
    }

    public Duration getTimeout() {
        return this.timeout;
    }

    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    public Duration getShutdownTimeout() {
        return this.shutdownTimeout;
    }

    public void setShutdownTimeout(Duration shutdownTimeout) {
        this.shutdownTimeout = shutdownTimeout;
    }

    public int getLogLimit() {
        return this.logLimit;
    }

    public void setLogLimit(int logLimit) {
        this.logLimit = logLimit;
    }

    public @Nullable String getNodeId() {
        return this.nodeId;
    }

    public void setNodeId(@Nullable String nodeId) {
        this.nodeId = nodeId;
    }

    public Retry getRetry() {
        return this.retry;
    }

    public Retention getRetention() {
        return this.retention;
    }

    public Recurring getRecurring() {
        return this.recurring;
    }

    public Workflows getWorkflows() {
        return this.workflows;
    }

    /**
     * Returns how long jobs of each finished status are kept, for those that are not kept until purged.
     * @return the retentions
     */
    public Map<JobStatus, Duration> retentions() {
        Map<JobStatus, Duration> keepFor = new EnumMap<>(JobStatus.class);
        keep(keepFor, JobStatus.SUCCEEDED, this.retention.succeeded);
        keep(keepFor, JobStatus.CANCELLED, this.retention.cancelled);
        keep(keepFor, JobStatus.DEAD_LETTERED, this.retention.deadLettered);
        return keepFor;
    }

    public Context getContext() {
        return this.context;
    }

    public Tracing getTracing() {
        return this.tracing;
    }

    public Postgres getPostgres() {
        return this.postgres;
    }

    public Redis getRedis() {
        return this.redis;
    }

    /**
     * Returns the retry policy of job types whose handler does not give one.
     * @return the policy
     */
    public RetryPolicy retryPolicy() {
        return RetryPolicy.builder()
            .maxAttempts(this.retry.maxAttempts)
            .backoff(this.retry.initialBackoff, this.retry.multiplier, this.retry.maxBackoff)
            .jitter(this.retry.jitter)
            .build();
    }

    private static void keep(Map<JobStatus, Duration> keepFor, JobStatus status, @Nullable Duration retention) {
        if (retention != null && !retention.isNegative()) {
            keepFor.put(status, retention);
        }
    }

    /**
     * Rejects values the jobs cannot work with; the failure names the property and its value.
     * @throws InvalidConfigurationPropertyValueException for the first invalid value
     */
    @Override
    public void afterPropertiesSet() {
        if (this.workers < 0) {
            throw CHECKS.invalid("workers", this.workers, "must not be negative");
        }
        if (this.prefetch != null && this.prefetch < 0) {
            throw CHECKS.invalid("prefetch", this.prefetch, "must not be negative");
        }
        if (this.maxPrefetch != null && this.maxPrefetch < 1) {
            throw CHECKS.invalid("max-prefetch", this.maxPrefetch, "must be at least 1");
        }
        CHECKS.positive("poll-interval", this.pollInterval);
        CHECKS.positive("lease-duration", this.leaseDuration);
        if (this.leaseDuration.compareTo(Duration.ofMillis(30)) < 0) {
            throw CHECKS.invalid("lease-duration", this.leaseDuration, "must be at least 30ms");
        }
        CHECKS.positive("timeout", this.timeout);
        if (this.shutdownTimeout.isNegative()) {
            throw CHECKS.invalid("shutdown-timeout", this.shutdownTimeout, "must not be negative");
        }
        if (this.logLimit < 0) {
            throw CHECKS.invalid("log-limit", this.logLimit, "must not be negative");
        }
        if (this.nodeId != null && (this.nodeId.isBlank() || this.nodeId.length() > 255)) {
            throw CHECKS.invalid("node-id", this.nodeId, "must not be blank and have at most 255 characters");
        }
        if (this.retry.maxAttempts < 1) {
            throw CHECKS.invalid("retry.max-attempts", this.retry.maxAttempts, "must be at least 1");
        }
        if (this.retry.initialBackoff.isNegative()) {
            throw CHECKS.invalid("retry.initial-backoff", this.retry.initialBackoff, "must not be negative");
        }
        if (!(this.retry.multiplier >= 1.0) || Double.isInfinite(this.retry.multiplier)) {
            throw CHECKS.invalid("retry.multiplier", this.retry.multiplier, "must be at least 1");
        }
        if (this.retry.maxBackoff.compareTo(this.retry.initialBackoff) < 0) {
            throw CHECKS.invalid("retry.max-backoff", this.retry.maxBackoff, "must not be shorter than retry.initial-backoff");
        }
        if (!(this.retry.jitter >= 0 && this.retry.jitter <= 1)) {
            throw CHECKS.invalid("retry.jitter", this.retry.jitter, "must be between 0 and 1");
        }
        CHECKS.positive("retention.interval", this.retention.interval);
        CHECKS.positive("recurring.poll-interval", this.recurring.pollInterval);
        CHECKS.positive("recurring.misfire-threshold", this.recurring.misfireThreshold);
        CHECKS.positive("workflows.sweep-interval", this.workflows.sweepInterval);
        for (String key : this.context.mdcKeys) {
            String problem = MdcJobFilter.problemWith(key);
            if (problem != null) {
                throw CHECKS.invalid("context.mdc-keys", MdcJobFilter.printable(key), "cannot be carried with jobs: " + problem);
            }
        }
        long distinct = this.context.mdcKeys.stream().distinct().count();
        if (distinct > JobDraft.MAX_METADATA_ENTRIES) {
            throw CHECKS.invalid("context.mdc-keys", distinct + " keys", "must name at most " + JobDraft.MAX_METADATA_ENTRIES
                    + " keys: a job carries at most " + JobDraft.MAX_METADATA_ENTRIES + " metadata entries");
        }
    }

    /**
     * The retry policy of job types whose handler does not give one.
     */
    public static class Retry {

        /**
         * How many attempts a job gets, the first included.
         */
        private int maxAttempts = 5;

        /**
         * How long a job waits after its first failed attempt; each later wait is multiplier times longer.
         */
        private Duration initialBackoff = Duration.ofSeconds(10);

        /**
         * What each wait between attempts is multiplied by for the next. At least 1.
         */
        private double multiplier = 2.0;

        /**
         * Longest wait between two attempts.
         */
        private Duration maxBackoff = Duration.ofHours(1);

        /**
         * Share of each wait by which it is spread at random both ways, so that jobs that failed together do not
         * retry together. 0 to 1.
         */
        private double jitter = 0.2;

        public int getMaxAttempts() {
            return this.maxAttempts;
        }

        public void setMaxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        public Duration getInitialBackoff() {
            return this.initialBackoff;
        }

        public void setInitialBackoff(Duration initialBackoff) {
            this.initialBackoff = initialBackoff;
        }

        public double getMultiplier() {
            return this.multiplier;
        }

        public void setMultiplier(double multiplier) {
            this.multiplier = multiplier;
        }

        public Duration getMaxBackoff() {
            return this.maxBackoff;
        }

        public void setMaxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
        }

        public double getJitter() {
            return this.jitter;
        }

        public void setJitter(double jitter) {
            this.jitter = jitter;
        }
    }

    /**
     * How long finished jobs are kept before they are deleted. A negative retention (such as -1) keeps the jobs of
     * its status until they are purged (JobQueue.purge).
     */
    public static class Retention {

        /**
         * How long succeeded jobs are kept after they finished. Negative to keep them until purged.
         */
        private Duration succeeded = Duration.ofHours(36);

        /**
         * How long cancelled jobs are kept after they were cancelled. Negative to keep them until purged.
         */
        private Duration cancelled = Duration.ofHours(36);

        /**
         * How long dead-lettered jobs are kept after they failed for the last time. Kept until requeued or purged
         * when not set or negative.
         */
        private @Nullable Duration deadLettered;

        /**
         * How often finished jobs past their retention are deleted.
         */
        private Duration interval = Duration.ofMinutes(10);

        public Duration getSucceeded() {
            return this.succeeded;
        }

        public void setSucceeded(Duration succeeded) {
            this.succeeded = succeeded;
        }

        public Duration getCancelled() {
            return this.cancelled;
        }

        public void setCancelled(Duration cancelled) {
            this.cancelled = cancelled;
        }

        public @Nullable Duration getDeadLettered() {
            return this.deadLettered;
        }

        public void setDeadLettered(@Nullable Duration deadLettered) {
            this.deadLettered = deadLettered;
        }

        public Duration getInterval() {
            return this.interval;
        }

        public void setInterval(Duration interval) {
            this.interval = interval;
        }
    }

    /**
     * Recurring jobs: how often this node looks for scheduled instants that have come, and when an instant counts as
     * missed.
     */
    public static class Recurring {

        /**
         * Whether this node enqueues the jobs of recurring jobs whose instant has come. Any number of nodes may: each
         * instant is enqueued once.
         */
        private boolean enabled = true;

        /**
         * How often this node looks for recurring jobs whose instant has come: a job is enqueued at most this long
         * after its instant, due at the instant.
         */
        private Duration pollInterval = Duration.ofSeconds(1);

        /**
         * How late an instant may be looked at and still run as scheduled; later, it was missed (every node was down)
         * and the recurring job's misfire policy decides (RUN_ONCE by default: one run for all missed instants).
         */
        private Duration misfireThreshold = Duration.ofMinutes(1);

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Duration getPollInterval() {
            return this.pollInterval;
        }

        public void setPollInterval(Duration pollInterval) {
            this.pollInterval = pollInterval;
        }

        public Duration getMisfireThreshold() {
            return this.misfireThreshold;
        }

        public void setMisfireThreshold(Duration misfireThreshold) {
            this.misfireThreshold = misfireThreshold;
        }
    }

    /**
     * Job workflows: how this node catches up with workflows whose steps finished without their dependents being
     * released (a node stopped in between).
     */
    public static class Workflows {

        /**
         * Whether this node sweeps the active workflows. Any number of nodes may: releasing a step twice stores one
         * job.
         */
        private boolean sweepEnabled = true;

        /**
         * How often this node advances every active workflow: how long at most a step waits after its dependencies
         * finished when the node that ran the last of them stopped before releasing it.
         */
        private Duration sweepInterval = Duration.ofSeconds(10);

        public boolean isSweepEnabled() {
            return this.sweepEnabled;
        }

        public void setSweepEnabled(boolean sweepEnabled) {
            this.sweepEnabled = sweepEnabled;
        }

        public Duration getSweepInterval() {
            return this.sweepInterval;
        }

        public void setSweepInterval(Duration sweepInterval) {
            this.sweepInterval = sweepInterval;
        }
    }

    /**
     * Context carried from the thread that enqueues a job to the workers that run it, in the job's metadata.
     */
    public static class Context {

        /**
         * MDC keys whose values are stored with each job enqueued on this node and put back in the MDC around its
         * attempts (the MdcJobFilter bean), such as requestId, tenant, traceId, spanId. At most 64 keys, each not
         * blank, at most 96 characters, without control characters and not starting with "quark.job." (the job's own
         * MDC). None by default.
         */
        private List<String> mdcKeys = new ArrayList<>();

        public List<String> getMdcKeys() {
            return this.mdcKeys;
        }

        public void setMdcKeys(List<String> mdcKeys) {
            this.mdcKeys = mdcKeys;
        }
    }

    /**
     * Trace context carried with jobs when the application traces with Micrometer Tracing.
     */
    public static class Tracing {

        /**
         * Whether jobs carry the enqueuing thread's trace context to the workers and each attempt runs in a span of
         * its own (the MicrometerTracingJobFilter bean, made when the application has a Micrometer Tracer).
         */
        private boolean enabled = true;

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    /**
     * The PostgreSQL backend: how nodes wake each other's workers.
     */
    public static class Postgres {

        /**
         * Whether an enqueue (or requeue) that makes a job due now, or due later (delayed, or retried after a backoff;
         * the notice carries the due time, and one per type is sent until it comes due unless a job comes due
         * earlier), notifies the other nodes (pg_notify, sent after its transaction commits from a connection of its
         * own, so that the business transaction never notifies), and whether this node's workers listen to such
         * notifications to claim at once, or when the job comes due, instead of at their next poll. Costs per node one
         * connection held for listening (with workers; one per DataSource, shared with the durable tasks and the
         * cluster membership), and one borrowed per batch of notifications sent. Turn it off behind PgBouncer in
         * transaction pooling mode, which cannot keep a session LISTENing.
         */
        private boolean notifyEnabled = true;

        public boolean isNotifyEnabled() {
            return this.notifyEnabled;
        }

        public void setNotifyEnabled(boolean notifyEnabled) {
            this.notifyEnabled = notifyEnabled;
        }
    }

    /**
     * The Redis backend: how nodes wake each other's workers.
     */
    public static class Redis {

        /**
         * Whether a write that makes a job due now (an enqueue, a requeue, a job given back or retried at once) or due
         * later (a delayed enqueue, a retry after a backoff; the message carries the due time) publishes its type on
         * the channel {prefix}{jobs}:due (from the script that writes it), and whether this node's workers subscribe
         * to it (on the node's one subscribed connection, shared with the durable tasks and the cluster membership)
         * to claim at once, or when the job comes due, instead of at their next poll. On by default: a PUBLISH costs
         * Redis one more command, no lock. Pub/sub is fire and forget: a node not subscribed at that moment claims the
         * job at its next poll.
         */
        private boolean notifyEnabled = true;

        public boolean isNotifyEnabled() {
            return this.notifyEnabled;
        }

        public void setNotifyEnabled(boolean notifyEnabled) {
            this.notifyEnabled = notifyEnabled;
        }
    }
}
