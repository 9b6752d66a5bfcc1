package dev.quark.jobs.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.quark.jobs.JobId;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseStore;
import org.jspecify.annotations.Nullable;

/**
 * How a worker leases the jobs a store is claiming: for how long, and, for a store that does not keep leases itself,
 * through which acquisition, usually the worker's {@code LeaseKeeper}, which keeps them alive while the jobs run.
 * <p>
 * A store without leases of its own ({@link JobStore#leaseStore()} empty) calls {@link #acquire} in the middle of a
 * claim, after it chose the candidates and before it stamps their rows with the leases' tokens. A store that keeps
 * the leases in its own records grants them in the claim itself, for {@link #duration()}, and never calls
 * {@link #acquire}.
 */
public interface JobLeases {

    /** The prefix of the lease resource of a job: {@code jobs:<id>}. */
    String RESOURCE_PREFIX = "jobs:";

    /**
     * Acquires the leases of up to {@code max} of the jobs that are free.
     * @param candidates the jobs, in order of preference
     * @param max the most leases to acquire
     * @return the leases acquired, on the jobs' {@link #resource resources}
     */
    List<Lease> acquire(List<JobId> candidates, int max);

    /**
     * Returns how long each lease lasts unless renewed.
     * @return the lease duration, positive
     */
    Duration duration();

    /**
     * Returns leases acquired straight from a lease store, kept by nobody: for tests and tools that claim jobs
     * without a worker.
     * @param store the lease store
     * @param owner the owner of the leases
     * @param duration how long they last
     * @return the leases
     */
    static JobLeases of(LeaseStore store, String owner, Duration duration) {
        Objects.requireNonNull(store, "store must not be null");
        Objects.requireNonNull(owner, "owner must not be null");
        Objects.requireNonNull(duration, "duration must not be null");
        return new JobLeases() {

            @Override
            public List<Lease> acquire(List<JobId> candidates, int max) {
                return store.tryAcquireAny(candidates.stream().map(JobLeases::resource).toList(), max, owner, duration);
            }

            @Override
            public Duration duration() {
                return duration;
            }
        };
    }

    /**
     * Returns the lease resource of a job.
     * @param id the job
     * @return {@code jobs:<id>}
     */
    static String resource(JobId id) {
        return RESOURCE_PREFIX + id;
    }

    /**
     * Returns the job a lease resource is of.
     * @param resource a resource made by {@link #resource}
     * @return the job
     * @throws IllegalArgumentException when the resource is not a job's
     */
    static JobId jobId(String resource) {
        if (!resource.startsWith(RESOURCE_PREFIX)) {
            throw new IllegalArgumentException("'" + resource + "' is not the lease resource of a job");
        }
        return JobId.parse(resource.substring(RESOURCE_PREFIX.length()));
    }

    /**
     * Returns the job a lease resource is of, or {@code null} when it is not a job's: for the lease stores that keep
     * the leases in the jobs' own records, to which a resource of any other kind is unknown.
     * @param resource a lease resource
     * @return the job, or {@code null}
     */
    static @Nullable JobId jobIdOrNull(String resource) {
        try {
            return jobId(resource);
        }
        catch (IllegalArgumentException ex) {
            return null;
        }
    }

    /**
     * Returns the leases of jobs among these, in their order: those whose resource {@link #jobIdOrNull} reads.
     * @param leases leases of any resources
     * @return the jobs' leases
     */
    static List<Lease> ofJobs(List<Lease> leases) {
        List<Lease> jobs = new ArrayList<>(leases.size());
        for (Lease lease : leases) {
            if (jobIdOrNull(lease.resource()) != null) {
                jobs.add(lease);
            }
        }
        return jobs;
    }
}
