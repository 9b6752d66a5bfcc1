package dev.quark.durabletasks.internal;

import org.jspecify.annotations.Nullable;

/**
 * What an orchestration's code did when replayed against a recorded history alone.
 *
 * @param orchestration the orchestration's name
 * @param outcome how the code ended
 * @param failure what it failed with, when it failed (a {@code NonDeterministicOrchestrationException} when it
 * diverged from the history)
 * @param replayedEvents how many recorded events were read
 */
public record ReplayReport(String orchestration, Outcome outcome, @Nullable Throwable failure, int replayedEvents) {

    /**
     * How the code ended.
     */
    public enum Outcome {

        /** It waits for a task the history does not answer. */
        WAITING,

        /** It returned. */
        COMPLETED,

        /** It threw, diverged or blocked. */
        FAILED,

        /** It called {@code continueAsNew}. */
        CONTINUED_AS_NEW
    }
}
