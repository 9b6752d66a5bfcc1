package dev.quark.autoconfigure.durabletasks;

import java.time.Duration;

import dev.quark.autoconfigure.PropertyChecks;
import dev.quark.autoconfigure.backend.QuarkBackend;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration of durable tasks: where instances and histories are kept, and how this application's worker runs
 * orchestration steps and activities.
 */
@ConfigurationProperties(QuarkDurableTasksProperties.PREFIX)
public class QuarkDurableTasksProperties implements InitializingBean {

    static final String PREFIX = "quark.durabletasks";

    private static final PropertyChecks CHECKS = new PropertyChecks(PREFIX);

    /**
     * Where instances, histories and queues are kept: memory or postgres. Defaults to quark.backend.
     */
    private @Nullable QuarkBackend backend;

    /**
     * How many running instances a worker keeps between steps, so that their next step continues the code where it
     * waits instead of replaying the history; 0 keeps none (every step replays). Defaults to 1000 on Java 24 and
     * later and to 0 before: before Java 24 (JEP 491) a virtual thread parked inside synchronized code pins its
     * carrier thread, and kept code stays parked between steps (-Djdk.tracePinnedThreads=full shows pinned threads).
     */
    private @Nullable Integer instanceCacheSize;

    private final Worker worker = new Worker();

    private final History history = new History();

    private final Postgres postgres = new Postgres();

    private final Redis redis = new Redis();

    public @Nullable QuarkBackend getBackend() {
        return this.backend;
    }

    public void setBackend(@Nullable QuarkBackend backend) {
        this.backend = backend;
    }

    public @Nullable Integer getInstanceCacheSize() {
        return this.instanceCacheSize;
    }

    public void setInstanceCacheSize(@Nullable Integer instanceCacheSize) {
        this.instanceCacheSize = instanceCacheSize;
    }

    public Worker getWorker() {
        return this.worker;
    }

    public Redis getRedis() {
        return this.redis;
    }

    public Postgres getPostgres() {
        return this.postgres;
    }

    public History getHistory() {
        return this.history;
    }

    /**
     * Rejects values the worker cannot work with; the failure names the property.
     * @throws InvalidConfigurationPropertyValueException for the first invalid property
     */
    @Override
    public void afterPropertiesSet() {
        CHECKS.positive("worker.max-concurrent-steps", this.worker.maxConcurrentSteps);
        CHECKS.positive("worker.max-concurrent-activities", this.worker.maxConcurrentActivities);
        CHECKS.positive("worker.poll-interval", this.worker.pollInterval);
        CHECKS.positive("worker.lease-duration", this.worker.leaseDuration);
        CHECKS.positive("worker.step-timeout", this.worker.stepTimeout);
        CHECKS.positive("worker.shutdown-timeout", this.worker.shutdownTimeout);
        CHECKS.positive("history.warn-events", this.history.warnEvents);
        if (this.instanceCacheSize != null && this.instanceCacheSize < 0) {
            throw CHECKS.invalid("instance-cache-size", this.instanceCacheSize,
                    "must not be negative (0 keeps no instances between steps)");
        }
        if (this.history.maxEvents <= this.history.warnEvents) {
            throw CHECKS.invalid("history.max-events", this.history.maxEvents,
                    "must be greater than quark.durabletasks.history.warn-events (" + this.history.warnEvents + ")");
        }
        String owner = this.worker.owner;
        if (owner != null && (owner.isBlank() || owner.length() > 255)) {
            throw CHECKS.invalid("worker.owner", owner,
                    "must not be blank and have at most 255 characters");
        }
    }

    /**
     * The worker that runs orchestration steps and activity attempts in this application.
     */
    public static class Worker {

        /**
         * Whether this application runs a worker. Without one it only schedules and manages instances through the
         * DurableTaskClient, for workers elsewhere that share the store.
         */
        private boolean enabled = true;

        /**
         * Who the worker's leases are held by; unique per worker. The JVM's name and a random suffix when not set.
         */
        private @Nullable String owner;

