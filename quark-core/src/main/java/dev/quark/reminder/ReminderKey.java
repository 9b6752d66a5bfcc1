package dev.quark.reminder;

import java.util.Objects;
import java.util.Optional;

import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

/**
 * The identity of a reminder: its actor and its name, unique per actor.
 * <p>
 * A name is not blank, at most {@value #MAX_NAME_LENGTH} characters long and has no NUL character; the actor's
 * type name and id have no NUL character either, so that backends can join the three with NUL into one
 * unambiguous key.
 * <p>
 * A value: two keys are equal when their actors and names are. The key's {@link #bucket() bucket} is computed
 * once, when the key is made, since the tick manager asks for it on every step of a reminder (it was a record,
 * whose ring hash was computed again on every call); the bucket an actor maps to is unchanged.
 */
public final class ReminderKey {

    /** The longest reminder name. */
    public static final int MAX_NAME_LENGTH = 255;

    private static final char SEPARATOR = '\u0000';

    private final ActorAddress actor;

    private final String name;

    private final int bucket;

    /**
     * Validates the name and the actor's address.
     * @param actor the actor that receives the reminder
     * @param name the reminder's name
     * @throws IllegalArgumentException naming the actor when the name or the address cannot key a reminder
     */
    public ReminderKey(ActorAddress actor, String name) {
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
        this.actor = actor;
        this.name = name;
        this.bucket = ReminderBuckets.of(actor);
    }

    /**
     * Returns the actor that receives the reminder.
     * @return its address
     */
    public ActorAddress actor() {
        return this.actor;
    }

    /**
     * Returns the reminder's name.
     * @return the name, unique per actor
     */
    public String name() {
        return this.name;
    }

    /**
     * Returns the bucket the reminder belongs to: its actor's ({@link ReminderBuckets#of(ActorAddress)}),
     * computed when the key was made.
     * @return the bucket, {@code 0} to {@code ReminderBuckets.COUNT - 1}
     */
    public int bucket() {
        return this.bucket;
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
    public boolean equals(@Nullable Object other) {
        return this == other || (other instanceof ReminderKey key && this.actor.equals(key.actor)
                && this.name.equals(key.name));
    }

    @Override
    public int hashCode() {
        return 31 * this.actor.hashCode() + this.name.hashCode();
    }

    @Override
    public String toString() {
        return "reminder '" + this.name + "' of " + this.actor;
    }
}
