package dev.quark.runtime.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

import org.jspecify.annotations.Nullable;

/**
 * The handler behind every actor reference: turns contract method calls into actor calls and answers the
 * {@link dev.quark.actor.ActorRef} and {@code Object} methods itself.
 */
final class ActorReference implements InvocationHandler {

    private final ContractType contract;

    private final ActorIdentity identity;

    private final CallDispatcher dispatcher;

    ActorReference(ContractType contract, ActorIdentity identity, CallDispatcher dispatcher) {
        this.contract = contract;
        this.identity = identity;
        this.dispatcher = dispatcher;
    }

    @Override
    public @Nullable Object invoke(Object proxy, Method method, Object @Nullable [] arguments) throws Throwable {
        ActorMethod target = this.contract.method(method);
        if (target != null) {
            return this.dispatcher.call(this.identity, target, arguments);
        }
        return switch (method.getName()) {
            case "actorId" -> this.identity.id();
            case "actorContract" -> this.contract.contract();
            case "equals" -> arguments != null && isSameActor(arguments[0]);
            case "hashCode" -> this.identity.hashCode();
            case "toString" -> "ActorRef[" + this.identity + "]";
            default -> throw new UnsupportedOperationException(method + " is not an actor method");
        };
    }

    private boolean isSameActor(@Nullable Object other) {
        return other != null && Proxy.isProxyClass(other.getClass())
                && Proxy.getInvocationHandler(other) instanceof ActorReference reference
                && reference.identity.equals(this.identity);
    }
}
