package dev.quark.autoconfigure.jobs;

import dev.quark.jobs.runtime.PostgresJobWakeUps;

import org.springframework.context.SmartLifecycle;

/**
 * Starts listening for other nodes' job notifications once the job orchestrator runs, and stops before it stops.
 */
final class JobWakeUpsLifecycle implements SmartLifecycle {

    /** Starts after and stops before the job orchestrator. */
    static final int PHASE = JobOrchestratorLifecycle.PHASE + 1;

    private final PostgresJobWakeUps wakeUps;

    private volatile boolean running;

    JobWakeUpsLifecycle(PostgresJobWakeUps wakeUps) {
        this.wakeUps = wakeUps;
    }

    @Override
    public void start() {
        this.wakeUps.start();
        this.running = true;
    }

    @Override
    public void stop() {
        this.running = false;
        this.wakeUps.close();
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
