package dev.quark.durabletasks.internal;

import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.store.OrchestrationCommit;

/**
 * What an orchestration step produced, for the worker to commit and measure.
 *
 * @param commit the outcome to write
 * @param orchestration the orchestration's name
 * @param replayedEvents how many recorded events the code was replayed through
 * @param ranCode whether the orchestration's code ran (not for a termination or messages dropped)
 */
public record StepResult(OrchestrationCommit commit, String orchestration, int replayedEvents, boolean ranCode) {

    /**
     * Returns the instance's status after the step.
     * @return the status
     */
    public OrchestrationStatus status() {
        return this.commit.status();
    }
}
