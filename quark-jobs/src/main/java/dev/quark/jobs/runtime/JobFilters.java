package dev.quark.jobs.runtime;

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
            catch (Throwable ex) {
                logger.warn("Job filter {} failed in {} of job {} ({}); the job goes on", nameOf(filter), hook,
                        job.id(), job.type(), ex);
                if (ex instanceof VirtualMachineError error) {
                    throw error;
                }
            }
        }
    }

    /**
     * Hands a job about to be stored to every filter's {@link JobFilter#beforeEnqueue}, in order. A filter that throws
     * anything but a veto (an error too: an {@code AssertionError}, a {@code NoClassDefFoundError}) is logged and its
     * changes undone, and the job goes on; a {@link VirtualMachineError} is rethrown after that, the job not stored.
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
            catch (Throwable ex) {
                draft.undo();
                logger.warn("Job filter {} failed in beforeEnqueue of {}; its changes are undone and the job goes on",
                        nameOf(filter), draft.describe(), ex);
                if (ex instanceof VirtualMachineError error) {
                    throw error;
                }
            }
        }
    }

    /**
     * Opens every filter's {@link JobFilter#openScope scope} for an attempt, in order. A filter that throws anything
     * (an error too) or returns {@code null} is logged and skipped; a {@link VirtualMachineError} stops the opening and
     * is rethrown, the scopes opened before it already in {@code opened}, to close.
     * @param job the job as claimed
     * @param opened receives the scopes opened, to {@link #close}, as each is opened
     */
    void openScopes(Job job, List<OpenScope> opened) {
        for (JobFilter filter : this.filters) {
            try {
                JobFilter.Scope scope = filter.openScope(job);
                if (scope == null) {
                    logger.warn("Job filter {} returned no scope (null) from openScope of job {} ({}); the job goes on",
                            nameOf(filter), job.id(), job.type());
                }
                else {
                    opened.add(new OpenScope(filter, scope));
                }
            }
            catch (Throwable ex) {
                logger.warn("Job filter {} failed in openScope of job {} ({}); the job goes on", nameOf(filter),
                        job.id(), job.type(), ex);
                if (ex instanceof VirtualMachineError error) {
                    throw error;
                }
            }
        }
    }

    /**
     * Closes the scopes of an attempt, the last opened first, each even when another threw anything; a
     * {@link VirtualMachineError} is rethrown once all are closed.
     * @param job the job as claimed
     * @param opened what {@link #openScopes} opened
     */
    void close(Job job, List<OpenScope> opened) {
        VirtualMachineError fatal = null;
        for (int i = opened.size() - 1; i >= 0; i--) {
            OpenScope scope = opened.get(i);
            try {
                scope.scope().close();
            }
            catch (Throwable ex) {
                logger.warn("The scope of job filter {} failed to close after an attempt of job {} ({})",
                        nameOf(scope.filter()), job.id(), job.type(), ex);
                if (ex instanceof VirtualMachineError error && fatal == null) {
                    fatal = error;
                }
            }
        }
        if (fatal != null) {
            throw fatal;
        }
    }

    /**
     * A scope opened for an attempt, with the filter that opened it, to name in the log.
     * @param filter the filter
     * @param scope its scope
     */
    record OpenScope(JobFilter filter, JobFilter.Scope scope) {
    }

    @Override
    public String toString() {
        return "JobFilters" + this.filters;
    }
}
