package dev.quark.autoconfigure.jobs;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.quark.jobs.CancelResult;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobPage;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.JobRequest;
import dev.quark.jobs.JobStatus;

/**
 * The queue of an application whose jobs would inherit a backend that has no job store: every call fails, saying
 * why and which property to set. It lets applications that select that backend for other areas, and use no jobs,
 * start.
 */
final class UnavailableJobQueue implements JobQueue {

    private final String reason;

    UnavailableJobQueue(String reason) {
        this.reason = reason;
    }

    private IllegalStateException unavailable() {
        return new IllegalStateException("The job queue is unavailable: " + this.reason);
    }

    @Override
    public <P> JobId enqueue(Class<? extends JobHandler<P>> handler, P payload) {
        throw unavailable();
    }

    @Override
    public JobId enqueue(JobRequest request) {
        throw unavailable();
    }

    @Override
    public Optional<Job> find(JobId id) {
        throw unavailable();
    }

    @Override
    public JobPage list(JobQuery query) {
        throw unavailable();
    }

    @Override
    public Map<JobStatus, Long> counts() {
        throw unavailable();
    }

    @Override
    public CancelResult cancel(JobId id) {
        throw unavailable();
    }

    @Override
    public Job requeue(JobId id) {
        throw unavailable();
    }

    @Override
    public int purge(Duration olderThan, Set<JobStatus> statuses) {
        throw unavailable();
    }

    @Override
    public String toString() {
        return "UnavailableJobQueue[" + this.reason + "]";
    }
}
