package dev.quark.messaging;

import java.time.Clock;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An outbox message's identity: a UUID in the time-ordered version 7 layout (milliseconds of the clock, then random
 * bits). Publishers pass it on (the AMQP {@code message-id}, the actor destination's argument), so that consumers can
 * deduplicate redeliveries, for instance with {@link Inbox}.
 *
 * @param value the UUID
 */
public record MessageId(UUID value) {

    /**
     * Validates the id.
     */
    public MessageId {
        Objects.requireNonNull(value, "value must not be null");
    }

    /**
     * Draws a new id, time-ordered on a clock.
     * @param clock the clock whose milliseconds lead the id
     * @return the id
     */
    public static MessageId next(Clock clock) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long millis = clock.millis() & 0xFFFF_FFFF_FFFFL;
        long msb = (millis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
        long lsb = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new MessageId(new UUID(msb, lsb));
    }

    /**
     * Reads an id from its text form.
     * @param text a UUID
     * @return the id
     * @throws IllegalArgumentException naming the text when it is not a UUID
     */
    public static MessageId parse(String text) {
        Objects.requireNonNull(text, "text must not be null");
        try {
            if (text.length() != 36) {
                throw new IllegalArgumentException("length " + text.length());
            }
            return new MessageId(UUID.fromString(text));
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("'" + text + "' is not a message id: a message id is a UUID such as "
                    + "0191e5a4-9c3b-7d2e-8f00-1a2b3c4d5e6f", ex);
        }
    }

    @Override
    public String toString() {
        return this.value.toString();
    }
}
