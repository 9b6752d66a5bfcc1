package dev.quark.runtime.routing;

import dev.quark.actor.Actor;

/**
 * Names the actor type behind a contract that this runtime does not host, for the {@link
 * dev.quark.runtime.ActorAddress addresses} of references to it. Contracts hosted here always take the name
 * of their local actor type. A cluster may plug in the manifests other silos publish.
 */
@FunctionalInterface
public interface ActorTypeNames {

    /** The contract's wire name: the name a hosting silo gives its actor type by default. */
    ActorTypeNames WIRE_NAME = (contract, wireName) -> wireName;

    /**
     * Returns the actor type name for a contract not hosted here.
     * @param contract the contract
     * @param wireName the contract's wire name ({@link dev.quark.actor.WireName} or its simple name)
     * @return the actor type name, not blank
     */
    String typeNameOf(Class<? extends Actor> contract, String wireName);
}
