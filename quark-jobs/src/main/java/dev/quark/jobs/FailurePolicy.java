package dev.quark.jobs;

/**
 * What a failed {@link JobWorkflow} step does to the steps that wait for its success
 * ({@link StepCondition#ON_SUCCESS}). Steps that wait for its failure run either way; other branches of the workflow
 * go on either way.
 */
public enum FailurePolicy {

    /** They are {@link StepStatus#FAILED} without running, and so are theirs in turn (the default). */
    FAIL_DEPENDENTS,

    /** They are {@link StepStatus#SKIPPED} without running: their own dependents see a skipped step, not a failed one. */
    SKIP_DEPENDENTS
}
