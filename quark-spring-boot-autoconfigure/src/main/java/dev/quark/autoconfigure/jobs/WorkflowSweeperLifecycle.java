package dev.quark.autoconfigure.jobs;

import dev.quark.jobs.runtime.WorkflowSweeper;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;

/**
 * Starts the {@link WorkflowSweeper} once the context is refreshed and stops it with the context (waiting for a sweep
 * that runs), in the phase of the workers, and starts it again on a restart; closes it with the context; does nothing
 * when the queue keeps no workflows.
 */
final class WorkflowSweeperLifecycle implements SmartLifecycle, AutoCloseable {

    private final @Nullable WorkflowSweeper sweeper;

    private volatile boolean running;

    WorkflowSweeperLifecycle(@Nullable WorkflowSweeper sweeper) {
        this.sweeper = sweeper;
    }

    @Override
    public void start() {
        if (this.sweeper != null) {
            this.sweeper.start();
        }
        this.running = true;
    }

    @Override
    public void stop() {
        if (this.sweeper != null) {
            this.sweeper.stop();
        }
        this.running = false;
    }

    @Override
    public void close() {
        if (this.sweeper != null) {
            this.sweeper.close();
        }
        this.running = false;
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    @Override
    public int getPhase() {
        return JobOrchestratorLifecycle.PHASE;
    }

    @Override
    public String toString() {
        return "WorkflowSweeperLifecycle[" + this.sweeper + "]";
    }
}
