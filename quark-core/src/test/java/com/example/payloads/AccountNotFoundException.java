package com.example.payloads;

/**
 * Its String is an account id, not the message: rebuilding it from a message would garble the message.
 */
public class AccountNotFoundException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public AccountNotFoundException(String accountId) {
        super("No account " + accountId);
    }
}
