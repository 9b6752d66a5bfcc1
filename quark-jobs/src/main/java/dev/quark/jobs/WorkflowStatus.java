package dev.quark.jobs;

/**
 * Where a {@link JobWorkflow} is: the aggregate of its steps.
 */
public enum WorkflowStatus {

    /** Some step has not finished. */
    RUNNING,

    /** Every step finished, none {@link StepStatus#FAILED} or {@link StepStatus#CANCELLED} (skipped steps do not fail a workflow). */
    SUCCEEDED,

    /** Every step finished, one or more {@link StepStatus#FAILED}. */
    FAILED,

    /**
     * It was cancelled: its waiting steps will not run, its running ones were asked to stop. Also a workflow whose
     * steps all finished, none failed, and one or more was cancelled (its job cancelled on its own).
     */
    CANCELLED;

    /**
     * Returns whether the workflow will not change again.
     * @return whether it is final
     */
    public boolean isFinal() {
        return this != RUNNING;
    }
}
