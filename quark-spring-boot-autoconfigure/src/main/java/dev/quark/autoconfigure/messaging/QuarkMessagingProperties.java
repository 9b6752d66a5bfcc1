package dev.quark.autoconfigure.messaging;

import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;

import dev.quark.autoconfigure.PropertyChecks;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.messaging.runtime.MessagingRetention;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.runtime.RetryBackoff;
import dev.quark.messaging.store.redis.RedisOutboxStaging;

/**
 * Configuration of the transactional outbox and the idempotent inbox: where messages are kept, how the dispatcher
 * partitions and delivers them, retries, and how long finished messages and inbox records are kept. The defaults are
 * written out, so that the configuration metadata shows them.
 */
@ConfigurationProperties(QuarkMessagingProperties.PREFIX)
public class QuarkMessagingProperties implements InitializingBean {

    static final String PREFIX = "quark.messaging";

    private static final PropertyChecks CHECKS = new PropertyChecks(PREFIX);

    /**
     * Where outbox messages and inbox records are kept: memory, redis or postgres. Defaults to
     * quark.backend.
     */
    private @Nullable QuarkBackend backend;

    /**
     * How many partitions ordering keys hash into; each is delivered by one node at a time. Drain the outbox before
     * changing it.
     */
    private int partitions = 16;

    /**
     * How many messages of a partition one delivery reads at most; a partition whose batch came back full goes on at
     * once with the next.
     */
    private int batchSize = 100;

    /**
     * How often the dispatcher rebalances partitions and starts a delivery for each partition it holds that has none
     * running; a delivery going on with full batches goes on in a new turn, on a new virtual thread, after about this
     * long.
     */
    private Duration pollInterval = Duration.ofMillis(500);

    /**
     * How long a node's claim on a partition lasts unless renewed: how long after a node stops its partitions are
     * taken over.
     */
    private Duration leaseDuration = Duration.ofSeconds(30);

    /**
     * After how many failed delivery attempts a message becomes a dead letter.
     */
    private int maxAttempts = 10;

    /**
     * Name of this node in the partition leases; unique among the nodes sharing the store. Random when not set.
     */
    private @Nullable String nodeId;

    private final Dispatcher dispatcher = new Dispatcher();

    private final Backoff backoff = new Backoff();

    private final Retention retention = new Retention();

    private final Staging staging = new Staging();

    public @Nullable QuarkBackend getBackend() {
        return this.backend;
    }

    public void setBackend(@Nullable QuarkBackend backend) {
        this.backend = backend;
    }

    public int getPartitions() {
        return this.partitions;
    }

    public void setPartitions(int partitions) {
        this.partitions = partitions;
    }

    public int getBatchSize() {
        return this.batchSize;
    }

