package dev.quark.runtime.internal;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.runtime.ActorInstanceFactory;
import dev.quark.runtime.ActorMetrics;
import org.jspecify.annotations.Nullable;

/**
 * The actor types of a runtime and the contracts they serve, validated once at start-up, so that a
 * misconfiguration fails the start rather than a call.
 */
public final class ActorRegistry {

    private final Map<Class<?>, ContractType> contracts;

    private final List<ActorType> types;

    private ActorRegistry(Map<Class<?>, ContractType> contracts, List<ActorType> types) {
        this.contracts = Map.copyOf(contracts);
        this.types = List.copyOf(types);
    }

    /**
     * Validates the implementations and builds their dispatch tables.
     * @param implementations each implementation class with the factory of its instances
     * @param metrics where calls are recorded
     * @return the registry
     * @throws IllegalArgumentException naming the class or method that cannot be an actor
     * @throws IllegalStateException naming both classes when two implement the same contract
     */
    public static ActorRegistry of(Map<Class<?>, ActorInstanceFactory> implementations, ActorMetrics metrics) {
        Map<Class<?>, ContractType> contracts = new LinkedHashMap<>();
        List<ActorType> types = new ArrayList<>();
        implementations.forEach((implementation, instances) -> {
            checkImplementation(implementation);
            List<Class<? extends Actor>> served = ContractIntrospector.contractsOf(implementation);
            if (served.isEmpty()) {
                throw new IllegalArgumentException(implementation.getName()
                        + " does not implement an actor contract: implement an interface that extends "
                        + Actor.class.getName());
            }
            ActorType type = new ActorType(implementation, served, instances);
            types.add(type);
            for (Class<? extends Actor> contract : served) {
                ContractType existing = contracts.get(contract);
                if (existing != null) {
                    throw new IllegalStateException("Actor contract " + contract.getName()
                            + " has two implementations, " + existing.actorType().implementation().getName() + " and "
                            + implementation.getName() + ": a contract has exactly one @"
                            + QuarkActor.class.getSimpleName() + " implementation");
                }
                Map<Method, ActorMethod> methods = ContractIntrospector.methodsOf(contract, metrics);
                contracts.put(contract, new ContractType(contract, type, methods));
            }
        });
        return new ActorRegistry(contracts, types);
    }

    private static void checkImplementation(Class<?> implementation) {
        if (implementation.isInterface() || Modifier.isAbstract(implementation.getModifiers())) {
            throw new IllegalArgumentException("Actor implementation " + implementation.getName()
                    + " must be a concrete class");
        }
    }

    /**
     * Returns the contract type behind a contract class.
     * @throws IllegalArgumentException naming the contract when it is not one or has no implementation
     */
    public ContractType contract(@Nullable Class<?> contract) {
        if (contract == null) {
            throw new IllegalArgumentException("Actor contract must not be null");
        }
        ContractType type = this.contracts.get(contract);
        if (type == null) {
            ContractIntrospector.checkContract(contract);
            throw new IllegalArgumentException("No @" + QuarkActor.class.getSimpleName()
                    + " implementation is registered for actor contract " + contract.getName());
        }
        return type;
    }

    /**
     * Creates a reference that routes calls through the given dispatcher.
     */
    public <T extends Actor> T reference(Class<T> contract, @Nullable String id, CallDispatcher dispatcher) {
        ContractType type = contract(contract);
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("Actor id must not be " + ((id == null) ? "null" : "blank")
                    + " (contract " + contract.getName() + ")");
        }
        ActorIdentity identity = new ActorIdentity(type.actorType(), id);
        Object proxy = Proxy.newProxyInstance(contract.getClassLoader(), type.proxyInterfaces(),
                new ActorReference(type, identity, dispatcher));
        return contract.cast(proxy);
    }

    public ActorIdentity identity(Class<?> contract, String id) {
        return new ActorIdentity(contract(contract).actorType(), id);
    }

    public List<ActorType> types() {
        return this.types;
    }

    public Map<Class<?>, ContractType> contracts() {
        return this.contracts;
    }
}
