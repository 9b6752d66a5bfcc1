package dev.quark.durabletasks.replay;

import dev.quark.durabletasks.NonDeterministicOrchestrationException;
import org.jspecify.annotations.Nullable;

/**
 * What replaying one recorded history showed.
 *
 * @param instanceId the instance
 * @param orchestration the orchestration's name
 * @param replayedEvents how many recorded events the code was replayed through
 * @param divergence where the code does not match the history, {@code null} when it does
 * @param failure an exception the code threw while replaying without diverging (a behaviour change worth a look,
 * though the history allows it), {@code null} when none
 */
public record ReplayResult(String instanceId, String orchestration, int replayedEvents,
        @Nullable NonDeterministicOrchestrationException divergence, @Nullable Throwable failure) {

    /**
     * Returns whether the code matches the history.
     * @return whether no divergence was found
     */
    public boolean isDeterministic() {
        return this.divergence == null;
    }

    /**
     * Throws the divergence, if any.
     * @throws NonDeterministicOrchestrationException when the code does not match the history
     */
    public void requireDeterministic() {
        NonDeterministicOrchestrationException found = this.divergence;
        if (found != null) {
            throw found;
        }
    }
}
