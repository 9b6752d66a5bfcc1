package dev.quark.autoconfigure.durabletasks;

import dev.quark.durabletasks.worker.DurableTaskWorker;

import org.springframework.context.SmartLifecycle;

/**
 * Starts the durable-task worker with the application context and stops it (waiting for running work, releasing
 * its leases) when the context stops, after the web server has stopped taking requests and before data sources
 * close.
 */
final class DurableTaskWorkerLifecycle implements SmartLifecycle {

    /** Stops after the web server (whose lifecycles use {@code DEFAULT_PHASE - 1024} and {@code - 2048}). */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final DurableTaskWorker worker;

    private volatile boolean running;

    DurableTaskWorkerLifecycle(DurableTaskWorker worker) {
        this.worker = worker;
    }

    @Override
    public void start() {
        this.worker.start();
        this.running = true;
    }

    @Override
    public void stop() {
        this.running = false;
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
