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
}
