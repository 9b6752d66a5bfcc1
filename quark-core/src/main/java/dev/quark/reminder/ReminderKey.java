package dev.quark.reminder;

import java.util.Objects;
import java.util.Optional;

import dev.quark.runtime.ActorAddress;

/**
 * The identity of a reminder: its actor and its name, unique per actor.
 * <p>
 * A name is not blank, at most {@value #MAX_NAME_LENGTH} characters long and has no NUL character; the actor's
 * type name and id have no NUL character either, so that backends can join the three with NUL into one
 * unambiguous key.
 *
 * @param actor the actor that receives the reminder
 * @param name the reminder's name
 */
public record ReminderKey(ActorAddress actor, String name) {

    /** The longest reminder name. */
    public static final int MAX_NAME_LENGTH = 255;

    private static final char SEPARATOR = '\u0000';

    /**
     * Validates the name and the actor's address.
     * @throws IllegalArgumentException naming the actor when the name or the address cannot key a reminder
     */
    public ReminderKey {
        Objects.requireNonNull(actor, "actor must not be null");
        Objects.requireNonNull(name, "Reminder name must not be null (actor " + actor + ")");
        if (name.isBlank()) {
            throw new IllegalArgumentException("Reminder name must not be blank (actor " + actor + ")");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("Reminder name must be at most " + MAX_NAME_LENGTH
                    + " characters long, was " + name.length() + " (actor " + actor + ")");
        }
        if (name.indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException("Reminder name must not contain NUL characters (actor " + actor + ")");
        }
        if (actor.typeName().indexOf('\u0000') >= 0 || actor.id().indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException("Reminders need actor type names and ids without NUL characters, "
                    + "which " + actor + " has");
        }
    }

    /**
     * Returns the bucket the reminder belongs to: its actor's.
     * @return the bucket, {@code 0} to {@code ReminderBuckets.COUNT - 1}
     */
    public int bucket() {
        return ReminderBuckets.of(this.actor);
    }

    /**
     * Returns the key as one text: the actor's type name, its id and the name, separated by NUL (none of the three
     * has one), the form backends and notices keep it in.
     * @return {@code type NUL id NUL name}
     */
    public String toText() {
        return this.actor.typeName() + SEPARATOR + this.actor.id() + SEPARATOR + this.name;
    }

    /**
     * Reads a key written by {@link #toText()}.
     * @param text the text
     * @return the key, or empty when the text has fewer than two NUL separators
     * @throws IllegalArgumentException when the parts cannot key a reminder (a name with a NUL character, say)
     */
    public static Optional<ReminderKey> fromText(String text) {
        int first = text.indexOf(SEPARATOR);
        int second = (first < 0) ? -1 : text.indexOf(SEPARATOR, first + 1);
        if (second < 0) {
            return Optional.empty();
        }
        return Optional.of(new ReminderKey(new ActorAddress(text.substring(0, first), text.substring(first + 1, second)),
                text.substring(second + 1)));
    }

    @Override
    public String toString() {
        return "reminder '" + this.name + "' of " + this.actor;
    }
}
