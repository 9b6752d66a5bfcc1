package dev.quark.autoconfigure.eventsourcing;

import dev.quark.autoconfigure.backend.QuarkBackend;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration of event sourcing. The defaults are written out so that the configuration metadata shows them; a
 * test checks that they equal the library's.
 */
@ConfigurationProperties(QuarkEventStoreProperties.PREFIX)
public class QuarkEventStoreProperties implements InitializingBean {

    static final String PREFIX = "quark.eventstore";

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

    /**
     * Validates the properties, so that a wrong value fails start-up naming the property.
     */
    @Override
    public void afterPropertiesSet() {
        if (this.snapshotEvery < 1) {
            throw new InvalidConfigurationPropertyValueException(PREFIX + ".snapshot-every", this.snapshotEvery,
                    "must be at least 1");
        }
        if (this.redisTruncationBatch < 1 || this.redisTruncationBatch > 10_000) {
            throw new InvalidConfigurationPropertyValueException(PREFIX + ".redis-truncation-batch",
                    this.redisTruncationBatch, "must be 1 to 10000");
        }
    }
}
