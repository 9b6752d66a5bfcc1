package dev.quark.messaging.store;

import java.util.Objects;

/**
 * Checks the arguments of {@link OutboxStore} methods, for every backend alike: the same bad input is refused by each,
 * with the same message naming it, before anything is read or written.
 */
public final class OutboxStoreArguments {

    private OutboxStoreArguments() {
    }

    /**
     * Checks the arguments of {@link OutboxStore#requeueDead(String, long, int)}.
     * @param destination the destination, not {@code null}
     * @param limit the most dead letters to requeue, at least 1
     * @throws NullPointerException when the destination is {@code null}
     * @throws IllegalArgumentException naming a limit below 1
     */
    public static void requeueDead(String destination, int limit) {
        Objects.requireNonNull(destination, "destination must not be null");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, not " + limit);
        }
    }
}
