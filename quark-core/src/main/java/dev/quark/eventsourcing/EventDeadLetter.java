package dev.quark.eventsourcing;

import java.time.Instant;
import java.util.Objects;

/**
 * An event a subscription gave up on: its handler failed on it the subscription's maximum number of attempts in a
 * row, so the subscription recorded it here, with the event itself and the last failure, and went on with the next
 * event. It stays until an operator retries it (the handler succeeds on it at last) or discards it; the
 * {@code EventSubscriptionRunner} does both ({@code runner.deadLetters()}).
 * <p>
 * The event is kept whole, so a dead letter can be retried after its stream was truncated or deleted.
 *
 * @param subscription the subscription's name
 * @param event the event, as the feed delivered it
 * @param attempts how many times in a row the handler failed on it
 * @param error the last failure's description (its exception's class and message), at most
 * {@value #MAX_ERROR_LENGTH} characters, without NUL characters (which PostgreSQL's text refuses)
 * @param deadLetteredAt when the subscription gave up on it, on the node's clock
 */
public record EventDeadLetter(String subscription, StoredEvent event, int attempts, String error,
        Instant deadLetteredAt) {

    /** The longest error kept; a longer one is cut. */
    public static final int MAX_ERROR_LENGTH = 4000;

    /**
     * Validates the dead letter, takes NUL characters out of the error and cuts a long one to at most
     * {@value #MAX_ERROR_LENGTH} characters, on a code point boundary.
     * @throws IllegalArgumentException for fewer than 1 attempt
     */
    public EventDeadLetter {
        Objects.requireNonNull(subscription, "subscription must not be null");
        Objects.requireNonNull(event, "event must not be null");
        Objects.requireNonNull(error, "error must not be null");
        Objects.requireNonNull(deadLetteredAt, "deadLetteredAt must not be null");
        if (attempts < 1) {
            throw new IllegalArgumentException("A dead letter of subscription '" + subscription
                    + "' needs at least 1 attempt, was " + attempts);
        }
        error = error.replace("\u0000", "");
        if (error.length() > MAX_ERROR_LENGTH) {
            int end = Character.isHighSurrogate(error.charAt(MAX_ERROR_LENGTH - 1)) ? MAX_ERROR_LENGTH - 1
                    : MAX_ERROR_LENGTH;
            error = error.substring(0, end);
        }
    }

    /**
     * Returns the event's feed position, which names the dead letter within its subscription.
     * @return the position
     */
    public FeedPosition position() {
        return this.event.position();
    }
}
