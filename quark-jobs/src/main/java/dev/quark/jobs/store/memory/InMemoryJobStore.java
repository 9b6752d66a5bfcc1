package dev.quark.jobs.store.memory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

import dev.quark.jobs.CancelResult;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobError;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobNotFoundException;
import dev.quark.jobs.JobPage;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.store.Claim;
import dev.quark.jobs.store.ClaimCandidate;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.Enqueued;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.JobTransition;
import dev.quark.jobs.store.NewJob;
import dev.quark.jobs.store.StoreChecks;
import dev.quark.lease.Lease;
import org.jspecify.annotations.Nullable;

/**
 * Keeps jobs in a map in the JVM, for tests and for applications whose jobs need not outlive the process. Waiting
 * jobs are indexed by due time; a claim runs under the store's lock, so concurrent claims never overlap. Use it with
 * the in-memory lease store of the same JVM: the fencing rules hold as in the other stores, and tests let leases
 * expire by moving the lease store's clock.
 */
public class InMemoryJobStore implements JobStore {

    private final Object lock = new Object();

    private final Map<JobId, Row> jobs = new HashMap<>();

    private final Map<String, JobId> keys = new HashMap<>();

    /** The greatest id: the jobs after {@code new Due(now, LAST_ID)} are those due after {@code now}. */
    private static final JobId LAST_ID = new JobId(new java.util.UUID(-1L, -1L));

    private final NavigableSet<Due> waiting = new TreeSet<>();

    @Override
    public Enqueued enqueue(NewJob job) {
        Objects.requireNonNull(job, "job must not be null");
        synchronized (this.lock) {
            String key = job.idempotencyKey();
            if (key != null) {
                JobId existing = this.keys.get(key);
                if (existing != null) {
                    return new Enqueued(row(existing).toJob(), false);
                }
            }
            if (this.jobs.containsKey(job.id())) {
                throw new IllegalArgumentException("A job with id " + job.id() + " exists already");
            }
            Row row = new Row(job);
            this.jobs.put(job.id(), row);
            if (key != null) {
                this.keys.put(key, job.id());
            }
            this.waiting.add(row.due());
            return new Enqueued(row.toJob(), true);
        }
    }

    @Override
    public Optional<Job> find(JobId id) {
        synchronized (this.lock) {
            Row row = this.jobs.get(id);
            return (row != null) ? Optional.of(row.toJob()) : Optional.empty();
        }
    }

    @Override
    public JobPage list(JobQuery query) {
        List<Job> matching;
        synchronized (this.lock) {
            matching = this.jobs.values()
                .stream()
                .map(Row::toJob)
                .filter(query::matches)
                .filter((job) -> query.after() == null || job.id().compareTo(query.after()) > 0)
                .sorted(Comparator.comparing(Job::id))
                .limit(query.limit())
                .toList();
        }
        JobId next = (matching.size() == query.limit()) ? matching.get(matching.size() - 1).id() : null;
        return new JobPage(matching, next);
    }

    @Override
    public Map<JobStatus, Long> countByStatus() {
        Map<JobStatus, Long> counts = new EnumMap<>(JobStatus.class);
        for (JobStatus status : JobStatus.values()) {
            counts.put(status, 0L);
        }
        synchronized (this.lock) {
            this.jobs.values().forEach((row) -> counts.merge(row.status, 1L, Long::sum));
        }
        return counts;
    }

    @Override
    public List<ClaimedJob> claimDue(Claim claim, JobLeases leases) {
        synchronized (this.lock) {
            List<ClaimCandidate> candidates = new ArrayList<>();
            for (Due due : this.waiting) {
                if (due.at().isAfter(claim.now()) || candidates.size() == claim.candidates()) {
                    break;
                }
                Row row = row(due.id());
                if (claim.types().contains(row.type) && !claim.excluded().contains(row.id)) {
                    candidates.add(new ClaimCandidate(row.id, row.type, row.owner));
                }
            }
            return stamp(claim, leases, candidates, (row) -> row.status.isWaiting(), false);
        }
    }

