package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * The instance was terminated.
 *
 * @param timestamp when it was recorded
 * @param reason the reason given
 * @param closedBy the parent (instance, execution and task) whose closing sent it (its {@code ParentClosePolicy}),
 * {@code null} when a client sent it; an instance that is not that child of that parent ignores it
 */
public record ExecutionTerminated(Instant timestamp, @Nullable String reason, @Nullable ParentInstance closedBy)
        implements HistoryEvent {

    /**
     * Validates the event.
     */
    public ExecutionTerminated {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
    }

    /**
     * Creates the event as a client sends it.
     * @param timestamp when it was recorded
     * @param reason the reason given
     */
    public ExecutionTerminated(Instant timestamp, @Nullable String reason) {
        this(timestamp, reason, null);
    }
}
