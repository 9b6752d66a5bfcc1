package dev.quark.durabletasks.internal;

import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.store.OrchestrationCommit;
import org.jspecify.annotations.Nullable;

/**
 * What an orchestration step produced, for the worker to commit and measure.
 *
 * @param commit the outcome to write
 * @param orchestration the orchestration's name
 * @param replayedEvents how many recorded events the code was replayed through
 * @param ranCode whether the orchestration's code ran (not for a termination or messages dropped)
 * @param kept the code parked after the step, to keep once the commit is written
 * ({@link OrchestrationExecutor#committed}) or release when it is not ({@link OrchestrationExecutor#notCommitted});
 * {@code null} when nothing is kept
 */
public record StepResult(OrchestrationCommit commit, String orchestration, int replayedEvents, boolean ranCode,
        @Nullable KeptInstance kept) {

    /**
     * Creates a result that keeps nothing.
     * @param commit the outcome to write
     * @param orchestration the orchestration's name
     * @param replayedEvents how many recorded events the code was replayed through
     * @param ranCode whether the orchestration's code ran
     */
    public StepResult(OrchestrationCommit commit, String orchestration, int replayedEvents, boolean ranCode) {
        this(commit, orchestration, replayedEvents, ranCode, null);
    }

    /**
     * Whether this step keeps the code of a kept instance.
     */
    boolean keeps(KeptInstance instance) {
        KeptInstance mine = this.kept;
        return mine != null && mine.code() == instance.code();
    }

    /**
     * Returns the instance's status after the step.
     * @return the status
     */
    public OrchestrationStatus status() {
        return this.commit.status();
    }
}
