package dev.quark.jobs;

/**
 * When a {@link JobWorkflow} step may run, with respect to one of the steps it depends on.
 */
public enum StepCondition {

    /** The dependency succeeded. */
    ON_SUCCESS,

    /**
     * The dependency's job ran and failed: it was dead-lettered (or deleted before the workflow recorded its outcome).
     * A dependency that failed without running, because one it needed failed with
     * {@link FailurePolicy#FAIL_DEPENDENTS}, does not meet it: its continuation on failure is skipped, since there is
     * nothing to compensate ({@link #isMetBy} alone cannot tell the two apart; the workflow runtime does).
     */
    ON_FAILURE,

    /** The dependency finished in any way but cancelled: succeeded, failed or skipped. */
    ON_COMPLETION;

    /**
     * Returns whether a dependency that ended as it did lets the dependent run.
     * @param outcome how the dependency ended
     * @return whether the condition holds
     */
    public boolean isMetBy(StepStatus outcome) {
        return switch (this) {
            case ON_SUCCESS -> outcome == StepStatus.SUCCEEDED;
            case ON_FAILURE -> outcome == StepStatus.FAILED;
            case ON_COMPLETION -> outcome == StepStatus.SUCCEEDED || outcome == StepStatus.FAILED
                    || outcome == StepStatus.SKIPPED;
        };
    }
}
