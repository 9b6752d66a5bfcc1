package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A client asked the instance to cancel ({@code DurableTaskClient.cancel}): from this point of the history on the
 * code sees {@code isCancellationRequested()}, and the tasks it waited for fail with an
 * {@code OrchestrationCancelledException}, so that it can compensate. Unlike a termination, the code keeps running.
 *
 * @param timestamp when it was recorded
 * @param reason the reason given
 */
public record ExecutionCancelRequested(Instant timestamp, @Nullable String reason) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public ExecutionCancelRequested {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
    }
}
