package dev.quark.durabletasks.internal;

import org.jspecify.annotations.Nullable;

/**
 * How an orchestration step ended.
 */
sealed interface StepOutcome {

    /** The code waits for a task the history does not have yet. */
    record Waiting() implements StepOutcome {
    }

    /** The code returned. */
    record Completed(@Nullable String output) implements StepOutcome {
    }

    /** The code threw, diverged from its history, or could not run. */
    record Failed(Throwable failure) implements StepOutcome {
    }

    /** The code called {@code continueAsNew}. */
    record ContinuedAsNew(@Nullable String input) implements StepOutcome {
    }
}
