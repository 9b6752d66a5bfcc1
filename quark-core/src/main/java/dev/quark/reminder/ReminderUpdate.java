package dev.quark.reminder;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A write the tick manager makes after a tick: the reminder's next tick, or its removal after the last one.
 * A table applies it only while the stored reminder still belongs to {@code registration}; see
 * {@link ReminderEntry}.
 *
 * @param key the reminder
 * @param registration the registration whose tick was fired
 * @param next the next tick, {@code null} to remove the reminder
 */
public record ReminderUpdate(ReminderKey key, long registration, @Nullable ReminderTick next) {

    /**
     * Validates the components.
     */
    public ReminderUpdate {
        Objects.requireNonNull(key, "key must not be null");
    }

    /**
     * Returns an update that records a reminder's next tick.
     * @param key the reminder
     * @param registration the registration whose tick was fired
     * @param next the next tick
     * @return the update
     */
    public static ReminderUpdate advance(ReminderKey key, long registration, ReminderTick next) {
        return new ReminderUpdate(key, registration, Objects.requireNonNull(next, "next must not be null"));
    }

    /**
     * Returns an update that removes a reminder after its last tick.
     * @param key the reminder
     * @param registration the registration whose last tick was fired
     * @return the update
     */
    public static ReminderUpdate remove(ReminderKey key, long registration) {
        return new ReminderUpdate(key, registration, null);
    }

    /**
     * Returns whether the update removes the reminder.
     * @return {@code true} when there is no next tick
     */
    public boolean removes() {
        return this.next == null;
    }
}
