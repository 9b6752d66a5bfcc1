package org.example.forbidden;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * An exception in a package no test allows: the codec must neither initialise nor construct it.
 */
public class ForbiddenException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public static final AtomicInteger CONSTRUCTED = new AtomicInteger();

    static {
        ForbiddenWitness.INITIALISED.set(true);
    }

    public ForbiddenException(String message) {
        super(message);
        CONSTRUCTED.incrementAndGet();
    }
}
