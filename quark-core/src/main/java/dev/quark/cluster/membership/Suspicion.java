package dev.quark.cluster.membership;

import java.time.Instant;
import java.util.Objects;

/**
 * One silo's vote that another one is dead, kept in the suspected silo's entry.
 *
 * @param suspectingSiloId the voter
 * @param at when it voted
 */
public record Suspicion(String suspectingSiloId, Instant at) {

    /**
     * Validates the components.
     * @param suspectingSiloId the voter
     * @param at when it voted
     */
    public Suspicion {
        Objects.requireNonNull(suspectingSiloId, "suspectingSiloId must not be null");
        Objects.requireNonNull(at, "at must not be null");
    }
}
