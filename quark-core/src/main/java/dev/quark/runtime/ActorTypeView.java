package dev.quark.runtime;

import java.util.List;

import dev.quark.actor.Actor;

/**
 * A registered actor implementation and its live counters, for health, metrics and diagnostics.
 */
public interface ActorTypeView {

    /**
     * Returns the name used in actor addresses, logs, metric tags, error messages and keys of persistent
     * data: the {@link dev.quark.actor.QuarkActor#name()} if set, otherwise the wire name of the first
     * contract in alphabetical order that is not a {@link dev.quark.actor.SharedContract} (its
     * {@link dev.quark.actor.WireName}, or its simple name).
     * @return the name
     */
    String name();

    /**
     * Returns the implementation class.
     * @return the class annotated {@link dev.quark.actor.QuarkActor}
     */
    Class<?> implementation();

    /**
     * Returns the contracts the implementation serves, sorted by name.
     * @return the contracts
     */
    List<Class<? extends Actor>> contracts();

    /**
     * Returns the number of activations currently alive.
     * @return the activation count
     */
    long activationCount();

    /**
     * Returns the number of messages waiting in mailboxes of this type, not counting running turns.
     * @return the queued message count
     */
    long queuedMessageCount();
}
