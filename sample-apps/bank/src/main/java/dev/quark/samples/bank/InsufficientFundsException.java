package dev.quark.samples.bank;

/**
 * A withdrawal asked for more than the balance; the account is unchanged.
 */
public class InsufficientFundsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InsufficientFundsException(String accountId, long balance, long requested) {
        this("Account " + accountId + " holds " + balance + ", cannot withdraw " + requested);
    }

    /**
     * Creates the exception with its whole message: the constructor by which a silo rebuilds the exception that
     * another silo's account threw, so that a caller anywhere in a cluster catches this type.
     * @param message the message
     */
    public InsufficientFundsException(String message) {
        super(message);
    }
}
