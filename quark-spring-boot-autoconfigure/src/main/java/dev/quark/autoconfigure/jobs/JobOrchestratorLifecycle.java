package dev.quark.autoconfigure.jobs;

import dev.quark.jobs.runtime.DefaultJobQueue;
import dev.quark.jobs.runtime.JobOrchestrator;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;

/**
 * Starts the job orchestrator once the context is refreshed and stops it gracefully when the context closes: after
 * the web server stopped taking requests, before the actor runtime shuts down, so that jobs may still call actors,
 * data sources and clients while they finish.
 */
final class JobOrchestratorLifecycle implements SmartLifecycle {

    /** Starts after and stops before the actor runtime ({@code DEFAULT_PHASE - 4096}); stops after the web server. */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 3072;

    private final JobOrchestrator orchestrator;

    private final @Nullable DefaultJobQueue queue;

    JobOrchestratorLifecycle(JobOrchestrator orchestrator, @Nullable DefaultJobQueue queue) {
        this.orchestrator = orchestrator;
        this.queue = queue;
    }

    @Override
    public void start() {
        if (this.queue != null) {
            this.queue.subscribe(this.orchestrator);
        }
        this.orchestrator.start();
    }

    @Override
    public void stop() {
        if (this.queue != null) {
            this.queue.unsubscribe(this.orchestrator);
        }
        this.orchestrator.close();
    }

    @Override
    public boolean isRunning() {
        return this.orchestrator.isRunning();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
