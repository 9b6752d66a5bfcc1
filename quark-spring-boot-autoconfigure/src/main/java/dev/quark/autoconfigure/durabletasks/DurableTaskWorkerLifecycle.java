package dev.quark.autoconfigure.durabletasks;

import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.worker.DurableTaskWorker;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;
import org.springframework.util.function.ThrowingConsumer;

/**
 * Starts the durable-task worker with the application context and stops it (waiting for running work, releasing
 * its leases) when the context stops, after the web server has stopped taking requests and before data sources
 * close. An application without orchestrations and activities has nothing to run: its worker is not started, so
 * that it does not poll the store. With wake-ups ({@code PostgresDurableTaskWakeUps} or
 * {@code RedisDurableTaskWakeUps}: the store is a notifying PostgreSQL or Redis one) it listens to the other nodes'
 * notifications while the worker runs, and stops before it.
 */
final class DurableTaskWorkerLifecycle implements SmartLifecycle {

    private static final Log logger = LogFactory.getLog(DurableTaskWorkerLifecycle.class);

    /** Stops after the web server (whose lifecycles use {@code DEFAULT_PHASE - 1024} and {@code - 2048}). */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final DurableTaskWorker worker;

    private final DurableTaskRegistry registry;

    private final @Nullable AutoCloseable wakeUps;

    private final ThrowingConsumer<AutoCloseable> startWakeUps;

    private volatile boolean running;

    DurableTaskWorkerLifecycle(DurableTaskWorker worker, DurableTaskRegistry registry) {
        this(worker, registry, null, (wakeUps) -> {
        });
    }

    /**
     * Creates the lifecycle of a worker with wake-ups.
     * @param wakeUps the wake-ups, or {@code null}
     * @param startWakeUps what starts them (their classes differ by backend and are loaded only where used)
     */
    DurableTaskWorkerLifecycle(DurableTaskWorker worker, DurableTaskRegistry registry, @Nullable AutoCloseable wakeUps,
            ThrowingConsumer<AutoCloseable> startWakeUps) {
        this.worker = worker;
        this.registry = registry;
        this.wakeUps = wakeUps;
        this.startWakeUps = startWakeUps;
    }

    /**
     * Returns the wake-ups of a type, for diagnostics; {@code null} when the store does not notify, or its wake-ups
     * are of another type.
     */
    <T> @Nullable T wakeUps(Class<T> type) {
        return type.isInstance(this.wakeUps) ? type.cast(this.wakeUps) : null;
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
                this.startWakeUps.accept(this.wakeUps);
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
            try {
                this.wakeUps.close();
            }
            catch (Exception ex) {
                logger.warn("Could not stop the durable task wake-ups " + this.wakeUps, ex);
            }
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
