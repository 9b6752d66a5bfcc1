package dev.quark.autoconfigure.health;

import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.worker.DurableTaskWorker;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Reports durable tasks: {@code UP} when the store answers (it reads an instance that never exists) and the worker,
 * if this application has one and anything for it to run, runs; {@code DOWN} with the error when the store cannot be reached or its tables read,
 * or when the worker has stopped. Details: the store, the worker's owner and how many steps and activity attempts it
 * runs now.
 */
public class DurableTasksHealthIndicator extends AbstractHealthIndicator {

    /** The instance id the indicator reads. */
    static final String PROBE = "quark-health-probe";

    private final DurableTaskStore store;

    private final @Nullable DurableTaskWorker worker;

    private final boolean hasWork;

    /**
     * Creates the indicator.
     * @param store the store
     * @param worker this application's worker, {@code null} when it has none
     * @param hasWork whether the application has orchestrations or activities, without which the worker does not run
     */
    public DurableTasksHealthIndicator(DurableTaskStore store, @Nullable DurableTaskWorker worker, boolean hasWork) {
        super("Quark durable tasks health check failed");
        this.store = store;
        this.worker = worker;
        this.hasWork = hasWork;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("store", this.store.toString());
        this.store.instance(PROBE);
        DurableTaskWorker running = this.worker;
        if (running == null) {
            builder.up().withDetail("worker", "none in this application");
            return;
        }
        builder.withDetail("worker", running.owner()).withDetail("activeWork", running.activeWork());
        if (running.isRunning() || !this.hasWork) {
            builder.up();
        }
        else {
            builder.down().withDetail("reason", "the durable task worker is stopped");
        }
    }
}
