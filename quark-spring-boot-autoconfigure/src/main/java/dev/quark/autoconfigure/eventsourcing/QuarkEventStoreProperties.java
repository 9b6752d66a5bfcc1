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

    /**
     * Validates the properties, so that a wrong value fails start-up naming the property.
     */
    @Override
    public void afterPropertiesSet() {
        if (this.snapshotEvery < 1) {
            throw new InvalidConfigurationPropertyValueException(PREFIX + ".snapshot-every", this.snapshotEvery,
                    "must be at least 1");
        }
    }
}
