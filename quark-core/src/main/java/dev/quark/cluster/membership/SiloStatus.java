package dev.quark.cluster.membership;

/**
 * Where a silo is in its life, as the membership table records it. A silo moves only forward:
 * {@code JOINING → ACTIVE → SHUTTING_DOWN → DEAD}, skipping steps when it dies; a silo that rejoins writes a
 * new entry with a higher {@link SiloEntry#epoch() epoch}.
 */
public enum SiloStatus {

    /** Registered, not yet taking calls: others do not place actors on it. */
    JOINING,

    /** Serving: on the ring, takes calls and activations. */
    ACTIVE,

    /** Leaving gracefully: takes no new activations, hands its actors over, then leaves. */
    SHUTTING_DOWN,

    /** Left or declared dead: off the ring; a silo that reads itself as dead stops serving. */
    DEAD;

    /**
     * Returns whether a move from this status to another is allowed.
     * @param next the next status
     * @return {@code true} when {@code next} comes after this one (or is this one)
     */
    public boolean canMoveTo(SiloStatus next) {
        return next.ordinal() >= ordinal();
    }
}
