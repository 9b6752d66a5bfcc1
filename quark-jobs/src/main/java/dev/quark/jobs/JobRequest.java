package dev.quark.jobs;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A job to enqueue: its type, its payload, when it should run, its idempotency key and its timeout. Immutable; each
 * {@code with...} method returns a new request:
 * <pre>{@code
 * jobs.enqueue(JobRequest.of("send-invoice", new SendInvoice(orderId))
 *     .runAfter(Duration.ofMinutes(10))
 *     .withIdempotencyKey("invoice-" + orderId)
 *     .withTimeout(Duration.ofMinutes(2)));
 * }</pre>
 */
public final class JobRequest {

    /** The longest idempotency key. */
    public static final int MAX_KEY_LENGTH = 255;

    private final String type;

    private final Object payload;

    private final @Nullable Instant runAt;

    private final @Nullable Duration runAfter;

    private final @Nullable String idempotencyKey;

    private final @Nullable Duration timeout;

    private JobRequest(String type, Object payload, @Nullable Instant runAt, @Nullable Duration runAfter,
            @Nullable String idempotencyKey, @Nullable Duration timeout) {
        this.type = type;
        this.payload = payload;
        this.runAt = runAt;
        this.runAfter = runAfter;
        this.idempotencyKey = idempotencyKey;
        this.timeout = timeout;
    }

    /**
     * Starts a request for a job that runs as soon as a worker is free.
     * @param type the job type, the name of a registered handler
     * @param payload the payload, written as JSON by the application's Jackson mapper
     * @return the request
     * @throws IllegalArgumentException when the type is blank
     */
    public static JobRequest of(String type, Object payload) {
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(payload, "payload must not be null: a job without input takes an empty record");
        if (type.isBlank()) {
            throw new IllegalArgumentException("A job type must not be blank, was '" + type + "'");
        }
        return new JobRequest(type, payload, null, null, null, null);
    }

    /**
     * Returns this request to run at an instant; one in the past runs as soon as a worker is free.
     * @param instant the earliest instant the job runs at, between {@link JobDraft#EARLIEST_DUE_AT} and
     * {@link JobDraft#LATEST_DUE_AT} (what every store can keep and sort)
     * @return the new request
     * @throws IllegalArgumentException naming the instant when it lies outside those bounds
     */
    public JobRequest runAt(Instant instant) {
        Objects.requireNonNull(instant, "instant must not be null");
        if (instant.isBefore(JobDraft.EARLIEST_DUE_AT) || instant.isAfter(JobDraft.LATEST_DUE_AT)) {
            throw new IllegalArgumentException("A job's due time must lie between " + JobDraft.EARLIEST_DUE_AT
                    + " and " + JobDraft.LATEST_DUE_AT + ", was " + instant);
        }
        return new JobRequest(this.type, this.payload, instant, null, this.idempotencyKey, this.timeout);
    }

    /**
     * Returns this request to run after a delay, counted from when it is enqueued.
     * @param delay the delay, zero or positive
     * @return the new request
     * @throws IllegalArgumentException naming the delay when it is negative
     */
    public JobRequest runAfter(Duration delay) {
        return new JobRequest(this.type, this.payload, null, requireDelay(delay), this.idempotencyKey, this.timeout);
    }

    /**
     * Returns this request with an idempotency key: enqueuing a request whose key a job already has returns that
     * job's id and enqueues nothing, until the job is purged.
     * @param key the key; not blank, at most {@value #MAX_KEY_LENGTH} characters
     * @return the new request
     * @throws IllegalArgumentException naming the key when it is blank or too long
     */
    public JobRequest withIdempotencyKey(String key) {
        Objects.requireNonNull(key, "key must not be null");
        if (key.isBlank() || key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("An idempotency key must not be blank and have at most " + MAX_KEY_LENGTH
                    + " characters, was '" + abbreviate(key) + "' (" + key.length() + " characters)");
        }
        return new JobRequest(this.type, this.payload, this.runAt, this.runAfter, key, this.timeout);
    }

