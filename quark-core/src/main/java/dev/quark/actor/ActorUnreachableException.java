package dev.quark.actor;

/**
 * No silo can be reached that hosts the called actor: this runtime does not host its contract and nothing
 * routes the call elsewhere (no cluster is configured, or no silo hosting the contract is known). The call
 * was not delivered.
 */
public class ActorUnreachableException extends ActorException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message what could not be reached and why
     */
    public ActorUnreachableException(String message) {
        super(message);
    }
}
