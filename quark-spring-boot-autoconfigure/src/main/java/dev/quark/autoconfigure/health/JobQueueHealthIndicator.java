package dev.quark.autoconfigure.health;

import java.util.Map;

import dev.quark.jobs.JobQueue;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.runtime.JobOrchestrator;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Reports whether the job store answers, with the backlog (jobs waiting for a worker), the jobs running and the
 * dead letters of every node, and this node's workers: {@code UP} when the counts can be read, {@code DOWN} with the
 * error when the backend cannot be reached or its table read. Dead letters do not make the application
 * unhealthy: they wait for someone to look at them.
 */
public class JobQueueHealthIndicator extends AbstractHealthIndicator {

    private final JobQueue queue;

    private final @Nullable JobOrchestrator orchestrator;

    /**
     * Creates the indicator.
     * @param queue the queue
     * @param orchestrator this node's workers, or {@code null} when this node runs no job
     */
    public JobQueueHealthIndicator(JobQueue queue, @Nullable JobOrchestrator orchestrator) {
        super("Quark job queue health check failed");
        this.queue = queue;
        this.orchestrator = orchestrator;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("queue", this.queue.toString());
        Map<JobStatus, Long> counts = this.queue.counts();
        long backlog = counts.getOrDefault(JobStatus.ENQUEUED, 0L) + counts.getOrDefault(JobStatus.SCHEDULED, 0L)
                + counts.getOrDefault(JobStatus.RETRYING, 0L);
        builder.withDetail("backlog", backlog)
            .withDetail("running", counts.getOrDefault(JobStatus.RUNNING, 0L))
            .withDetail("deadLetters", counts.getOrDefault(JobStatus.DEAD_LETTERED, 0L));
        if (this.orchestrator != null) {
            builder.withDetail("worker", this.orchestrator.toString());
        }
        builder.up();
    }
}
