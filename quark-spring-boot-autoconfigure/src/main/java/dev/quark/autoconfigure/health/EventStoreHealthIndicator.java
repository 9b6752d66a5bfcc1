package dev.quark.autoconfigure.health;

import java.util.Objects;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.MeteredEventStore;

/**
 * The event store's health: up when the store answers a read of a stream's version (one indexed query on
 * PostgreSQL, a short Lua script reading the last entry id on Redis), with the store and whether it has a global
 * feed; down with the store's exception otherwise.
 */
public class EventStoreHealthIndicator extends AbstractHealthIndicator {

    /** The stream whose version is read; it need not exist. */
    static final String PROBE_STREAM = "quark-health/probe";

    private final EventStore store;

    /**
     * Creates the indicator.
     * @param store the event store
     */
    public EventStoreHealthIndicator(EventStore store) {
        super("Quark event store health check failed");
        this.store = Objects.requireNonNull(store, "store must not be null");
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        EventStore backend = (this.store instanceof MeteredEventStore metered) ? metered.store() : this.store;
        builder.withDetail("store", backend.toString());
        this.store.version(PROBE_STREAM);
        builder.withDetail("globalFeed", this.store.feed().isPresent()).up();
    }
}
