package dev.quark.jobs.runtime;

import java.util.Locale;

/**
 * How a job's attempt ended on a worker, as metrics record it.
 */
public enum ExecutionOutcome {

    /** The handler completed. */
    SUCCEEDED,

    /** The attempt failed or timed out; another will follow. */
    RETRIED,

    /** The attempt failed or timed out and no other will follow, or the payload could not be read. */
    DEAD_LETTERED,

    /** The handler stopped after a cancellation request, or the job was cancelled before it started. */
    CANCELLED,

    /** The worker lost the job's lease; its handler was interrupted, nothing was written. */
    LEASE_LOST,

    /** The worker shut down before the attempt finished and gave the job back. */
    RELEASED;

    /**
     * Returns the name used in metric tags.
     * @return for instance {@code dead-lettered}
     */
    public String tagValue() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
