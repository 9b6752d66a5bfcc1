package dev.quark.jobs;

/**
 * Where a {@link JobWorkflow} step is. A step runs as one job; the last four statuses are final.
 */
public enum StepStatus {

    /** Its dependencies have not all finished: its job does not exist yet. */
    WAITING,

    /** Its job was enqueued and has not finished: enqueued, running or waiting for a retry. */
    RUNNING,

    /** Its job succeeded. */
    SUCCEEDED,

    /**
     * Its job was dead-lettered, or was deleted (purged) before the workflow recorded its outcome, or it did not run
     * because a dependency it needed to succeed failed with {@link FailurePolicy#FAIL_DEPENDENTS}. Only the first two
     * let its {@link StepCondition#ON_FAILURE} continuations run.
     */
    FAILED,

    /** It did not run: a condition on its dependencies does not hold ({@link FailurePolicy#SKIP_DEPENDENTS}, a continuation on a failure that did not happen). */
    SKIPPED,

    /** Its job was cancelled, or it did not run because the workflow, or a dependency, was cancelled. */
    CANCELLED;

    /**
     * Returns whether the step will not change again.
     * @return whether it is final
     */
    public boolean isFinal() {
        return this != WAITING && this != RUNNING;
    }

    /**
     * Returns how a step whose job finished ended.
     * @param status the job's status
     * @return the step's final status, or {@code null} when the job has not finished
     */
    public static @org.jspecify.annotations.Nullable StepStatus ofFinishedJob(JobStatus status) {
        return switch (status) {
            case SUCCEEDED -> SUCCEEDED;
            case DEAD_LETTERED -> FAILED;
            case CANCELLED -> CANCELLED;
            default -> null;
        };
    }
}
