package dev.quark.jobs;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * A page of jobs from {@link JobQueue#list}.
 *
 * @param jobs the jobs, in the order of their ids
 * @param next the id to ask the next page after ({@link JobQuery#after}), or {@code null} when this is the last
 * page
 */
public record JobPage(List<Job> jobs, @Nullable JobId next) {

    /**
     * Copies the jobs.
     */
    public JobPage {
        jobs = List.copyOf(jobs);
    }
}
