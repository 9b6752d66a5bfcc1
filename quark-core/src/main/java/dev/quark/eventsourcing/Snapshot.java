package dev.quark.eventsourcing;

import java.util.Objects;

/**
 * A stream's state as of one of its versions, so that rebuilding it reads only the events after that version.
 *
 * @param version the version of the last event the state includes, at least 1
 * @param payload the state as a JSON document
 */
public record Snapshot(long version, String payload) {

    /**
     * Validates the snapshot.
     * @throws IllegalArgumentException when the version is below 1
     */
    public Snapshot {
        Objects.requireNonNull(payload, "payload must not be null");
        if (version < 1) {
            throw new IllegalArgumentException("A snapshot's version must be at least 1, was " + version);
        }
    }
}
