package dev.quark.autoconfigure.health;

import dev.quark.state.StateKey;
import dev.quark.state.StateStore;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Reports whether a state store answers, by loading a state that never exists: {@code UP} when the load
 * completes, {@code DOWN} with the error when the backend cannot be reached or Quark's table or keys cannot be
 * read (for PostgreSQL, a missing {@code quark_actor_state} table).
 */
public class StateStoreHealthIndicator extends AbstractHealthIndicator {

    /** The key the indicator loads. */
    static final StateKey PROBE = new StateKey("quark", "health", "probe");

    private final StateStore store;

    public StateStoreHealthIndicator(StateStore store) {
        super("Quark state store health check failed");
        this.store = store;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("store", this.store.toString());
        this.store.load(PROBE);
        builder.up();
    }
}
