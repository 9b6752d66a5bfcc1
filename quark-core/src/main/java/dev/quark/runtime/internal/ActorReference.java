package dev.quark.runtime.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

/**
 * The handler behind every actor reference: turns contract method calls into actor calls and answers the
 * {@link dev.quark.actor.ActorRef} and {@code Object} methods itself. It carries the actor's address and,
 * when this runtime hosts the contract, its local identity.
 */
final class ActorReference implements InvocationHandler {

    private final ContractType contract;

    private final ActorAddress address;

    private final @Nullable ActorIdentity identity;

    private final CallDispatcher dispatcher;

    /** Where the router last found this actor, with the locator's stamp of that answer; any thread may replace it. */
    CallRouter.@Nullable StampedLocation location;

    /**
     * The activation the router last delivered a call through this reference to, so that the next call skips the
     * catalog's look-up; any thread may replace it. One that ended refuses the next call ({@link Delivery#GONE}), which
     * is then looked up again.
     */
    @Nullable Activation activation;

    ActorReference(ContractType contract, ActorAddress address, @Nullable ActorIdentity identity,
            CallDispatcher dispatcher) {
        this.contract = contract;
        this.address = address;
        this.identity = identity;
        this.dispatcher = dispatcher;
    }

    ActorAddress address() {
        return this.address;
    }

    @Nullable ActorIdentity identity() {
        return this.identity;
    }

    @Override
    public @Nullable Object invoke(Object proxy, Method method, Object @Nullable [] arguments) throws Throwable {
        ActorMethod target = this.contract.method(method);
        if (target != null) {
            return this.dispatcher.call(this, target, arguments);
        }
        return switch (method.getName()) {
            case "actorId" -> this.address.id();
            case "actorContract" -> this.contract.contract();
            case "equals" -> arguments != null && isSameActor(arguments[0]);
            case "hashCode" -> this.address.hashCode();
            case "toString" -> "ActorRef[" + this.address + "]";
            default -> throw new UnsupportedOperationException(method + " is not an actor method");
        };
    }

    private boolean isSameActor(@Nullable Object other) {
        return other != null && Proxy.isProxyClass(other.getClass())
                && Proxy.getInvocationHandler(other) instanceof ActorReference reference
                && reference.address.equals(this.address);
    }
}
