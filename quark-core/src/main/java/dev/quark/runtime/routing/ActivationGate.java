package dev.quark.runtime.routing;

import dev.quark.runtime.ActorAddress;

/**
 * Decides whether a new activation may start on this silo, just before it would create its instance: the
 * first message for an actor that has no activation here has arrived (a call made here, or one delivered
 * through {@link InboundCalls}). A cluster uses it to keep at most one activation per actor while ownership
 * moves between silos: it refuses an actor this silo no longer owns, and may wait for the previous owner to
 * confirm that it holds no activation of it.
 * <p>
 * It runs on the activation's thread, a virtual thread, before any activation hook; it may block. Restarts of
 * an activation by its supervisor do not ask again. It also learns which actors are supervised children of
 * actors on this silo ({@link #childSpawned}), since those live with their parents.
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
     * Tells the gate that an actor became the supervised child of an actor active on this silo: the child's
     * activations must live here, with its parent, for as long as the parent supervises it, whatever its type's
     * placement. A cluster records it in its directory, so that calls made on any silo reach the child here and
     * no other silo activates it. Runs in the parent's turn the first time the parent spawns the child, before
     * {@code spawnChild} returns; it may block. By default it does nothing.
     * @param child the child
     * @throws RuntimeException to refuse the spawn (the child lives on another silo, or the directory cannot be
     * reached): {@code spawnChild} throws it and the child is not supervised
     */
    default void childSpawned(ActorAddress child) {
    }

    /**
     * Tells the gate that a child spawned here ({@link #childSpawned}) is no longer supervised: its parent ended
     * for good, after its children were deactivated. What the gate recorded for the child goes, and its next
     * activation is placed as its type's placement says. Called under the parent's lock: must neither block nor
     * throw. By default it does nothing.
     * @param child the child
     */
    default void childReleased(ActorAddress child) {
    }
}
