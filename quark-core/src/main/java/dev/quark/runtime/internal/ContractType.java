package dev.quark.runtime.internal;

import java.lang.reflect.Method;
import java.util.Map;

import dev.quark.actor.Actor;
import dev.quark.actor.ActorRef;
import org.jspecify.annotations.Nullable;

/**
 * An actor contract bound to the actor type that implements it, with its dispatch table.
 */
public final class ContractType {

    private final Class<? extends Actor> contract;

    private final ActorType actorType;

    private final Map<Method, ActorMethod> methods;

    private final Class<?>[] proxyInterfaces;

    ContractType(Class<? extends Actor> contract, ActorType actorType, Map<Method, ActorMethod> methods) {
        this.contract = contract;
        this.actorType = actorType;
        this.methods = Map.copyOf(methods);
        this.proxyInterfaces = new Class<?>[] { contract, ActorRef.class };
    }

    public Class<? extends Actor> contract() {
        return this.contract;
    }

    public ActorType actorType() {
        return this.actorType;
    }

    public Map<Method, ActorMethod> methods() {
        return this.methods;
    }

    @Nullable ActorMethod method(Method method) {
        return this.methods.get(method);
    }

    Class<?>[] proxyInterfaces() {
        return this.proxyInterfaces;
    }
}
