package dev.quark.runtime.internal;

import java.util.concurrent.CompletableFuture;

import dev.quark.actor.ActorUnreachableException;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.routing.InboundCall;
import dev.quark.runtime.routing.InboundCalls;
import dev.quark.runtime.routing.DeadlockVictim;
import dev.quark.runtime.routing.WaitProbe;
import org.jspecify.annotations.Nullable;

/**
 * Turns calls received from other silos into invocations of local actors and delivers them to the catalog,
 * where they run through the same mailboxes and incoming filters as local calls.
 */
public final class InboundEntry implements InboundCalls {

    private final ActorRegistry registry;

    private final CallRouter router;

    private final DeadlockProbes probes;

    public InboundEntry(ActorRegistry registry, CallRouter router, DeadlockProbes probes) {
        this.registry = registry;
        this.router = router;
        this.probes = probes;
    }

    @Override
    public void probe(WaitProbe probe) {
        this.probes.probed(probe);
    }

    @Override
    public void breakDeadlock(DeadlockVictim victim) {
        this.probes.breakDeadlock(victim);
    }

    @Override
    public boolean refusedByGate(CompletableFuture<?> outcome) {
        return outcome instanceof Invocation invocation && invocation.refusedByGate;
    }

    @Override
    public boolean servesChain(ActorAddress address, long callChainId) {
        return this.router.servesChain(address, callChainId);
    }

    @Override
    public int mailboxCapacity() {
        return this.router.mailboxCapacity();
    }

    @Override
    public MethodDescriptor method(String typeName, int methodId) {
        return actorMethod(hostedType(typeName), methodId).descriptor();
    }

    /**
     * {@inheritDoc}
     * <p>
     * The arguments array may hold nulls, like the arguments of a proxy call the runtime keeps as
     * {@code Object[]}: hence the suppression.
     */
    @Override
    @SuppressWarnings({ "unchecked", "NullAway" })
    public CompletableFuture<@Nullable Object> deliver(InboundCall call) {
        try {
            Invocation invocation = invocation(call);
            this.router.deliverLocal(invocation);
            return (CompletableFuture<@Nullable Object>) (CompletableFuture<?>) invocation;
        }
        catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    @Override
    @SuppressWarnings({ "unchecked", "NullAway" })
    public @Nullable CompletableFuture<@Nullable Object> offer(InboundCall call) {
        try {
            Invocation invocation = invocation(call);
            if (!this.router.offerLocal(invocation)) {
                return null;
            }
            return (CompletableFuture<@Nullable Object>) (CompletableFuture<?>) invocation;
        }
        catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    @SuppressWarnings("NullAway")
    private Invocation invocation(InboundCall call) {
        ActorType type = hostedType(call.address().typeName());
        ActorMethod method = actorMethod(type, call.methodId());
        int expected = method.descriptor().parameterTypes().size();
        if (call.arguments().length != expected) {
            throw new IllegalArgumentException("Call " + call.address() + "." + method.name() + "() has "
                    + call.arguments().length + " arguments, the method takes " + expected);
        }
        Invocation invocation = Invocation.inbound(call.address(), new ActorIdentity(type, call.address().id()),
                method, call.arguments().clone(), call.callChainId(), call.requestId(), call.metadata(),
                call.deadlineEpochMillis());
        invocation.completesOffTurn = true;
        invocation.reroutes = call.reroutes();
        invocation.retried = call.retried();
        return invocation;
    }

    private ActorType hostedType(String typeName) {
        ActorType type = this.registry.type(typeName);
        if (type == null) {
            throw new ActorUnreachableException("This silo hosts no actor type '" + typeName + "'");
        }
        return type;
    }

    private static ActorMethod actorMethod(ActorType type, int methodId) {
        ActorMethod method = type.method(methodId);
        if (method == null) {
            throw new IllegalArgumentException("Actor type " + type.name() + " has no method with id "
                    + ContractIntrospector.hex(methodId) + ": the caller runs a contract this silo does not know");
        }
        return method;
    }
}
