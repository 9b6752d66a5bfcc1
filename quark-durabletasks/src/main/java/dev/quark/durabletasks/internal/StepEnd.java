package dev.quark.durabletasks.internal;

/**
 * Thrown through an orchestration's code to end its step: the code waits for something the history does not have
 * yet, called {@code continueAsNew}, or diverged from its history. An {@link Error}, so that code catching
 * {@code Exception} (a compensation block) does not swallow it; the context remembers why the step ended, so even
 * code that swallows it cannot change the outcome.
 */
final class StepEnd extends Error {

    private static final long serialVersionUID = 1L;

    StepEnd() {
        super("The orchestration step ends here; this is not a failure. Do not catch Throwable or Error in "
                + "orchestration code", null, false, false);
    }
}