    @Override
    public Optional<Instant> nextDueAfter(Set<String> types, Instant now) {
        synchronized (this.lock) {
            for (Due due : this.waiting.tailSet(new Due(now, LAST_ID), false)) {
                if (types.contains(row(due.id()).type)) {
                    return Optional.of(due.at());
                }
            }
            return Optional.empty();
        }
    }

    @Override
    public List<ClaimedJob> claimAbandoned(Claim claim, JobLeases leases) {
        synchronized (this.lock) {
            List<ClaimCandidate> candidates = this.jobs.values()
                .stream()
                .filter((row) -> row.status == JobStatus.RUNNING && claim.types().contains(row.type)
                        && !claim.excluded().contains(row.id))
                .sorted(Comparator.comparing((Row row) -> Objects.requireNonNull(row.startedAt)).thenComparing(Row::id))
                .limit(Claim.MAX_CANDIDATES)
                .map((row) -> new ClaimCandidate(row.id, row.type, row.owner))
                .toList();
            return stamp(claim, leases, candidates, (row) -> row.status == JobStatus.RUNNING, true);
        }
    }

    private List<ClaimedJob> stamp(Claim claim, JobLeases leases, List<ClaimCandidate> candidates,
            Predicate<Row> claimable, boolean abandoned) {
        List<ClaimCandidate> chosen = claim.choose(candidates);
        if (chosen.isEmpty()) {
            return List.of();
        }
        List<Lease> granted = leases.acquire(chosen.stream().map(ClaimCandidate::id).toList(), claim.max());
        List<ClaimedJob> claimed = new ArrayList<>();
        for (Lease lease : granted) {
            Row row = this.jobs.get(JobLeases.jobId(lease.resource()));
            if (row == null || !claimable.test(row) || !row.stampable(lease)) {
                continue;
            }
            String former = row.owner;
            this.waiting.remove(row.due());
            row.status = JobStatus.RUNNING;
            row.owner = claim.owner();
            row.leaseToken = lease.token().value();
            row.attempt++;
            row.startedAt = claim.now();
            row.finishedAt = null;
            row.progress = 0;
            row.progressMessage = null;
            claimed.add(new ClaimedJob(row.toJob(), lease, abandoned ? former : null));
        }
        return claimed;
    }

    @Override
    public void report(JobId id, Lease lease, JobReport report) {
        synchronized (this.lock) {
            Row row = fenced(id, lease);
            row.report(report);
        }
    }

    @Override
    public void finish(JobId id, Lease lease, JobTransition transition, JobReport report, Instant now) {
        synchronized (this.lock) {
            Row row = fenced(id, lease);
            row.report(report);
            row.status = transition.status();
            if (transition.error() != null) {
                row.lastError = transition.error();
            }
            if (!transition.attemptCounted()) {
                row.attempt--;
            }
            Instant dueAt = transition.dueAt();
            if (dueAt != null) {
                row.dueAt = dueAt;
                this.waiting.add(row.due());
            }
            if (transition.status().isFinished()) {
                row.finishedAt = now;
            }
        }
    }

    private Row fenced(JobId id, Lease lease) {
        Row row = this.jobs.get(id);
        if (row == null || row.status != JobStatus.RUNNING || row.leaseToken == null
                || row.leaseToken != lease.token().value()) {
            throw StoreChecks.leaseLost(id, lease);
        }
        return row;
    }

    @Override
    public CancelResult cancel(JobId id, Instant now) {
        synchronized (this.lock) {
            Row row = row(id);
            if (row.status.isWaiting()) {
                this.waiting.remove(row.due());
                row.status = JobStatus.CANCELLED;
                row.finishedAt = now;
                return CancelResult.CANCELLED;
            }
            if (row.status == JobStatus.RUNNING) {
                row.cancelRequested = true;
                return CancelResult.REQUESTED;
            }
            return CancelResult.ALREADY_FINISHED;
        }
    }

