package dev.quark.durabletasks;

/**
 * Where an orchestration instance is in its life:
 * <pre>
 *                schedule
 *                   |
 *                   v
 *               PENDING -------------------------------+
 *                   | first step runs                   |
 *                   v                                   |
 *   +---------> RUNNING ------------------+             | terminate
 *   |               |  \                   \            |
 *   | next          |   \ continueAsNew     \ terminate |
 *   | execution     |    v                   v          v
 *   | starts        |  CONTINUED_AS_NEW     TERMINATED <+
 *   +---------------|----/                   ^
 *                   |                        | terminate
 *          +--------+---------+          SUSPENDED
 *          v                  v         (suspend from PENDING or RUNNING;
 *      COMPLETED            FAILED       resume goes back where it was)
 * </pre>
 * {@link #COMPLETED}, {@link #FAILED} and {@link #TERMINATED} are final: the instance takes no more events and
 * can be purged. {@link #CONTINUED_AS_NEW} lasts until the next execution's first step; {@link #SUSPENDED} until
 * the instance is resumed or terminated.
 */
public enum OrchestrationStatus {

    /** Scheduled; its first step has not run yet. */
    PENDING,

    /** Its code has run and waits for a task (or runs a step right now). */
    RUNNING,

    /** Its code returned; the output is recorded. */
    COMPLETED,

    /** Its code threw, its replay did not match its history, or its step could not run; the failure is recorded. */
    FAILED,

    /** Terminated through {@link DurableTaskClient#terminate}; its code stopped where it was. */
    TERMINATED,

    /** Its code called {@link OrchestrationContext#continueAsNew}; the next execution is about to start. */
    CONTINUED_AS_NEW,

    /**
     * Suspended through {@link DurableTaskClient#suspend}: no step runs (events, timers and activity results wait)
     * until it is resumed or terminated.
     */
    SUSPENDED;

    /**
     * Returns whether the status is final.
     * @return whether the instance completed, failed or was terminated
     */
    public boolean isFinal() {
        return this == COMPLETED || this == FAILED || this == TERMINATED;
    }
}
