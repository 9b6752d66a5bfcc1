package dev.quark.autoconfigure.jobs;

import dev.quark.jobs.runtime.JobRetention;

import org.springframework.context.SmartLifecycle;

/**
 * Starts deleting finished jobs past their retention once the context is refreshed, and stops with it, in the phase
 * of the workers.
 */
final class JobRetentionLifecycle implements SmartLifecycle {

    private final JobRetention retention;

    JobRetentionLifecycle(JobRetention retention) {
        this.retention = retention;
    }

    @Override
    public void start() {
        this.retention.start();
    }

    @Override
    public void stop() {
        this.retention.close();
    }

    @Override
    public boolean isRunning() {
        return this.retention.isRunning();
    }

    @Override
    public int getPhase() {
        return JobOrchestratorLifecycle.PHASE;
    }
}
