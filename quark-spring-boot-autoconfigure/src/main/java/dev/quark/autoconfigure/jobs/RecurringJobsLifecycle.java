package dev.quark.autoconfigure.jobs;

import java.util.List;

import dev.quark.jobs.JobQueue;
import dev.quark.jobs.RecurringJobRequest;
import dev.quark.jobs.runtime.RecurringJobScheduler;

import org.springframework.context.SmartLifecycle;

/**
 * Schedules the application's {@link RecurringJobRequest} beans (create or update, idempotent by id) and starts the
 * {@link RecurringJobScheduler} once the context is refreshed; stops it with the context, in the phase of the workers.
 */
final class RecurringJobsLifecycle implements SmartLifecycle {

    private final RecurringJobScheduler scheduler;

    private final JobQueue queue;

    private final List<RecurringJobRequest> declared;

    RecurringJobsLifecycle(RecurringJobScheduler scheduler, JobQueue queue, List<RecurringJobRequest> declared) {
        this.scheduler = scheduler;
        this.queue = queue;
        this.declared = List.copyOf(declared);
    }

    @Override
    public void start() {
        this.declared.forEach(this.queue::scheduleRecurring);
        this.scheduler.start();
    }

    @Override
    public void stop() {
        this.scheduler.close();
    }

    @Override
    public boolean isRunning() {
        return this.scheduler.isRunning();
    }

    @Override
    public int getPhase() {
        return JobOrchestratorLifecycle.PHASE;
    }
}
