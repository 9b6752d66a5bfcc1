package dev.quark.jobs.store;

import java.util.List;

import dev.quark.jobs.JobId;
import dev.quark.lease.Lease;

/**
 * Acquires the leases of the jobs a store is claiming, from the worker's {@code LeaseKeeper}, which keeps them
 * alive while the jobs run. A store calls it in the middle of a claim, after it chose the candidates and before it
 * stamps their rows with the leases' tokens.
 */
@FunctionalInterface
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
}
