package dev.quark.durabletasks;

/**
 * What happens to a sub-orchestration that is still running when its parent closes: completes, fails, is
 * terminated or continues as new (a child reports to the execution that started it, so a parent that continues
 * as new has closed for its children too). Recorded with the child's start in the parent's history.
 */
public enum ParentClosePolicy {

    /** The child is terminated, as by {@link DurableTaskClient#terminate}. The default, as in Temporal. */
    TERMINATE,

    /**
     * The child is asked to cancel, as by {@link DurableTaskClient#cancel}: its code sees an
     * {@link OrchestrationCancelledException} at its next wait and can compensate.
     */
    REQUEST_CANCEL,

    /** The child keeps running on its own; its outcome reaches nobody. */
    ABANDON
}
