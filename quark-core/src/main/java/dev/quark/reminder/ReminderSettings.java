package dev.quark.reminder;

import java.time.Duration;
import java.util.Objects;

import dev.quark.runtime.InvalidSettingException;

/**
 * How a {@link ReminderTickManager} works: how far ahead and how often it reads the table, how much at a time,
 * how it retries failed one-shot reminders and ticks that were not delivered, how long a delivery may take and how
 * long it waits when it stops. Built with {@link #builder()},
 * whose setters hold the rules; Spring Boot's {@code quark.reminders.*} properties are validated by applying
 * them to a builder.
 *
 * @param lookahead how far ahead reminders are read into memory, where they fire on time
 * @param refreshInterval how often the table is read; below the lookahead, so that reads overlap
 * @param loadLimit the most reminders one read returns
 * @param maxBatch the most writes of next ticks sent to the table together
 * @param maxAttempts how many times a one-shot reminder's tick is delivered before it is given up
 * @param initialBackoff the wait before the first retry of a one-shot reminder, or of a tick that was not delivered
 * @param maxBackoff the longest wait between two retries; the wait doubles from the first up to it
 * @param shutdownTimeout how long stopping waits for running ticks and pending writes
 * @param deliveryTimeout how long a tick's delivery may take before it counts as failed: a periodic reminder goes on
 * with its next instant, a one-shot reminder is tried again up to {@code maxAttempts}
 * @param maxRunning the most ticks being delivered at once; a tick due while that many run waits for one to end
 * @param fullReadInterval how often a refresh reads every reminder due within the lookahead rather than only what
 * changed, on a table that tracks changes ({@link ReminderTable#versions}); one no longer than the refresh interval
 * makes every refresh a full read
 */
