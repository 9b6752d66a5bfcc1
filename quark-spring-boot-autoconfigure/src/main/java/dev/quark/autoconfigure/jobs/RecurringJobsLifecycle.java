package dev.quark.autoconfigure.jobs;

import java.util.List;

import dev.quark.jobs.RecurringJobRequest;
import dev.quark.jobs.runtime.DefaultJobQueue;
import dev.quark.jobs.runtime.RecurringJobScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;

/**
 * Makes the stored recurring jobs declared in code match the application's declarations, {@link RecurringJobRequest}
 * beans and {@link dev.quark.jobs.Recurring @Recurring} on handler classes ({@link DefaultJobQueue#synchronizeDeclared}:
 * created or updated, idempotent by id; those declared before but no longer are removed; those created at run time
 * stay), and starts the {@link RecurringJobScheduler} once the context is refreshed; stops it with the context, in
 * the phase of the workers.
 * <p>
 * During a rolling deployment, a node of the old version that starts after one of the new version declares its
 * recurring jobs again, and the next start of a new node removes them again.
 */
final class RecurringJobsLifecycle implements SmartLifecycle {

    private static final Logger logger = LoggerFactory.getLogger(RecurringJobsLifecycle.class);

    private final RecurringJobScheduler scheduler;

    private final DefaultJobQueue queue;

    private final List<RecurringJobRequest> declared;

    RecurringJobsLifecycle(RecurringJobScheduler scheduler, DefaultJobQueue queue, List<RecurringJobRequest> declared) {
        this.scheduler = scheduler;
        this.queue = queue;
        this.declared = List.copyOf(declared);
    }

    @Override
    public void start() {
        List<String> removed = this.queue.synchronizeDeclared(this.declared);
        if (!removed.isEmpty()) {
            logger.info("Removed the recurring jobs {}: they were declared in code and are no longer", removed);
        }
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
