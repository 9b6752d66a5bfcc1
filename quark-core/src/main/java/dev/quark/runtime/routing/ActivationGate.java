package dev.quark.runtime.routing;

import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

/**
 * Decides whether a new activation may start on this silo, just before it would create its instance: the
 * first message for an actor that has no activation here has arrived (a call made here, or one delivered
 * through {@link InboundCalls}). A cluster uses it to keep at most one activation per actor while ownership
 * moves between silos: it refuses an actor this silo no longer owns, and may wait for the previous owner to
 * confirm that it holds no activation of it.
 * <p>
 * It runs on the activation's thread, a virtual thread, before any activation hook; it may block. Restarts of
 * an activation by its supervisor do not ask again.
 */
@FunctionalInterface
public interface ActivationGate {

    /** One silo: every activation may start here. */
    ActivationGate OPEN = (address) -> ActorLocation.LOCAL;

    /**
     * Decides where a new activation lives.
     * @param address the actor about to be activated
     * @return {@link ActorLocation#LOCAL} to activate it here; another silo's location to send the calls
     * waiting for it there instead, through the {@link RemoteCallSender}: the activation then ends without an
     * instance, and timer ticks or other system turns waiting for it are dropped
     * @throws RuntimeException to refuse it: the calls waiting for it fail with this exception, unwrapped, and
     * the activation ends without an instance
     */
    ActorLocation admit(ActorAddress address);

    /**
     * Decides where a new activation lives, knowing the call chain of the message that starts it: a cluster
     * sends a call back into a turn that the silo which owned the actor until now still runs ({@code A -> B -> A}
     * while {@code A}'s activation there is being handed over) to that silo, instead of waiting for it to give the
     * actor up, which it does only once that turn has ended. By default {@link #admit(ActorAddress)}.
     * @param address the actor about to be activated
     * @param callChainId the call chain of the message that starts the activation
     * @return as {@link #admit(ActorAddress)}
     * @throws RuntimeException as {@link #admit(ActorAddress)}
     */
    default ActorLocation admit(ActorAddress address, long callChainId) {
        return admit(address);
    }

    /**
     * Tells where the calls of a call chain must go that wait for an activation this gate is still deciding on
     * ({@link #admit(ActorAddress, long)} runs), when the chain is not that of the call that started it: a cluster
     * sends a call back into a turn that the silo which owned the actor until now still runs ({@code A -> B -> A}
     * while {@code A} is handed over here) there at once, rather than let it wait behind the starting call for a
     * hand-over that waits for that turn. The runtime asks once per chain and activation, on a virtual thread of its
     * own, while the gate decides; the calls of that chain then waiting leave for the silo named, in order. It may
     * block; what it throws is logged. By default {@code null}.
     * @param address the actor
     * @param callChainId the chain of calls waiting for its activation
     * @return the silo the waiting calls of that chain go to, {@code null} to let them wait
     */
    default @Nullable String callChainElsewhere(ActorAddress address, long callChainId) {
        return null;
    }

    /**
     * Tells the gate that an activation it let start here ({@link ActorLocation#LOCAL}) ended without ever
     * running a call: creating or activating its instance failed (its constructor, an activation hook or
     * {@code onActivate} threw) and no supervisor restarts it. What the gate recorded for it when it let it start
     * (a cluster's directory entry) must go, so that the next call activates the actor again, here or on
     * another silo. Runs on the activation's thread; must not throw. By default it does nothing.
     * @param address the actor whose activation failed
     */
    default void activationFailed(ActorAddress address) {
    }

    /**
     * Tells the gate that an activation on this silo ended for good (not a restart): what the gate recorded
     * when it let it start here goes. Also called for an activation the gate sent elsewhere or refused. Runs
     * under the activation's lock, before a new activation takes over the calls that wait: must not block and
     * must not throw. By default it does nothing.
     * @param address the actor whose activation ended
     */
    default void activationEnded(ActorAddress address) {
    }

    /**
     * Tells the gate that an actor on this silo spawned a child ({@code spawnChild}), on the parent's thread
     * during its turn, before it returns the child's reference. A cluster places the child with its parent when it
     * can: it records in the directory, before the child's first activation, that the child lives on this silo,
     * unless it runs elsewhere already. It may block (a request to another silo); must not throw. By default it
     * does nothing.
     * @param child the child
     */
    default void childSpawned(ActorAddress child) {
    }

    /**
     * Tells the gate that the parent of a child spawned here ended for good: what {@link #childSpawned} recorded
     * for the child must go, once no activation of it is left here, so that the next call places it as any
     * actor of its type. Runs under the parent's lock: must not block and must not throw. By default it does
     * nothing.
     * @param child the child
     */
    default void childReleased(ActorAddress child) {
    }
}