public record ReminderSettings(Duration lookahead, Duration refreshInterval, int loadLimit, int maxBatch,
        int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration shutdownTimeout,
        Duration deliveryTimeout, int maxRunning, Duration fullReadInterval) {

    /** The settings a builder starts from. */
    public static final ReminderSettings DEFAULTS = new ReminderSettings(Duration.ofSeconds(30), Duration.ofSeconds(10),
            10_000, 500, 5, Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofSeconds(10),
            Duration.ofSeconds(30), 10_000, Duration.ofMinutes(5));

    /**
     * Validates the settings.
     * @throws InvalidSettingException naming the first setting that is wrong
     */
    public ReminderSettings {
        positive("lookahead", lookahead);
        positive("refreshInterval", refreshInterval);
        if (refreshInterval.compareTo(lookahead) >= 0) {
            throw new InvalidSettingException("refreshInterval", refreshInterval,
                    "must be shorter than the lookahead (" + lookahead + ")");
        }
        positive("loadLimit", loadLimit);
        positive("maxBatch", maxBatch);
        positive("maxAttempts", maxAttempts);
        positive("initialBackoff", initialBackoff);
        positive("maxBackoff", maxBackoff);
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new InvalidSettingException("maxBackoff", maxBackoff,
                    "must not be shorter than the initial backoff (" + initialBackoff + ")");
        }
        positive("shutdownTimeout", shutdownTimeout);
        positive("deliveryTimeout", deliveryTimeout);
        positive("maxRunning", maxRunning);
        positive("fullReadInterval", fullReadInterval);
        if (fullReadInterval.compareTo(ReminderTable.CHANGE_RETENTION) >= 0) {
            throw new InvalidSettingException("fullReadInterval", fullReadInterval, "must be shorter than the "
                    + "retention of the tables' change entries (" + ReminderTable.CHANGE_RETENTION + "), or reads of "
                    + "changes would keep falling behind the trimmed ones");
        }
    }

    /**
     * Starts building settings from the {@link #DEFAULTS}.
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns how long to wait before the next attempt of a one-shot reminder's tick.
     * @param failedAttempt the attempt that failed, from 1
     * @return the initial backoff, doubled per earlier failure, at most the maximum
     */
    public Duration backoff(int failedAttempt) {
        Duration wait = this.initialBackoff;
        for (int attempt = 1; attempt < failedAttempt && wait.compareTo(this.maxBackoff) < 0; attempt++) {
            wait = wait.multipliedBy(2);
        }
        return (wait.compareTo(this.maxBackoff) < 0) ? wait : this.maxBackoff;
    }

    private static void positive(String name, Duration value) {
        Objects.requireNonNull(value, name + " must not be null");
        if (value.isNegative() || value.isZero()) {
            throw new InvalidSettingException(name, value, "must be positive");
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new InvalidSettingException(name, value, "must be positive");
        }
    }

    /**
     * Builds {@link ReminderSettings}; every setting starts at its default.
     */
    public static final class Builder {

        private Duration lookahead = DEFAULTS.lookahead;

        private Duration refreshInterval = DEFAULTS.refreshInterval;

        private int loadLimit = DEFAULTS.loadLimit;

        private int maxBatch = DEFAULTS.maxBatch;

        private int maxAttempts = DEFAULTS.maxAttempts;

        private Duration initialBackoff = DEFAULTS.initialBackoff;

        private Duration maxBackoff = DEFAULTS.maxBackoff;

        private Duration shutdownTimeout = DEFAULTS.shutdownTimeout;

        private Duration deliveryTimeout = DEFAULTS.deliveryTimeout;

        private int maxRunning = DEFAULTS.maxRunning;

        private Duration fullReadInterval = DEFAULTS.fullReadInterval;

        private Builder() {
        }

        /**
         * Sets how far ahead reminders are read into memory. Default: 30 seconds.
         * @param lookahead a positive duration, longer than the refresh interval
         * @return this builder
         */
        public Builder lookahead(Duration lookahead) {
            positive("lookahead", lookahead);
            this.lookahead = lookahead;
            return this;
        }

        /**
         * Sets how often the table is read. Default: 10 seconds.
         * @param refreshInterval a positive duration, shorter than the lookahead
         * @return this builder
         */
        public Builder refreshInterval(Duration refreshInterval) {
            positive("refreshInterval", refreshInterval);
            this.refreshInterval = refreshInterval;
            return this;
        }

        /**
         * Sets the most reminders one read returns. Default: 10,000.
         * @param loadLimit a positive number
         * @return this builder
         */
        public Builder loadLimit(int loadLimit) {
            positive("loadLimit", loadLimit);
            this.loadLimit = loadLimit;
            return this;
        }

        /**
         * Sets the most writes sent to the table together. Default: 500.
         * @param maxBatch a positive number
         * @return this builder
         */
        public Builder maxBatch(int maxBatch) {
            positive("maxBatch", maxBatch);
            this.maxBatch = maxBatch;
            return this;
        }

        /**
         * Sets how many times a one-shot reminder's tick is delivered before it is given up. Default: 5.
         * @param maxAttempts a positive number; 1 gives up at the first failure
         * @return this builder
         */
        public Builder maxAttempts(int maxAttempts) {
            positive("maxAttempts", maxAttempts);
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * Sets the wait before the first retry of a one-shot reminder, doubled for each next one. Default: 1
         * second.
         * @param initialBackoff a positive duration
         * @return this builder
         */
        public Builder initialBackoff(Duration initialBackoff) {
            positive("initialBackoff", initialBackoff);
            this.initialBackoff = initialBackoff;
            return this;
        }

        /**
         * Sets the longest wait between two retries. Default: 1 minute.
         * @param maxBackoff a positive duration, not shorter than the initial backoff
         * @return this builder
         */
        public Builder maxBackoff(Duration maxBackoff) {
            positive("maxBackoff", maxBackoff);
            this.maxBackoff = maxBackoff;
            return this;
        }

        /**
         * Sets how long stopping waits for running ticks and pending writes. Default: 10 seconds.
         * @param shutdownTimeout a positive duration
         * @return this builder
         */
        public Builder shutdownTimeout(Duration shutdownTimeout) {
            positive("shutdownTimeout", shutdownTimeout);
            this.shutdownTimeout = shutdownTimeout;
            return this;
        }

        /**
         * Sets how long a tick's delivery may take. Past it the tick counts as failed
         * ({@link ReminderOutcome#FAILED}), like a {@code receiveReminder} that threw, so that an actor whose turn
         * hangs, or a silo that does not answer, cannot hold its reminder forever: a periodic or cron reminder goes
         * on with its next instant and the timed-out one is not tried again (the turn may have started and is not
         * interrupted); a one-shot reminder, which has no next instant, is tried again after the backoff up to
         * {@link #maxAttempts(int)} attempts, each with a higher attempt number. A tick still queued in the actor's
         * mailbox is dropped there.
         * Default: 30 seconds.
         * @param deliveryTimeout a positive duration, longer than the longest {@code receiveReminder}
         * @return this builder
         */
        public Builder deliveryTimeout(Duration deliveryTimeout) {
            positive("deliveryTimeout", deliveryTimeout);
            this.deliveryTimeout = deliveryTimeout;
            return this;
        }

        /**
         * Sets the most ticks a silo delivers at once: a tick that falls due while that many run stays queued,
         * keeps its scheduled instant and starts when one of them ends (its lateness shows it). It bounds the
         * calls in flight and what they hold, since a delivery holds no thread. Default: 10,000.
         * @param maxRunning a positive number
         * @return this builder
         */
        public Builder maxRunning(int maxRunning) {
            positive("maxRunning", maxRunning);
            this.maxRunning = maxRunning;
            return this;
        }

        /**
         * Sets how often a refresh reads every reminder due within the lookahead. In between, on a table that tracks
         * changes ({@link ReminderTable#versions}), a refresh reads only the reminders registered or removed since
         * the last read and those that newly fall within the lookahead: a silo whose reminders keep firing reads
         * nothing of them again. The full read is the safety net: it corrects whatever the reads of changes missed
         * (a registration or removal by a node that does not record changes, a change made behind the table's back).
         * An interval no longer than the refresh interval makes every refresh a full read,
         * as before reads of changes. Default: 5 minutes.
         * @param fullReadInterval a positive duration shorter than {@link ReminderTable#CHANGE_RETENTION}
         * @return this builder
         */
        public Builder fullReadInterval(Duration fullReadInterval) {
            positive("fullReadInterval", fullReadInterval);
            this.fullReadInterval = fullReadInterval;
            return this;
        }

        /**
         * Validates the settings together.
         * @return the settings
         * @throws InvalidSettingException when they do not fit together
         */
        public ReminderSettings build() {
            return new ReminderSettings(this.lookahead, this.refreshInterval, this.loadLimit, this.maxBatch,
                    this.maxAttempts, this.initialBackoff, this.maxBackoff, this.shutdownTimeout, this.deliveryTimeout,
                    this.maxRunning, this.fullReadInterval);
        }
    }
}
