package dev.quark.jobs.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobFilter;
import dev.quark.jobs.JobVetoedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered {@link JobFilter}s, in order, each call guarded: a filter that throws is logged and skipped (its
 * changes to a draft undone), and the job goes on; only a veto stops an enqueue.
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
     * Returns how a filter is named in messages and logs.
     * @param filter the filter
     * @return its class's name
     */
    static String nameOf(JobFilter filter) {
        return filter.getClass().getName();
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

    /**
     * Hands a job about to be stored to every filter's {@link JobFilter#beforeEnqueue}, in order.
     * @param draft the job
     * @throws JobVetoedException when a filter vetoed it; the later filters are not asked
     */
    void beforeEnqueue(EnqueueDraft draft) {
        for (JobFilter filter : this.filters) {
            draft.handTo(filter);
            try {
                filter.beforeEnqueue(draft);
            }
            catch (JobVetoedException ex) {
                throw ex;
            }
            catch (RuntimeException ex) {
                draft.undo();
                logger.warn("Job filter {} failed in beforeEnqueue of {}; its changes are undone and the job goes on",
                        filter, draft.describe(), ex);
            }
        }
    }

    /**
     * Opens every filter's {@link JobFilter#openScope scope} for an attempt, in order.
     * @param job the job as claimed
     * @return the scopes opened, to {@link #close}
     */
    List<JobFilter.Scope> openScopes(Job job) {
        if (this.filters.isEmpty()) {
            return List.of();
        }
        List<JobFilter.Scope> scopes = new ArrayList<>(this.filters.size());
        for (JobFilter filter : this.filters) {
            try {
                scopes.add(Objects.requireNonNull(filter.openScope(job), "openScope returned null"));
            }
            catch (RuntimeException ex) {
                logger.warn("Job filter {} failed in openScope of job {} ({}); the job goes on", filter, job.id(),
                        job.type(), ex);
            }
        }
        return scopes;
    }

    /**
     * Closes the scopes of an attempt, the last opened first.
     * @param job the job as claimed
     * @param scopes what {@link #openScopes} returned
     */
    void close(Job job, List<JobFilter.Scope> scopes) {
        for (int i = scopes.size() - 1; i >= 0; i--) {
            try {
                scopes.get(i).close();
            }
            catch (RuntimeException ex) {
                logger.warn("A job filter scope {} failed to close after an attempt of job {} ({})", scopes.get(i),
                        job.id(), job.type(), ex);
            }
        }
    }

    @Override
    public String toString() {
        return "JobFilters" + this.filters;
    }
}
