package dev.quark.runtime.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.IdentityHashMap;
import java.util.Map;

import dev.quark.actor.Actor;
import dev.quark.actor.ActorRef;
import org.jspecify.annotations.Nullable;

/**
 * An actor contract as this runtime knows it: its wire name, the actor type name its addresses carry, its
 * dispatch table, and the actor type that implements it when this runtime hosts it ({@code null} when it
 * is only called from here).
 * <p>
 * What every reference needs is computed once per contract: the proxy class's constructor (no
 * {@code Proxy.newProxyInstance} lookup per reference) and a dispatch table keyed by the identity of the
 * {@link Method} objects the proxy class passes, filled on first use of each method (no
 * {@code Method.equals} per call).
 */
public final class ContractType {

    private static final InvocationHandler UNUSED = (proxy, method, arguments) -> {
        throw new IllegalStateException("Never called");
    };

    private final Class<? extends Actor> contract;

    private final String wireName;

    private final @Nullable ActorType actorType;

    private final String typeName;

    private final boolean shared;

    private final Map<Method, ActorMethod> methods;

    /** Copy-on-write: a reader sees a map nobody writes to any more. */
    private volatile Map<Method, ActorMethod> byIdentity = new IdentityHashMap<>();

    /** {@code null} where the proxy class's constructor cannot be looked up: then every reference asks Proxy. */
    private final @Nullable MethodHandle proxyConstructor;

    private final Class<?>[] proxyInterfaces;

    ContractType(Class<? extends Actor> contract, String wireName, @Nullable ActorType actorType, String typeName,
            Map<Method, ActorMethod> methods) {
        this(contract, wireName, actorType, typeName, false, methods);
    }

    private ContractType(Class<? extends Actor> contract, String wireName, @Nullable ActorType actorType,
            String typeName, boolean shared, Map<Method, ActorMethod> methods) {
        this.contract = contract;
        this.wireName = wireName;
        this.actorType = actorType;
        this.typeName = typeName;
        this.shared = shared;
        this.methods = Map.copyOf(methods);
        this.proxyInterfaces = new Class<?>[] { contract, ActorRef.class };
        this.proxyConstructor = proxyConstructorOf(contract, this.proxyInterfaces);
    }

    /**
     * Returns a {@link dev.quark.actor.SharedContract shared} contract: implemented by any number of actor
     * types, it names none, and its references are made for an address.
     */
    static ContractType shared(Class<? extends Actor> contract, String wireName, Map<Method, ActorMethod> methods) {
        return new ContractType(contract, wireName, null, wireName, true, methods);
    }

    private static @Nullable MethodHandle proxyConstructorOf(Class<? extends Actor> contract, Class<?>[] interfaces) {
        Class<?> proxyClass = Proxy.newProxyInstance(contract.getClassLoader(), interfaces, UNUSED).getClass();
        try {
            Constructor<?> constructor = proxyClass.getConstructor(InvocationHandler.class);
            constructor.trySetAccessible();
            return MethodHandles.lookup().unreflectConstructor(constructor)
                .asType(MethodType.methodType(Object.class, InvocationHandler.class));
        }
        catch (ReflectiveOperationException | RuntimeException ex) {
            return null;
        }
    }

    public Class<? extends Actor> contract() {
        return this.contract;
    }

    public String wireName() {
        return this.wireName;
    }

    /**
     * Returns the local actor type implementing the contract, or {@code null} when this runtime does not
     * host it.
     */
    public @Nullable ActorType actorType() {
        return this.actorType;
    }

    /**
     * Returns the actor type name of the addresses of this contract's actors; meaningless for a shared
     * contract, whose actors' addresses carry their own type's name.
     */
    public String typeName() {
        return this.typeName;
    }

    /**
     * Returns whether any number of actor types may implement the contract
     * ({@link dev.quark.actor.SharedContract}).
     */
    public boolean isShared() {
        return this.shared;
    }

    Map<Method, ActorMethod> methods() {
        return this.methods;
    }

    @Nullable ActorMethod method(Method method) {
        ActorMethod known = this.byIdentity.get(method);
        return (known != null) ? known : learn(method);
    }

    private @Nullable ActorMethod learn(Method method) {
        ActorMethod target = this.methods.get(method);
        if (target != null) {
            synchronized (this) {
                Map<Method, ActorMethod> grown = new IdentityHashMap<>(this.byIdentity);
                grown.put(method, target);
                this.byIdentity = grown;
            }
        }
        return target;
    }

    Object newProxy(ActorReference handler) {
        MethodHandle constructor = this.proxyConstructor;
        if (constructor == null) {
            return Proxy.newProxyInstance(this.contract.getClassLoader(), this.proxyInterfaces, handler);
        }
        try {
            return (Object) constructor.invokeExact((InvocationHandler) handler);
        }
        catch (RuntimeException | Error ex) {
            throw ex;
        }
        catch (Throwable ex) {
            throw new IllegalStateException("Cannot create a reference to " + this.contract.getName(), ex);
        }
    }

    @Override
    public String toString() {
        return this.contract.getName() + " (wire name " + this.wireName + ", actor type " + this.typeName + ")";
    }
}
