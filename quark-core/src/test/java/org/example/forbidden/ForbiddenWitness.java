package org.example.forbidden;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Records whether {@link ForbiddenException} was ever initialised, without initialising it.
 */
public final class ForbiddenWitness {

    public static final AtomicBoolean INITIALISED = new AtomicBoolean();

    private ForbiddenWitness() {
    }
}
