package dev.quark.reminder;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A registration or removal of a reminder as {@link ReminderTable#changes} reads it: the reminder as stored now,
 * or {@code null} when it was removed, with the change version of its bucket at its last registration or removal.
 *
 * @param key the reminder
 * @param version the bucket's {@link ReminderTable#versions() change version} of that registration or removal
 * @param entry the reminder as stored now, {@code null} when it is removed
 */
public record ReminderChange(ReminderKey key, long version, @Nullable ReminderEntry entry) {

    /**
     * Validates the components.
     */
    public ReminderChange {
        Objects.requireNonNull(key, "key must not be null");
        if (entry != null && !entry.key().equals(key)) {
            throw new IllegalArgumentException("The entry of a change of " + key + " is " + entry.key());
        }
    }

    /**
     * Returns whether the reminder was removed.
     * @return {@code true} when there is no entry
     */
    public boolean removed() {
        return this.entry == null;
    }
}