    public void setBatchSize(int batchSize) {
        this.batchSize = batchSize;
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

    public int getMaxAttempts() {
        return this.maxAttempts;
    }

    public void setMaxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    public @Nullable String getNodeId() {
        return this.nodeId;
    }

    public void setNodeId(@Nullable String nodeId) {
        this.nodeId = nodeId;
    }

    public Dispatcher getDispatcher() {
        return this.dispatcher;
    }

    public Backoff getBackoff() {
        return this.backoff;
    }

    public Staging getStaging() {
        return this.staging;
    }

    public Retention getRetention() {
        return this.retention;
    }

    /**
     * Returns the backoff as the dispatcher takes it.
     * @return the backoff
     */
    public RetryBackoff retryBackoff() {
        return new RetryBackoff(this.backoff.initial, this.backoff.multiplier, this.backoff.max);
    }

    /**
     * Returns the retentions as the retention takes them.
     * @return the retentions
     */
    public MessagingRetention.Retentions retentions() {
        return new MessagingRetention.Retentions(this.retention.delivered, this.retention.deadLetters,
                this.retention.inbox);
    }

    @Override
    public void afterPropertiesSet() {
        if (this.partitions < 1 || this.partitions > Partitioner.MAX_PARTITIONS) {
            throw CHECKS.invalid("partitions", this.partitions, "must be between 1 and " + Partitioner.MAX_PARTITIONS);
        }
        if (this.batchSize < 1) {
            throw CHECKS.invalid("batch-size", this.batchSize, "must be positive");
        }
        CHECKS.positive("poll-interval", this.pollInterval);
        if (this.leaseDuration.compareTo(Duration.ofMillis(30)) < 0) {
            throw CHECKS.invalid("lease-duration", this.leaseDuration, "must be at least 30ms");
        }
        if (this.maxAttempts < 1) {
            throw CHECKS.invalid("max-attempts", this.maxAttempts, "must be at least 1");
        }
        if (this.nodeId != null && (this.nodeId.isBlank() || this.nodeId.length() > 255)) {
            throw CHECKS.invalid("node-id", this.nodeId, "must not be blank and have at most 255 characters");
        }
        CHECKS.positive("backoff.initial", this.backoff.initial);
        if (!(this.backoff.multiplier >= 1.0) || Double.isInfinite(this.backoff.multiplier)) {
            throw CHECKS.invalid("backoff.multiplier", this.backoff.multiplier, "must be at least 1");
        }
        if (this.backoff.max.compareTo(this.backoff.initial) < 0) {
            throw CHECKS.invalid("backoff.max", this.backoff.max, "must not be shorter than backoff.initial");
        }
        CHECKS.positive("retention.delivered", this.retention.delivered);
        CHECKS.positive("retention.dead-letters", this.retention.deadLetters);
        CHECKS.positive("retention.inbox", this.retention.inbox);
        CHECKS.positive("retention.interval", this.retention.interval);
        CHECKS.positive("staging.sweep-interval", this.staging.sweepInterval);
        CHECKS.positive("staging.grace", this.staging.grace);
    }

    /**
     * Returns how long after its move a message staged on a Redis Cluster may be appended again by the re-check, at
     * most: as long as the outbox keeps delivered messages and dead letters, whichever is shorter, so that no message
     * deleted by retention is appended again.
     * @return the maximum age
     * @throws org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException when the
     * staging grace period is not shorter, naming both, or when the index's rebuild period (the sweep interval times
     * {@value RedisOutboxStaging#REINDEX_EVERY}) is not shorter than the maximum age less the grace period: a moved
     * message whose area's index entry a failover lost is re-checked only after the next rebuild
     */
    public Duration stagingMaxAge() {
        Duration maxAge = (this.retention.delivered.compareTo(this.retention.deadLetters) <= 0)
                ? this.retention.delivered : this.retention.deadLetters;
        if (this.staging.grace.compareTo(maxAge) >= 0) {
            throw CHECKS.invalid("staging.grace", this.staging.grace,
                    "must be shorter than retention.delivered (" + this.retention.delivered
                            + ") and retention.dead-letters (" + this.retention.deadLetters
                            + ") on the redis backend");
        }
        Duration rebuild = this.staging.sweepInterval.multipliedBy(RedisOutboxStaging.REINDEX_EVERY);
        if (rebuild.compareTo(maxAge.minus(this.staging.grace)) >= 0) {
            throw CHECKS.invalid("staging.sweep-interval", this.staging.sweepInterval,
                    "times " + RedisOutboxStaging.REINDEX_EVERY + " (the staging index's rebuild period, " + rebuild
                            + ") must be shorter than the shorter of retention.delivered (" + this.retention.delivered
                            + ") and retention.dead-letters (" + this.retention.deadLetters + ") less staging.grace ("
                            + this.staging.grace + ") on the redis backend");
        }
        return maxAge;
    }

    /**
     * The dispatcher of this node.
     */
    public static class Dispatcher {

        /**
         * Whether this node delivers outbox messages. Off makes it only enqueue.
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
     * Exponential backoff between delivery attempts.
     */
    public static class Backoff {

        /**
         * Wait after the first failed attempt.
         */
        private Duration initial = Duration.ofSeconds(1);

        /**
         * Factor the wait grows by after each further failed attempt.
         */
        private double multiplier = 2.0;

        /**
         * Longest wait between attempts.
         */
        private Duration max = Duration.ofMinutes(5);

        public Duration getInitial() {
            return this.initial;
        }

        public void setInitial(Duration initial) {
            this.initial = initial;
        }

        public double getMultiplier() {
            return this.multiplier;
        }

        public void setMultiplier(double multiplier) {
            this.multiplier = multiplier;
        }

        public Duration getMax() {
            return this.max;
        }

        public void setMax(Duration max) {
            this.max = max;
        }
    }

    /**
     * How long finished messages and inbox records are kept.
     */
    public static class Retention {

        /**
         * How long delivered messages are kept.
         */
        private Duration delivered = Duration.ofDays(7);

        /**
         * How long dead letters are kept.
         */
        private Duration deadLetters = Duration.ofDays(30);

        /**
         * How long inbox records are kept: a duplicate arriving later runs its handler again.
         */
        private Duration inbox = Duration.ofDays(7);

        /**
         * How often expired messages and records are deleted.
         */
        private Duration interval = Duration.ofHours(1);

        public Duration getDelivered() {
            return this.delivered;
        }

        public void setDelivered(Duration delivered) {
            this.delivered = delivered;
        }

        public Duration getDeadLetters() {
            return this.deadLetters;
        }

        public void setDeadLetters(Duration deadLetters) {
            this.deadLetters = deadLetters;
        }

        public Duration getInbox() {
            return this.inbox;
        }

        public void setInbox(Duration inbox) {
            this.inbox = inbox;
        }

        public Duration getInterval() {
            return this.interval;
        }

        public void setInterval(Duration interval) {
            this.interval = interval;
        }
    }

    /**
     * Messages saved with a state on a Redis Cluster, staged in the state's hash slot until they are moved to the
     * outbox.
     */
    public static class Staging {

        /**
         * How often the staging areas are swept for messages whose move after the save failed or never ran.
         */
        private Duration sweepInterval = Duration.ofSeconds(10);

        /**
         * How long a staging area stays in the index after a save last recorded it, and a moved message in its
         * staging area to be appended again if the outbox lost it, at least: longer than any save takes from
         * recording its area to running its script, and, on the redis backend, shorter than retention.delivered and
         * retention.dead-letters.
         */
        private Duration grace = Duration.ofMinutes(1);

        public Duration getSweepInterval() {
            return this.sweepInterval;
        }

        public void setSweepInterval(Duration sweepInterval) {
            this.sweepInterval = sweepInterval;
        }

        public Duration getGrace() {
            return this.grace;
        }

        public void setGrace(Duration grace) {
            this.grace = grace;
        }
    }
}