    @Override
    public Set<JobId> cancellationsRequested(Collection<JobId> ids) {
        Set<JobId> requested = new HashSet<>();
        synchronized (this.lock) {
            for (JobId id : ids) {
                Row row = this.jobs.get(id);
                if (row != null && row.status == JobStatus.RUNNING && row.cancelRequested) {
                    requested.add(id);
                }
            }
        }
        return requested;
    }

    @Override
    public Job requeue(JobId id, Instant now) {
        synchronized (this.lock) {
            Row row = row(id);
            if (row.status != JobStatus.DEAD_LETTERED) {
                throw StoreChecks.notRequeueable(row.toJob());
            }
            row.status = JobStatus.ENQUEUED;
            row.dueAt = now;
            row.attempt = 0;
            row.finishedAt = null;
            row.cancelRequested = false;
            row.progress = 0;
            row.progressMessage = null;
            this.waiting.add(row.due());
            return row.toJob();
        }
    }

    @Override
    public int purge(Set<JobStatus> statuses, Instant finishedBefore) {
        StoreChecks.requireFinished(statuses);
        synchronized (this.lock) {
            List<Row> purged = this.jobs.values()
                .stream()
                .filter((row) -> statuses.contains(row.status) && row.finishedAt != null
                        && row.finishedAt.isBefore(finishedBefore))
                .toList();
            for (Row row : purged) {
                this.jobs.remove(row.id);
                if (row.idempotencyKey != null) {
                    this.keys.remove(row.idempotencyKey);
                }
            }
            return purged.size();
        }
    }

    private Row row(JobId id) {
        Row row = this.jobs.get(id);
        if (row == null) {
            throw new JobNotFoundException(id);
        }
        return row;
    }

    @Override
    public String toString() {
        synchronized (this.lock) {
            return "InMemoryJobStore[" + this.jobs.size() + " jobs]";
        }
    }

    /**
     * A waiting job in the index, by due time then id.
     */
    private record Due(Instant at, JobId id) implements Comparable<Due> {

        @Override
        public int compareTo(Due other) {
            int byTime = this.at.compareTo(other.at);
            return (byTime != 0) ? byTime : this.id.compareTo(other.id);
        }
    }

    /**
     * A job as stored, changed in place under the store's lock.
     */
    private static final class Row {

        final JobId id;

        final String type;

        final String payload;

        final @Nullable String idempotencyKey;

        final Instant createdAt;

        JobStatus status;

        int attempt;

        Instant dueAt;

        @Nullable Instant startedAt;

        @Nullable Instant finishedAt;

        @Nullable String owner;

        @Nullable Long leaseToken;

        int progress;

        @Nullable String progressMessage;

        boolean cancelRequested;

        @Nullable JobError lastError;

        List<String> log = List.of();

        final Map<String, String> metadata;

        final @Nullable Duration timeout;

        Row(NewJob job) {
            this.metadata = job.metadata();
            this.timeout = job.timeout();
            this.id = job.id();
            this.type = job.type();
            this.payload = job.payload();
            this.idempotencyKey = job.idempotencyKey();
            this.createdAt = job.createdAt();
            this.status = job.status();
            this.dueAt = job.dueAt();
        }

        JobId id() {
            return this.id;
        }

        Due due() {
            return new Due(this.dueAt, this.id);
        }

        boolean stampable(Lease lease) {
            return this.leaseToken == null || this.leaseToken <= lease.token().value();
        }

        void report(JobReport report) {
            this.progress = report.progress();
            this.progressMessage = report.message();
            this.log = report.log();
        }

        Job toJob() {
            return new Job(this.id, this.type, this.payload, this.idempotencyKey, this.status, this.attempt,
                    this.createdAt, this.dueAt, this.startedAt, this.finishedAt, this.owner, this.progress,
                    this.progressMessage, this.cancelRequested, this.lastError, this.log, this.metadata, this.timeout);
        }
    }
}
