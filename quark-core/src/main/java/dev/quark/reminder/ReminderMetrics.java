package dev.quark.reminder;

import java.time.Duration;

/**
 * Where a {@link ReminderTickManager} reports what happens to ticks, and reminder buckets whose lease store lost its
 * fencing tokens; the Spring Boot integration binds it to Micrometer ({@code quark.reminders.fired},
 * {@code quark.reminders.lateness}, {@code quark.reminders.lease.tokens.lost}).
 */
public interface ReminderMetrics {

    /** Records nothing. */
    ReminderMetrics NONE = new ReminderMetrics() {

        @Override
        public void ticks(String actorType, ReminderOutcome outcome, long count) {
        }

        @Override
        public void lateness(String actorType, Duration lateness) {
        }
    };

    /**
     * Records ticks of reminders of one actor type.
     * @param actorType the actor type name
     * @param outcome what became of them
     * @param count how many, at least 1
     */
    void ticks(String actorType, ReminderOutcome outcome, long count);

    /**
     * Records how late a tick was fired: from the instant it was due to fire to the moment it was.
     * @param actorType the actor type name
     * @param lateness the delay, not negative
     */
    void lateness(String actorType, Duration lateness);

    /**
     * Records reminder buckets found, in a claim round, with a valid lease whose fencing token is below the stamp the
     * table holds for the bucket: the lease store lost its tokens (Redis restarted without persistence, a lease table
     * restored from an older backup), and the silo raises them. Each bucket is recorded once per incident (a bucket
     * and the stamp that refused it), as the {@code ERROR} line that names it is logged once.
     * @param buckets how many buckets, at least 1
     */
    default void fencingTokensLost(int buckets) {
    }
}
