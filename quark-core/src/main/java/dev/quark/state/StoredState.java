package dev.quark.state;

import java.util.Objects;

/**
 * A state as a {@link StateStore} holds it.
 *
 * @param payload the state's JSON document, exactly as it was saved
 * @param version its version: 1 after the first save, one more with every save
 */
public record StoredState(String payload, long version) {

    /**
     * Validates the parts.
     * @throws IllegalArgumentException when the version is not positive
     */
    public StoredState {
        Objects.requireNonNull(payload, "payload must not be null");
        if (version <= 0) {
            throw new IllegalArgumentException("version must be positive, was " + version);
        }
    }
}
