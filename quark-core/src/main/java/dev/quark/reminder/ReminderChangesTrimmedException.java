package dev.quark.reminder;

import java.util.Objects;

/**
 * Thrown by {@link ReminderTable#changes} when a bucket's change entries were trimmed beyond the version a reader
 * asked to read after ({@link ReminderTable#CHANGE_RETENTION}): the changes it would return may be incomplete, so the
 * reader reads those buckets whole instead (the tick manager makes its next read a full one).
 */
public class ReminderChangesTrimmedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ReminderBucketSet buckets;

    /**
     * Creates the exception.
     * @param buckets the buckets trimmed beyond the versions asked for, not empty
     */
    public ReminderChangesTrimmedException(ReminderBucketSet buckets) {
        super("The reminder change entries of " + Objects.requireNonNull(buckets, "buckets must not be null")
                + " were trimmed beyond the versions asked for: read them whole");
        this.buckets = buckets;
    }

    /**
     * Returns the buckets whose changes may be incomplete.
     * @return the buckets
     */
    public ReminderBucketSet buckets() {
        return this.buckets;
    }
}
