package dev.quark.jobs.runtime;

import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered {@link JobFilter}s, in order, each call guarded: a filter that throws is logged and skipped, and the
 * job goes on.
 */
public final class JobFilters {

    /** No filters. */
    public static final JobFilters NONE = new JobFilters(List.of());

    private static final Logger logger = LoggerFactory.getLogger(JobFilters.class);

    private final List<JobFilter> filters;

    /**
     * Creates the filters.
     * @param filters the filters, in the order they are called
     */
    public JobFilters(List<? extends JobFilter> filters) {
        this.filters = List.copyOf(Objects.requireNonNull(filters, "filters must not be null"));
    }

    /**
     * Returns the filters.
     * @return the filters, in order
     */
    public List<JobFilter> filters() {
        return this.filters;
    }

    /**
     * Calls a hook of every filter, in order.
     * @param hook the hook's name, for the log
     * @param job the job the hook is about
     * @param call calls the hook
     */
    void each(String hook, Job job, Consumer<JobFilter> call) {
        for (JobFilter filter : this.filters) {
            try {
                call.accept(filter);
            }
            catch (RuntimeException ex) {
                logger.warn("Job filter {} failed in {} of job {} ({}); the job goes on", filter, hook, job.id(),
                        job.type(), ex);
            }
        }
    }

    @Override
    public String toString() {
        return "JobFilters" + this.filters;
    }
}
