package dev.quark.jobs.runtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import dev.quark.jobs.JobId;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.lease.Lease;
import org.jspecify.annotations.Nullable;

/**
 * The jobs a {@link JobOrchestrator} claimed ahead of free workers (its prefetch), waiting, their leases kept by the
 * orchestrator's keeper, until a worker frees: in claim order, counted by type (so that a claim leaves room for a
 * type's concurrency limit), with the cancellations requested while they wait (such a job starts already cancelled and
 * ends {@code CANCELLED} without running its handler). A job whose lease is lost leaves the queue
 * ({@link #removeLost}); at shutdown the queue is emptied ({@link #drain}) and its jobs given back.
 * <p>
 * Not thread-safe: the orchestrator calls it holding its lock, so that the running and the waiting jobs are counted
 * in one step.
 */
final class PrefetchQueue {

    private final ArrayDeque<ClaimedJob> waiting = new ArrayDeque<>();

    private final Map<String, Integer> byType = new HashMap<>();

    private final Set<JobId> cancelled = new HashSet<>();

    /**
     * Queues claimed jobs behind those waiting, in the order given.
     * @param jobs the jobs, in claim order
     */
    void addAll(List<ClaimedJob> jobs) {
        for (ClaimedJob job : jobs) {
            this.waiting.addLast(job);
            this.byType.merge(job.job().type(), 1, Integer::sum);
        }
    }

    /**
     * Takes the first waiting job, in claim order, that may start now.
     * @param mayStart whether a job may start (its type's concurrency limit not reached); a job it refuses keeps its
     * place
     * @return the job and whether its cancellation was requested while it waited, or {@code null} when none may start
     */
    @Nullable Next next(Predicate<ClaimedJob> mayStart) {
        Iterator<ClaimedJob> jobs = this.waiting.iterator();
        while (jobs.hasNext()) {
            ClaimedJob job = jobs.next();
            if (mayStart.test(job)) {
                jobs.remove();
                leaves(job);
                return new Next(job, this.cancelled.remove(job.job().id()));
            }
        }
        return null;
    }

    /**
     * Notes that a job's cancellation was requested, when it waits here.
     * @param id the job
     * @return whether it waits here
     */
    boolean cancellationRequested(JobId id) {
        for (ClaimedJob job : this.waiting) {
            if (job.job().id().equals(id)) {
                this.cancelled.add(id);
                return true;
            }
        }
        return false;
    }

    /**
     * Takes out the job that waits under a lease that was lost: another worker may run it now.
     * @param lease the lost lease
     * @return the job, or {@code null} when none waits under that lease
     */
    @Nullable ClaimedJob removeLost(Lease lease) {
        Iterator<ClaimedJob> jobs = this.waiting.iterator();
        while (jobs.hasNext()) {
            ClaimedJob job = jobs.next();
            if (job.lease().isSameLease(lease)) {
                jobs.remove();
                leaves(job);
                this.cancelled.remove(job.job().id());
                return job;
            }
        }
        return null;
    }

    /**
     * Empties the queue, for the jobs to be given back.
     * @return the jobs that waited, in claim order
     */
    List<ClaimedJob> drain() {
        List<ClaimedJob> jobs = new ArrayList<>(this.waiting);
        this.waiting.clear();
        this.byType.clear();
        this.cancelled.clear();
        return jobs;
    }

    /**
     * Returns the ids of the waiting jobs.
     * @return their ids, in claim order
     */
    List<JobId> ids() {
        List<JobId> ids = new ArrayList<>(this.waiting.size());
        this.waiting.forEach((job) -> ids.add(job.job().id()));
        return ids;
    }

    /**
     * Returns how many jobs of a type wait.
     * @param type the type
     * @return how many
     */
    int count(String type) {
        return this.byType.getOrDefault(type, 0);
    }

    int size() {
        return this.waiting.size();
    }

    boolean isEmpty() {
        return this.waiting.isEmpty();
    }

    private void leaves(ClaimedJob job) {
        this.byType.computeIfPresent(job.job().type(), (type, count) -> (count > 1) ? count - 1 : null);
    }

    /**
     * A job taken from the queue to start.
     * @param job the job
     * @param cancelled whether its cancellation was requested while it waited: it starts cancelled
     */
    record Next(ClaimedJob job, boolean cancelled) {
    }
}
