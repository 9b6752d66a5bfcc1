package dev.quark.runtime.internal;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.SharedContract;
import dev.quark.actor.WireName;
import dev.quark.runtime.ActorInstanceFactory;
import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.routing.ActorTypeNames;
import org.jspecify.annotations.Nullable;

/**
 * The contracts a runtime knows and the actor types it hosts. Hosted types, and the contracts declared
 * callable, are validated once at start-up, so that a misconfiguration fails the start rather than a call;
 * other contracts are introspected on first use, for references to actors that live on other silos.
 * <p>
 * Wire names identify contracts and actor types between silos, so each belongs to one contract and one
 * type; method ids are unique within a contract and within an actor type.
 */
public final class ActorRegistry {

    private final ConcurrentHashMap<Class<?>, ContractType> contracts = new ConcurrentHashMap<>();

    /** Written under this lock when a contract becomes known; read without it. */
    private final ConcurrentHashMap<String, Class<? extends Actor>> contractsByWireName = new ConcurrentHashMap<>();

    private final List<ActorType> types;

    private final Map<String, ActorType> typesByName;

    private final ActorTypeNames typeNames;

    private ActorRegistry(List<ActorType> types, ActorTypeNames typeNames) {
        this.types = List.copyOf(types);
        Map<String, ActorType> byName = new HashMap<>();
        for (ActorType type : types) {
            ActorType clash = byName.putIfAbsent(type.name(), type);
            if (clash != null) {
                throw new IllegalStateException("Actor implementations " + clash.implementation().getName() + " and "
                        + type.implementation().getName() + " have the same actor type name '" + type.name()
                        + "': give one of them another @" + QuarkActor.class.getSimpleName() + "(name = ...)");
            }
        }
        this.typesByName = Map.copyOf(byName);
        this.typeNames = typeNames;
    }

