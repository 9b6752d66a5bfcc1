package dev.quark.autoconfigure.eventsourcing;

import java.time.Duration;

import dev.quark.autoconfigure.PropertyChecks;
import dev.quark.autoconfigure.backend.QuarkBackend;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of event sourcing. The defaults are written out so that the configuration metadata shows them; a
 * test checks that they equal the library's.
 */
@ConfigurationProperties(QuarkEventStoreProperties.PREFIX)
public class QuarkEventStoreProperties implements InitializingBean {

    static final String PREFIX = "quark.eventstore";

    private static final PropertyChecks CHECKS = new PropertyChecks(PREFIX);

    /**
     * Whether to configure an event store and rebuild event-sourced actors from it.
     */
    private boolean enabled = true;

    /**
     * Where event streams are kept: memory, redis or postgres. Defaults to quark.backend.
     */
    private @Nullable QuarkBackend backend;

    /**
     * How many events an event-sourced actor appends after its latest snapshot before it saves the next one, unless
     * the actor overrides snapshotEvery(). At least 1.
     */
    private int snapshotEvery = 100;

    /**
     * On Redis, the most events one Lua script of a stream truncation deletes: a truncation runs one script per batch,
     * so that Redis is never blocked for long. 1 to 10000.
     */
    private int redisTruncationBatch = 1000;

    private final Subscriptions subscriptions = new Subscriptions();

    public boolean isEnabled() {
        return this.enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public @Nullable QuarkBackend getBackend() {
        return this.backend;
    }

    public void setBackend(@Nullable QuarkBackend backend) {
        this.backend = backend;
    }

    public int getSnapshotEvery() {
        return this.snapshotEvery;
    }

    public void setSnapshotEvery(int snapshotEvery) {
        this.snapshotEvery = snapshotEvery;
    }

    public int getRedisTruncationBatch() {
        return this.redisTruncationBatch;
    }

    public void setRedisTruncationBatch(int redisTruncationBatch) {
        this.redisTruncationBatch = redisTruncationBatch;
    }

    public Subscriptions getSubscriptions() {
        return this.subscriptions;
    }

    /**
     * Validates the properties, so that a wrong value fails start-up naming the property.
     */
    @Override
    public void afterPropertiesSet() {
        if (this.snapshotEvery < 1) {
            throw CHECKS.invalid("snapshot-every", this.snapshotEvery, "must be at least 1");
        }
        if (this.redisTruncationBatch < 1 || this.redisTruncationBatch > 10_000) {
            throw CHECKS.invalid("redis-truncation-batch", this.redisTruncationBatch, "must be 1 to 10000");
        }
        this.subscriptions.validate();
    }

    /**
     * Following the application's EventSubscriptionDefinition beans in the background.
     */
    public static class Subscriptions {

        static final String PREFIX = QuarkEventStoreProperties.PREFIX + ".subscriptions";

        private static final PropertyChecks CHECKS = new PropertyChecks(PREFIX);

        /**
         * Whether this node follows the application's EventSubscriptionDefinition beans (one node at a time per
         * subscription). Turn it off on nodes that must not run projections.
         */
        private boolean enabled = true;

        /**
         * How long a subscription that caught up waits before it reads the feed again, and how often a node standing
         * by tries to take a subscription over. Positive.
         */
        private Duration pollInterval = Duration.ofSeconds(1);

        /**
         * Duration of a subscription's lease: about how long another node waits before it takes over from a node that
         * died (a node stopped gracefully hands over within a poll interval). At least 1 second.
         */
        private Duration leaseDuration = Duration.ofSeconds(30);

        /**
         * How long a subscription waits before it tries an event its handler failed on again, doubled after each
         * failure in a row. Positive.
         */
        private Duration initialBackoff = Duration.ofSeconds(1);

        /**
         * The longest wait between two attempts at an event the handler keeps failing on. At least initial-backoff.
         */
        private Duration maxBackoff = Duration.ofMinutes(1);

        /**
         * How many times in a row a handler may fail on one event before the event is recorded as a dead letter and
         * the subscription goes on with the next, for subscriptions whose definition sets no maximum of its own. Not
         * set: the event is tried again until the handler succeeds (the subscription waits there). At least 1.
         */
        private @Nullable Integer maxAttempts;

        /**
         * Whether the nodes running the same subscriptions spread them among them, each following about an equal share
         * (counted through member slot leases in the lease store every poll interval or tenth of the lease duration,
         * whichever is longer; a node above its share hands the extra ones over between two batches; a subscription
         * seen free for a lease duration, or the longest back-off, and a poll interval is taken by any node). Off: each
         * node takes whatever is free, so the first node up follows them all.
         */
        private boolean spread = true;

        /**
         * Owner name of this node's subscription leases, shown by the health endpoint and in the logs; a random one
         * unless set. Must differ between nodes.
         */
        private @Nullable String nodeId;

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

        public Duration getLeaseDuration() {
            return this.leaseDuration;
        }

        public void setLeaseDuration(Duration leaseDuration) {
            this.leaseDuration = leaseDuration;
        }

        public Duration getInitialBackoff() {
            return this.initialBackoff;
        }

        public void setInitialBackoff(Duration initialBackoff) {
            this.initialBackoff = initialBackoff;
        }

        public Duration getMaxBackoff() {
            return this.maxBackoff;
        }

        public void setMaxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
        }

        public @Nullable Integer getMaxAttempts() {
            return this.maxAttempts;
        }

        public void setMaxAttempts(@Nullable Integer maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        public boolean isSpread() {
            return this.spread;
        }

        public void setSpread(boolean spread) {
            this.spread = spread;
        }

        public @Nullable String getNodeId() {
            return this.nodeId;
        }

        public void setNodeId(@Nullable String nodeId) {
            this.nodeId = nodeId;
        }

        void validate() {
            CHECKS.positive("poll-interval", this.pollInterval);
            if (this.leaseDuration.compareTo(Duration.ofSeconds(1)) < 0) {
                throw CHECKS.invalid("lease-duration", this.leaseDuration,
                        "must be at least 1 second");
            }
            CHECKS.positive("initial-backoff", this.initialBackoff);
            if (this.maxBackoff.compareTo(this.initialBackoff) < 0) {
                throw CHECKS.invalid("max-backoff", this.maxBackoff,
                        "must be at least " + PREFIX + ".initial-backoff (" + this.initialBackoff + ")");
            }
            if (this.maxAttempts != null) {
                CHECKS.positive("max-attempts", this.maxAttempts);
            }
            if (this.nodeId != null && this.nodeId.isBlank()) {
                throw CHECKS.invalid("node-id", this.nodeId,
                        "must not be blank");
            }
        }
    }
}
