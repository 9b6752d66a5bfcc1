package dev.quark.autoconfigure.postgres;

import dev.quark.autoconfigure.ClosingLifecycle;
import dev.quark.jdbc.PostgresNotificationListeners;

import org.springframework.context.SmartLifecycle;

/**
 * Gives the shared listening connections back ({@link PostgresNotificationListeners#close()}) when the context stops,
 * after every area that subscribes on them has stopped (their lifecycles use phases above {@link #PHASE}), so that
 * no area loses its notifications while it still runs. The connections themselves are taken when the first area
 * subscribes, so starting does nothing.
 */
public final class PostgresNotificationListenersLifecycle extends ClosingLifecycle {

    /** Below the phases of the actor runtime, the cluster silo, the job orchestrator and the durable-task worker. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 8192;

    private final PostgresNotificationListeners listeners;

    PostgresNotificationListenersLifecycle(PostgresNotificationListeners listeners) {
        super(PHASE);
        this.listeners = listeners;
    }

    @Override
    protected void close() {
        this.listeners.close();
    }
}
