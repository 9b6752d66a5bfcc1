package dev.quark.jobs;

/**
 * What a recurring job does about the scheduled instants it missed while no node ran it (every node was down, or
 * the store could not be reached) for longer than the misfire threshold ({@code quark.jobs.recurring.misfire-threshold},
 * 1 minute).
 */
public enum MisfirePolicy {

    /** Runs once for all the missed instants (as the first of them), skips the rest; the default. */
    RUN_ONCE,

    /** Runs none of the missed instants; the next run is the first scheduled instant after now. */
    SKIP
}
