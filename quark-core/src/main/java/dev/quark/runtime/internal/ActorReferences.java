package dev.quark.runtime.internal;

import java.lang.reflect.Method;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import dev.quark.actor.Actor;
import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

/**
 * Creates actor references: proxies whose calls go through the runtime's {@link CallDispatcher}.
 */
public final class ActorReferences {

    private final ActorRegistry registry;

    private final CallDispatcher dispatcher;

    public ActorReferences(ActorRegistry registry, CallDispatcher dispatcher) {
        this.registry = registry;
        this.dispatcher = dispatcher;
    }

    /**
     * Returns a reference to an actor of any contract: one hosted here, or one that only another silo hosts.
     * @throws IllegalArgumentException naming the contract or the id when either is invalid
     */
    public <T extends Actor> T reference(Class<T> contract, @Nullable String id) {
        ContractType type = this.registry.contract(contract);
        if (type.isShared()) {
            throw ActorRegistry.sharedContract(contract);
        }
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("Actor id must not be " + ((id == null) ? "null" : "blank")
                    + " (contract " + contract.getName() + ")");
        }
        ActorType actorType = type.actorType();
        ActorIdentity identity = (actorType != null) ? new ActorIdentity(actorType, id) : null;
        ActorAddress address = new ActorAddress(type.typeName(), id);
        return contract.cast(type.newProxy(new ActorReference(type, address, identity, this.dispatcher)));
    }

    /**
     * Returns a reference to an actor given by its address, through a contract its type implements.
     * @throws IllegalArgumentException naming both when the address's type is hosted here and does not
     * implement the contract
     */
    public <T extends Actor> T reference(Class<T> contract, ActorAddress address) {
        ContractType type = this.registry.contract(contract);
        return contract.cast(type.newProxy(handlerFor(type, contract, address)));
    }

    /**
     * Calls a method of an actor given by its address without waiting for its turn
     * ({@link CallDispatcher#callWithoutWaiting}), and without making a proxy.
     * @throws IllegalArgumentException naming both when the address's type is hosted here and does not
     * implement the contract, or when the method is not one of the contract's actor methods or is one-way
     */
    public CompletableFuture<@Nullable Object> callWithoutWaiting(Class<? extends Actor> contract, ActorAddress address,
            Method method, Object @Nullable [] arguments) {
        ContractType type = this.registry.contract(contract);
        ActorReference reference = handlerFor(type, contract, address);
        ActorMethod target = type.method(method);
        if (target == null) {
            throw new IllegalArgumentException(method + " is not an actor method of " + contract.getName());
        }
        return this.dispatcher.callWithoutWaiting(reference, target, arguments);
    }

    private ActorReference handlerFor(ContractType type, Class<? extends Actor> contract, ActorAddress address) {
        Objects.requireNonNull(address, "address must not be null");
        ActorType local = this.registry.type(address.typeName());
        ActorIdentity identity = null;
        if (local != null) {
            if (!local.contracts().contains(contract)) {
                throw new IllegalArgumentException("Actor type " + local + " does not implement " + contract.getName()
                        + ", so " + address + " cannot be called through it");
            }
            identity = new ActorIdentity(local, address.id());
        }
        return new ActorReference(type, address, identity, this.dispatcher);
    }
}
