package dev.quark.benchmarks.jobs;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

import dev.quark.jobs.CancelResult;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobPage;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.store.Claim;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.Enqueued;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobOutcome;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.JobTransition;
import dev.quark.jobs.store.NewJob;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseStore;

/**
 * A job store that counts the claims of due jobs made through it, the jobs they returned and the time they took,
 * and the writes of outcomes and the outcomes they carried, and otherwise does what the store it wraps does (its batched
 * {@code finishAll} included): how many jobs one claim takes, what a claim costs, how many outcomes one write carries.
 */
final class ClaimCountingJobStore implements JobStore {

    private final JobStore store;

    private final LongAdder claims = new LongAdder();

    private final LongAdder claimed = new LongAdder();

    private final LongAdder claimNanos = new LongAdder();

    private final LongAdder outcomeWrites = new LongAdder();

    private final LongAdder outcomes = new LongAdder();

    ClaimCountingJobStore(JobStore store) {
        this.store = store;
    }

    /** Claims of due jobs so far. */
    long claims() {
        return this.claims.sum();
    }

    /** Jobs those claims returned. */
    long claimed() {
        return this.claimed.sum();
    }

    /** Writes of outcomes so far ({@code finish} and {@code finishAll} calls). */
    long outcomeWrites() {
        return this.outcomeWrites.sum();
    }

    /** Outcomes those writes carried. */
    long outcomes() {
        return this.outcomes.sum();
    }

    /** Time those claims took, in nanoseconds. */
    long claimNanos() {
        return this.claimNanos.sum();
    }

    @Override
    public List<ClaimedJob> claimDue(Claim claim, JobLeases leases) {
        long start = System.nanoTime();
        List<ClaimedJob> jobs = this.store.claimDue(claim, leases);
        this.claimNanos.add(System.nanoTime() - start);
        this.claims.increment();
        this.claimed.add(jobs.size());
        return jobs;
    }

    @Override
    public Enqueued enqueue(NewJob job) {
        return this.store.enqueue(job);
    }

    @Override
    public Optional<Job> find(JobId id) {
        return this.store.find(id);
    }

    @Override
    public JobPage list(JobQuery query) {
        return this.store.list(query);
    }

    @Override
    public Map<JobStatus, Long> countByStatus() {
        return this.store.countByStatus();
    }

    @Override
    public List<ClaimedJob> claimAbandoned(Claim claim, JobLeases leases) {
        return this.store.claimAbandoned(claim, leases);
    }

    @Override
    public Optional<LeaseStore> leaseStore() {
        return this.store.leaseStore();
    }

    @Override
    public void report(JobId id, Lease lease, JobReport report) {
        this.store.report(id, lease, report);
    }

    @Override
    public void finish(JobId id, Lease lease, JobTransition transition, JobReport report, Instant now) {
        this.outcomeWrites.increment();
        this.outcomes.increment();
        this.store.finish(id, lease, transition, report, now);
    }

    @Override
    public Map<JobId, RuntimeException> finishAll(List<JobOutcome> outcomes) {
        this.outcomeWrites.increment();
        this.outcomes.add(outcomes.size());
        return this.store.finishAll(outcomes);
    }

    @Override
    public CancelResult cancel(JobId id, Instant now) {
        return this.store.cancel(id, now);
    }

    @Override
    public Set<JobId> cancellationsRequested(Collection<JobId> ids) {
        return this.store.cancellationsRequested(ids);
    }

    @Override
    public Job requeue(JobId id, Instant now) {
        return this.store.requeue(id, now);
    }

    @Override
    public int purge(Set<JobStatus> statuses, Instant finishedBefore) {
        return this.store.purge(statuses, finishedBefore);
    }

    @Override
    public void afterCommit(Runnable action) {
        this.store.afterCommit(action);
    }

    @Override
    public boolean inCallerTransaction() {
        return this.store.inCallerTransaction();
    }

    @Override
    public String toString() {
        return this.store.toString();
    }
}
