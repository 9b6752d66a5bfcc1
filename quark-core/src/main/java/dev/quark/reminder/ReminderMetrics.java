package dev.quark.reminder;

import java.time.Duration;

/**
 * Where a {@link ReminderTickManager} reports what happens to ticks; the Spring Boot integration binds it to
 * Micrometer ({@code quark.reminders.fired}, {@code quark.reminders.lateness}).
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
}
