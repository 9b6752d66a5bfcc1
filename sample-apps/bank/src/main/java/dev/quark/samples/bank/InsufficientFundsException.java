package dev.quark.samples.bank;

/**
 * A withdrawal asked for more than the balance; the account is unchanged.
 */
public class InsufficientFundsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InsufficientFundsException(String accountId, long balance, long requested) {
        super("Account " + accountId + " holds " + balance + ", cannot withdraw " + requested);
    }
}
