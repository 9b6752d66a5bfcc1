package dev.quark.durabletasks.history;

import java.time.Instant;
import java.util.Objects;

/**
 * The code passed {@code getVersion} for a change for the first time.
 *
 * @param timestamp when it was recorded
 * @param changeId the change
 * @param version the version recorded
 */
public record VersionMarker(Instant timestamp, String changeId, int version) implements HistoryEvent {

    /**
     * Validates the event.
     */
    public VersionMarker {
        Objects.requireNonNull(timestamp, "timestamp must not be null");
        Objects.requireNonNull(changeId, "changeId must not be null");
    }
}