        /**
         * How many orchestration steps may run at once.
         */
        private int maxConcurrentSteps = 16;

        /**
         * How many activity attempts may run at once.
         */
        private int maxConcurrentActivities = 64;

        /**
         * How often the worker looks for work it was not told of: work queued by other applications without a
         * notification is found within this interval; durable timers, delayed starts and later retries run when they
         * come due (the worker looks for the next one after each poll that leaves it room), or within this interval
         * with a store that cannot tell.
         */
        private Duration pollInterval = Duration.ofSeconds(1);

        /**
         * How long a claim on a step or an activity lasts unless renewed: a worker that dies holds its work this long
         * at most.
         */
        private Duration leaseDuration = Duration.ofSeconds(30);

        /**
         * How long an orchestration's code may take for one step; past it the instance fails with an
         * OrchestrationBlockedException, since the code blocks outside the OrchestrationContext.
         */
        private Duration stepTimeout = Duration.ofSeconds(30);

        /**
         * How long stopping the application waits for running steps and activities before interrupting them.
         */
        private Duration shutdownTimeout = Duration.ofSeconds(30);

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public @Nullable String getOwner() {
            return this.owner;
        }

        public void setOwner(@Nullable String owner) {
            this.owner = owner;
        }

        public int getMaxConcurrentSteps() {
            return this.maxConcurrentSteps;
        }

        public void setMaxConcurrentSteps(int maxConcurrentSteps) {
            this.maxConcurrentSteps = maxConcurrentSteps;
        }

        public int getMaxConcurrentActivities() {
            return this.maxConcurrentActivities;
        }

        public void setMaxConcurrentActivities(int maxConcurrentActivities) {
            this.maxConcurrentActivities = maxConcurrentActivities;
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

        public Duration getStepTimeout() {
            return this.stepTimeout;
        }

        public void setStepTimeout(Duration stepTimeout) {
            this.stepTimeout = stepTimeout;
        }

        public Duration getShutdownTimeout() {
            return this.shutdownTimeout;
        }

        public void setShutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = shutdownTimeout;
        }
    }

    /**
     * Limits on the length of an instance's history.
     */
    public static class History {

        /**
         * History length past which a warning is logged.
         */
        private int warnEvents = 10_000;

        /**
         * History length past which an instance fails; long-lived orchestrations use continueAsNew.
         */
        private int maxEvents = 50_000;

        public int getWarnEvents() {
            return this.warnEvents;
        }

        public void setWarnEvents(int warnEvents) {
            this.warnEvents = warnEvents;
        }

        public int getMaxEvents() {
            return this.maxEvents;
        }

        public void setMaxEvents(int maxEvents) {
            this.maxEvents = maxEvents;
        }
    }

    /**
     * The PostgreSQL backend: how nodes wake each other's workers.
     */
    public static class Postgres {

        /**
         * Whether a write that makes work due for any worker (an instance scheduled to start now, an event raised, a
         * step that queued activity calls it could not take itself, sent messages or started sub-orchestrations)
         * notifies the other nodes (pg_notify after it committed, from a sending connection of the node's own), and
         * whether this node's worker listens to such notifications to poll at once instead of at its next poll.
         * Costs per node one connection held for listening (with a worker) and one for sending, shared with the
         * jobs'. Turn it off behind PgBouncer in transaction pooling mode, which cannot keep a session LISTENing.
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
         * Whether a write that makes work due for any worker (an instance scheduled, an event raised, a step that
         * queued activity calls, sent messages or started sub-orchestrations, an activity call retried at once) or
         * visible later (a delayed start, a timer, a retry after a backoff; the notice carries the time) publishes a
         * notice on the channel {prefix}{durabletasks}:work (from the script that writes it), and whether this node's
         * worker subscribes to it (on the node's one subscribed connection, shared with the jobs and the cluster
         * membership) to poll at once, or when the work comes due, instead of at its next poll. On by default: a
         * PUBLISH costs Redis one more command, no lock. Pub/sub is fire and forget: a node not subscribed at that
         * moment finds the work at its next poll.
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
