package dev.quark.jobs;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * Which jobs {@link JobQueue#list} returns: by status and type, one page at a time in the order of their ids
 * (the order they were enqueued in). Immutable:
 * <pre>{@code
 * JobPage page = jobs.list(JobQuery.status(JobStatus.DEAD_LETTERED).type("send-invoice").limit(50));
 * while (page.next() != null) {
 *     page = jobs.list(query.after(page.next()));
 * }
 * }</pre>
 *
 * @param statuses the statuses to list; empty for all
 * @param type the job type to list, or {@code null} for all
 * @param limit the most jobs on a page, 1 to {@value #MAX_LIMIT}
 * @param after the id the page starts after (the {@link JobPage#next()} of the previous page), or {@code null} for
 * the first page
 */
public record JobQuery(Set<JobStatus> statuses, @Nullable String type, int limit, @Nullable JobId after) {

    /** The largest page. */
    public static final int MAX_LIMIT = 1000;

    /** The page size unless set. */
    public static final int DEFAULT_LIMIT = 100;

    /**
     * Validates the query.
     * @throws IllegalArgumentException naming the limit when it is out of range
     */
    public JobQuery {
        statuses = statuses.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(statuses));
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("A page holds 1 to " + MAX_LIMIT + " jobs, was " + limit);
        }
    }

    /**
     * Returns the query for every job, first page.
     * @return the query
     */
    public static JobQuery all() {
        return new JobQuery(Set.of(), null, DEFAULT_LIMIT, null);
    }

    /**
     * Returns the query for the jobs in some statuses, first page.
     * @param status a status
     * @param more more statuses
     * @return the query
     */
    public static JobQuery status(JobStatus status, JobStatus... more) {
        return new JobQuery(EnumSet.of(status, more), null, DEFAULT_LIMIT, null);
    }

    /**
     * Returns this query for one job type.
     * @param type the type
     * @return the new query
     */
    public JobQuery type(String type) {
        Objects.requireNonNull(type, "type must not be null");
        return new JobQuery(this.statuses, type, this.limit, this.after);
    }

    /**
     * Returns this query with another page size.
     * @param limit the most jobs on a page
     * @return the new query
     */
    public JobQuery limit(int limit) {
        return new JobQuery(this.statuses, this.type, limit, this.after);
    }

    /**
     * Returns this query for the page after a job.
     * @param id the last id of the previous page, its {@link JobPage#next()}
     * @return the new query
     */
    public JobQuery after(JobId id) {
        Objects.requireNonNull(id, "id must not be null");
        return new JobQuery(this.statuses, this.type, this.limit, id);
    }

    /**
     * Returns whether a job is one this query lists, whatever the page.
     * @param job the job
     * @return whether its status and type match
     */
    public boolean matches(Job job) {
        return (this.statuses.isEmpty() || this.statuses.contains(job.status()))
                && (this.type == null || this.type.equals(job.type()));
    }
}