    /**
     * Returns this request with a timeout of its own: each attempt of the job that runs longer fails with a
     * {@link JobTimeoutException} (its thread interrupted, retried as the handler's {@link RetryPolicy} says), instead
     * of after the handler's {@link JobHandler#timeout()} or the queue's default. The timeout is stored with the job,
     * so that it holds on whichever node runs it, kept to the millisecond (rounded up).
     * @param timeout the timeout, positive and at most {@link JobDraft#MAX_TIMEOUT}
     * @return the new request
     * @throws IllegalArgumentException naming the timeout when it is zero, negative or longer than that
     */
    public JobRequest withTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isZero() || timeout.isNegative() || timeout.compareTo(JobDraft.MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException("A job's timeout must be positive and at most " + JobDraft.MAX_TIMEOUT
                    + ", was " + timeout);
        }
        return new JobRequest(this.type, this.payload, this.runAt, this.runAfter, this.idempotencyKey,
                toMillisRoundedUp(timeout));
    }

    /**
     * Checks a delay.
     * @param delay the delay
     * @return the delay
     * @throws IllegalArgumentException naming the delay when it is negative
     */
    static Duration requireDelay(Duration delay) {
        Objects.requireNonNull(delay, "delay must not be null");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("A job's delay must not be negative, was " + delay);
        }
        return delay;
    }

    /**
     * Rounds a timeout up to the millisecond, the precision every store keeps.
     * @param timeout a positive timeout
     * @return the timeout, a whole number of milliseconds
     */
    static Duration toMillisRoundedUp(Duration timeout) {
        Duration millis = timeout.truncatedTo(ChronoUnit.MILLIS);
        return millis.equals(timeout) ? timeout : millis.plusMillis(1);
    }

    private static String abbreviate(String text) {
        return (text.length() <= 40) ? text : text.substring(0, 40) + "...";
    }

    /**
     * Returns the job type.
     * @return the type
     */
    public String type() {
        return this.type;
    }

    /**
     * Returns the payload.
     * @return the payload
     */
    public Object payload() {
        return this.payload;
    }

    /**
     * Returns the instant to run at, when set with {@link #runAt}.
     * @return the instant, or {@code null}
     */
    public @Nullable Instant runAt() {
        return this.runAt;
    }

    /**
     * Returns the delay to run after, when set with {@link #runAfter}.
     * @return the delay, or {@code null}
     */
    public @Nullable Duration runAfter() {
        return this.runAfter;
    }

    /**
     * Returns the idempotency key.
     * @return the key, or {@code null}
     */
    public @Nullable String idempotencyKey() {
        return this.idempotencyKey;
    }

    /**
     * Returns the job's own timeout, when set with {@link #withTimeout}.
     * @return the timeout, or {@code null} for the handler's
     */
    public @Nullable Duration timeout() {
        return this.timeout;
    }

    /**
     * Returns when the job is due, for a request enqueued at an instant.
     * @param now when it is enqueued
     * @return the instant it was asked to run at, {@code now} plus its delay, or {@code now}
     * @throws IllegalArgumentException naming the delay when it would make the job due after
     * {@link JobDraft#LATEST_DUE_AT}
     */
    public Instant dueAt(Instant now) {
        if (this.runAt != null) {
            return this.runAt;
        }
        if (this.runAfter == null) {
            return now;
        }
        if (this.runAfter.compareTo(Duration.between(now, JobDraft.LATEST_DUE_AT)) > 0) {
            throw new IllegalArgumentException("A job's delay of " + this.runAfter + " would make it due after "
                    + JobDraft.LATEST_DUE_AT);
        }
        return now.plus(this.runAfter);
    }

    @Override
    public String toString() {
        return "JobRequest[" + this.type + ", " + this.payload.getClass().getName()
                + ((this.runAt != null) ? ", at " + this.runAt : "")
                + ((this.runAfter != null) ? ", after " + this.runAfter : "")
                + ((this.idempotencyKey != null) ? ", key " + this.idempotencyKey : "")
                + ((this.timeout != null) ? ", timeout " + this.timeout : "") + "]";
    }
}
