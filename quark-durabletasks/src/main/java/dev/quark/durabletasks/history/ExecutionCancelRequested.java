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
 * @param closedBy the parent (instance, execution and task) whose closing sent it (its {@code ParentClosePolicy}),
 * {@code null} when a client sent it; an instance that is not that child of that parent ignores it
 */
public record ExecutionCancelRequested(Instant timestamp, @Nullable String reason, @Nullable ParentInstance closedBy)
        implements HistoryEvent {

    /**
     * Validates the event.
     */
    public ExecutionCancelRequested {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
    }

    /**
     * Creates the event as a client sends it.
     * @param timestamp when it was recorded
     * @param reason the reason given
     */
    public ExecutionCancelRequested(Instant timestamp, @Nullable String reason) {
        this(timestamp, reason, null);
    }
}
