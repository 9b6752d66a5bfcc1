package dev.quark.runtime.routing;

import java.util.concurrent.CompletableFuture;

import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntimeDefaults;
import dev.quark.runtime.MethodDescriptor;
import org.jspecify.annotations.Nullable;

/**
 * Where a transport hands over the calls it receives from other silos. Obtained from
 * {@link dev.quark.runtime.ActorRuntime#inbound()}; such a call enters the same mailboxes and incoming
 * filters as a local one.
 */
public interface InboundCalls {

    /**
     * Returns a method of an actor type hosted here, so that the transport can deserialize its arguments.
     * @param typeName the actor type name of the address
     * @param methodId the method id
     * @return the method
     * @throws dev.quark.actor.ActorUnreachableException naming the type when this silo does not host it
     * @throws IllegalArgumentException naming type and id when the type has no such method
     */
    MethodDescriptor method(String typeName, int methodId);

    /**
     * Delivers a call to its actor, activating it if needed; may wait for room in a full mailbox up to the
     * mailbox-full timeout.
     * @param call the call
     * @return a future completed with the result when the turn ends (with {@code null} for a one-way call once
     * its actor took it and its turn ran or its activation failed: what became of it is logged by the runtime, not
     * passed back), or with the failure: what a request's method threw, a full mailbox, an expired deadline, an
     * unknown type or method, arguments that do not match the method, a closed runtime, a request's activation
     * that failed or was refused here; a call the runtime hands to another silo completes as that silo answers
     */
    CompletableFuture<@Nullable Object> deliver(InboundCall call);

    /**
     * Delivers a call to its actor like {@link #deliver}, activating it if needed, but never waits for room:
     * a transport's receiving thread calls it, so that one actor's full mailbox does not hold back the calls
     * for other actors behind it.
     * @param call the call
     * @return {@code null} when the actor's mailbox is full (nothing was delivered: the caller may wait for
     * room on a thread of its own and {@link #deliver} it then), else a future as for {@link #deliver}
     */
    @Nullable CompletableFuture<@Nullable Object> offer(InboundCall call);

    /**
     * Returns how many messages may wait for one activation, as the runtime was configured: a transport lets
     * at most as many received calls wait per actor for room in its mailbox.
     * @return a positive number; by default {@link ActorRuntimeDefaults#MAILBOX_CAPACITY}
     */
    default int mailboxCapacity() {
        return ActorRuntimeDefaults.MAILBOX_CAPACITY;
    }

    /**
     * Goes on with a deadlock probe from the call it names, through this silo's wait-for graph: closes the cycle
     * when the path comes back to its initiator here, passes it on when it reaches a call to another silo, hands it
     * to {@link RemoteWaits#passOn(WaitProbe)} when no activation here runs or holds the call it names, and drops it
     * otherwise. Returns at once; by default it drops every probe.
     * @param probe the probe
     */
    default void probe(WaitProbe probe) {
    }

    /**
     * Fails the call of a deadlock's victim, if it still waits in its actor's mailbox here, with a
     * {@link dev.quark.actor.DeadlockException}; hands it to {@link RemoteWaits#passOn(DeadlockVictim)} when no
     * activation here runs or holds that call. By default it does nothing.
     * @param victim the call
     */
    default void breakDeadlock(DeadlockVictim victim) {
    }

    /**
     * Returns whether an activation of an actor here has a turn in progress that serves a call chain: a call of
     * that chain is a call back into that turn ({@code A -> B -> A}), which only that activation can run, also
     * while this silo hands the actor over to another one. Looks only: activates nothing. By default
     * {@code false}.
     * @param address the actor
     * @param callChainId the call's chain
     * @return whether a turn of that chain is in progress on the actor's activation here
     */
    default boolean servesChain(ActorAddress address, long callChainId) {
        return false;
    }

    /**
     * Returns whether a call {@link #deliver delivered} here failed because the {@link ActivationGate} refused the
     * activation it waited for: it ran nowhere, so its caller may send it elsewhere. A failure of the call's own turn,
     * even with the same exception (a nested call the gate refused), is not. By default {@code false}.
     * @param outcome what {@link #deliver} or {@link #offer} returned, completed exceptionally
     * @return whether the activation gate refused it before its turn
     */
    default boolean refusedByGate(CompletableFuture<?> outcome) {
        return false;
    }
}
