package dev.quark.autoconfigure.durabletasks;

import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.store.jdbc.PostgresDurableTaskWakeUps;
import dev.quark.durabletasks.worker.DurableTaskWorker;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;

/**
 * Starts the durable-task worker with the application context and stops it (waiting for running work, releasing
 * its leases) when the context stops, after the web server has stopped taking requests and before data sources
 * close. An application without orchestrations and activities has nothing to run: its worker is not started, so
 * that it does not poll the store. With wake-ups ({@link PostgresDurableTaskWakeUps}: the store is a notifying
 * PostgreSQL one) it listens to the other nodes' notifications while the worker runs, and stops before it.
 */
final class DurableTaskWorkerLifecycle implements SmartLifecycle {

    private static final Log logger = LogFactory.getLog(DurableTaskWorkerLifecycle.class);

    /** Stops after the web server (whose lifecycles use {@code DEFAULT_PHASE - 1024} and {@code - 2048}). */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final DurableTaskWorker worker;

    private final DurableTaskRegistry registry;

    private final @Nullable PostgresDurableTaskWakeUps wakeUps;

    private volatile boolean running;

    DurableTaskWorkerLifecycle(DurableTaskWorker worker, DurableTaskRegistry registry) {
        this(worker, registry, null);
    }

    DurableTaskWorkerLifecycle(DurableTaskWorker worker, DurableTaskRegistry registry,
            @Nullable PostgresDurableTaskWakeUps wakeUps) {
        this.worker = worker;
        this.registry = registry;
        this.wakeUps = wakeUps;
    }

    /**
     * Returns the wake-ups, for diagnostics; {@code null} when the store does not notify.
     */
    @Nullable PostgresDurableTaskWakeUps wakeUps() {
        return this.wakeUps;
    }

    /**
     * Returns whether the application has orchestrations or activities for a worker to run.
     */
    static boolean hasWork(DurableTaskRegistry registry) {
        return !registry.orchestrationNames().isEmpty() || !registry.activityNames().isEmpty();
    }

    @Override
    public void start() {
        if (hasWork(this.registry)) {
            this.worker.start();
            if (this.wakeUps != null) {
                this.wakeUps.start();
            }
        }
        else {
            logger.debug("No orchestration or activity beans: the durable task worker does not run");
        }
        this.running = true;
    }

    @Override
    public void stop() {
        this.running = false;
        if (this.wakeUps != null) {
            this.wakeUps.close();
        }
        this.worker.close();
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
