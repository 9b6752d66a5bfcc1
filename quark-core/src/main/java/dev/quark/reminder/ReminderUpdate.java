package dev.quark.reminder;

import java.util.Objects;

import dev.quark.lease.FencingToken;
import org.jspecify.annotations.Nullable;

/**
 * A write the tick manager makes after a tick: the reminder's next tick, or its removal after the last one.
 * A table applies it only while the stored reminder still belongs to {@code registration}; see
 * {@link ReminderEntry}. A <em>fenced</em> update ({@link #fencedBy(FencingToken)}), made by a silo that holds its
 * bucket through a lease, applies only while the bucket's stamp ({@link ReminderTable#stamp}) is that lease's
 * token: once a newer owner stamped the bucket, the writes of the older one are refused.
 *
 * @param key the reminder
 * @param registration the registration whose tick was fired
 * @param next the next tick, {@code null} to remove the reminder
 * @param token the fencing token of the lease on the reminder's bucket, {@code null} for an unfenced write
 */
public record ReminderUpdate(ReminderKey key, long registration, @Nullable ReminderTick next,
        @Nullable FencingToken token) {

    /**
     * Validates the components.
     */
    public ReminderUpdate {
        Objects.requireNonNull(key, "key must not be null");
    }

    /**
     * Creates an unfenced update.
     * @param key the reminder
     * @param registration the registration whose tick was fired
     * @param next the next tick, {@code null} to remove the reminder
     */
    public ReminderUpdate(ReminderKey key, long registration, @Nullable ReminderTick next) {
        this(key, registration, next, null);
    }

    /**
     * Returns this update fenced by the lease on its bucket.
     * @param token the lease's fencing token
     * @return the fenced update
     */
    public ReminderUpdate fencedBy(FencingToken token) {
        return new ReminderUpdate(this.key, this.registration, this.next,
                Objects.requireNonNull(token, "token must not be null"));
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
