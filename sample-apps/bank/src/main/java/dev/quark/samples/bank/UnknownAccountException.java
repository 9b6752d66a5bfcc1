package dev.quark.samples.bank;

/**
 * An operation named an account that was never opened.
 */
public class UnknownAccountException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception with its whole message: the constructor by which a silo rebuilds the exception that
     * another silo threw.
     * @param message the message
     */
    public UnknownAccountException(String message) {
        super(message);
    }

    static UnknownAccountException of(String accountId) {
        return new UnknownAccountException("Account " + accountId + " does not exist");
    }
}
