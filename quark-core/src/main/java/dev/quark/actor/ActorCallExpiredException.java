package dev.quark.actor;

/**
 * A call's deadline passed while it waited in the actor's mailbox, so its turn was never run. The caller may
 * retry: the actor did not see the call.
 */
public class ActorCallExpiredException extends ActorCallTimeoutException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param actor the actor, as {@code Type/id}
     * @param method the method name
     * @param lateMillis how long past its deadline the call was when its turn would have started
     */
    public ActorCallExpiredException(String actor, String method, long lateMillis) {
        super(actor, method, "Call " + actor + "." + method + "() still waited in the mailbox " + lateMillis
                + " ms after its deadline; it was not run");
    }

    /**
     * Rebuilds the exception as it crossed silos, with the message it had there.
     * @param actor the actor, as {@code Type/id}
     * @param method the method name
     * @param message the message of the original exception
     */
    public ActorCallExpiredException(String actor, String method, String message) {
        super(actor, method, message);
    }
}