    /**
     * Validates the implementations and builds their dispatch tables.
     * @param implementations each implementation class with the factory of its instances
     * @param callable contracts this runtime calls without hosting them, validated now
     * @param metrics where calls are recorded
     * @param typeNames names the actor types of contracts not hosted here
     * @return the registry
     * @throws IllegalArgumentException naming the class or method that cannot be an actor
     * @throws IllegalStateException naming both classes when two implement the same contract, or two
     * contracts or types share a wire name
     */
    public static ActorRegistry of(Map<Class<?>, ActorInstanceFactory> implementations,
            Collection<Class<?>> callable, ActorMetrics metrics, ActorTypeNames typeNames) {
        Map<Class<?>, ContractType> hosted = new LinkedHashMap<>();
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
            Map<Integer, ActorMethod> byId = new HashMap<>();
            for (Class<? extends Actor> contract : served) {
                Map<Method, ActorMethod> methods;
                if (contract.isAnnotationPresent(SharedContract.class)) {
                    methods = hosted.computeIfAbsent(contract, (shared) -> ContractType.shared(contract,
                            ContractIntrospector.wireNameOf(contract), ContractIntrospector.methodsOf(contract, metrics)))
                        .methods();
                }
                else {
                    ContractType existing = hosted.get(contract);
                    if (existing != null) {
                        throw new IllegalStateException("Actor contract " + contract.getName() + " has two implementations, "
                                + implementationOf(existing) + " and " + implementation.getName()
                                + ": a contract has exactly one @" + QuarkActor.class.getSimpleName()
                                + " implementation (unless it is a @" + SharedContract.class.getSimpleName() + ")");
                    }
                    methods = ContractIntrospector.methodsOf(contract, metrics);
                    hosted.put(contract, new ContractType(contract, ContractIntrospector.wireNameOf(contract), type,
                            type.name(), methods));
                }
                for (ActorMethod method : methods.values()) {
                    addToType(type, byId, method);
                }
            }
            type.methods(byId);
        });
        ActorRegistry registry = new ActorRegistry(types, typeNames);
        hosted.values().forEach(registry::add);
        for (Class<?> contract : callable) {
            registry.contract(contract);
        }
        return registry;
    }

    private static void addToType(ActorType type, Map<Integer, ActorMethod> byId, ActorMethod method) {
        ActorMethod clash = byId.putIfAbsent(method.id(), method);
        if (clash != null && !sameSignature(clash.descriptor(), method.descriptor())) {
            throw new IllegalArgumentException("Actor contract methods " + clash.descriptor() + " and "
                    + method.descriptor() + " of actor type " + type.name() + " have the same method id "
                    + ContractIntrospector.hex(method.id()) + ": give one of them another @"
                    + WireName.class.getSimpleName());
        }
    }

    private static boolean sameSignature(MethodDescriptor first, MethodDescriptor second) {
        return first.wireName().equals(second.wireName()) && first.parameterTypes().equals(second.parameterTypes());
    }

    private static String implementationOf(ContractType contract) {
        ActorType type = contract.actorType();
        return (type != null) ? type.implementation().getName() : "?";
    }

    private static void checkImplementation(Class<?> implementation) {
        if (implementation.isInterface() || Modifier.isAbstract(implementation.getModifiers())) {
            throw new IllegalArgumentException("Actor implementation " + implementation.getName()
                    + " must be a concrete class");
        }
    }

    private synchronized ContractType add(ContractType type) {
        ContractType known = this.contracts.get(type.contract());
        if (known != null) {
            return known;
        }
        Class<? extends Actor> clash = this.contractsByWireName.putIfAbsent(type.wireName(), type.contract());
        if (clash != null) {
            throw new IllegalStateException("Actor contracts " + clash.getName() + " and " + type.contract().getName()
                    + " have the same wire name '" + type.wireName() + "': give one of them another @"
                    + WireName.class.getSimpleName());
        }
        this.contracts.put(type.contract(), type);
        return type;
    }

    /**
     * Returns a contract, introspecting it on first use when this runtime does not host it.
     * @throws IllegalArgumentException naming the class when it is not an actor contract or cannot be one
     * @throws IllegalStateException when its wire name is taken by another contract
     */
    public ContractType contract(@Nullable Class<?> contract) {
        if (contract == null) {
            throw new IllegalArgumentException("Actor contract must not be null");
        }
        ContractType type = this.contracts.get(contract);
        return (type != null) ? type : introduce(contract);
    }

    private ContractType introduce(Class<?> candidate) {
        ContractIntrospector.checkContract(candidate);
        Class<? extends Actor> contract = candidate.asSubclass(Actor.class);
        String wireName = ContractIntrospector.wireNameOf(contract);
        if (contract.isAnnotationPresent(SharedContract.class)) {
            return add(ContractType.shared(contract, wireName, ContractIntrospector.methodsOf(contract, ActorMetrics.NONE)));
        }
        String typeName = this.typeNames.typeNameOf(contract, wireName);
        if (typeName == null || typeName.isBlank()) {
            throw new IllegalStateException("The actor type names gave no name for actor contract " + contract.getName());
        }
        return add(new ContractType(contract, wireName, null, typeName,
                ContractIntrospector.methodsOf(contract, ActorMetrics.NONE)));
    }

    /**
     * Returns the contract known under a wire name: hosted here, declared callable, or introspected on an
     * earlier use; {@code null} when none is.
     */
    public @Nullable Class<? extends Actor> contractNamed(String wireName) {
        return this.contractsByWireName.get(wireName);
    }

    /**
     * Returns a contract this runtime hosts.
     * @throws IllegalArgumentException naming the contract when it is not one or has no implementation here
     */
    public ContractType hostedContract(@Nullable Class<?> contract) {
        ContractType type = contract(contract);
        if (type.isShared()) {
            throw sharedContract(type.contract());
        }
        if (type.actorType() == null) {
            throw new IllegalArgumentException("No @" + QuarkActor.class.getSimpleName()
                    + " implementation is registered for actor contract " + type.contract().getName());
        }
        return type;
    }

    /**
     * Returns the local identity of an actor of a hosted contract.
     * @throws IllegalArgumentException naming the contract when this runtime does not host it
     */
    public ActorIdentity identity(Class<?> contract, String id) {
        ActorType type = Objects.requireNonNull(hostedContract(contract).actorType());
        return new ActorIdentity(type, id);
    }

    /**
     * Explains that a shared contract names no actor, so it cannot be reached by contract and id alone.
     */
    static IllegalArgumentException sharedContract(Class<?> contract) {
        return new IllegalArgumentException("Actor contract " + contract.getName() + " is a @"
                + SharedContract.class.getSimpleName() + " that several actor types may implement, so it names no "
                + "actor by itself: reach an actor through it with ActorRuntime.reference(contract, address)");
    }

    /**
     * Returns the hosted actor type with the given name, or {@code null}.
     */
    public @Nullable ActorType type(String name) {
        return this.typesByName.get(name);
    }

    public List<ActorType> types() {
        return this.types;
    }
}
