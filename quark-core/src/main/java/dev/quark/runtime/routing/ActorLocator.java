package dev.quark.runtime.routing;

import dev.quark.runtime.ActorAddress;

/**
 * Decides, for every call made through a reference, which silo the called actor lives on. A cluster
 * implements it with its placement and directory; it must answer quickly and without blocking, since it
 * runs on every call.
 */
@FunctionalInterface
public interface ActorLocator {

    /** One silo: every actor lives here. */
    ActorLocator SINGLE_SILO = (address) -> ActorLocation.LOCAL;

    /**
     * Returns where an actor lives.
     * @param address the actor
     * @return its location
     */
    ActorLocation locate(ActorAddress address);

    /** The {@link #locationStamp} of an answer that must not be kept: the locator is asked on every call. */
    long NOT_CACHEABLE = -1;

    /**
     * Returns a stamp of the answer {@link #locate} gives for an address now: while the stamp stays the same,
     * so does the answer, and a reference may keep that answer instead of asking on every call. The runtime
     * reads the stamp before it asks, so an answer is never kept under a newer stamp than its own. The default
     * keeps nothing.
     * @param address the actor
     * @return a stamp that changes whenever the answer may change, or {@link #NOT_CACHEABLE}
     */
    default long locationStamp(ActorAddress address) {
        return NOT_CACHEABLE;
    }
}
