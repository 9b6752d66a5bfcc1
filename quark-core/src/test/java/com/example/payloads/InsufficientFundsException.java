package com.example.payloads;

/**
 * An application exception in an allowed package, with a message constructor: rebuilt as itself.
 */
public class InsufficientFundsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InsufficientFundsException(String message) {
        super(message);
    }
}
