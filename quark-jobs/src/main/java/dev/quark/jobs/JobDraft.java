package dev.quark.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * A job about to be stored, as {@link JobFilter#beforeEnqueue} sees it on the enqueuing thread: a filter may read it,
 * change its payload, metadata, due time and timeout within the limits below, or {@linkplain #veto veto} it. Changes are
 * checked when made and fail with an {@code IllegalArgumentException} naming the filter and the value; the changes of
 * a filter that throws anything but a veto are undone and the job goes on as if that filter had not run.
 * <p>
 * <b>Metadata</b> is a map of strings stored with the job on every backend and read back with it ({@link Job#metadata()},
 * {@link JobContext#metadata()}): where filters carry context (MDC entries, a tenant, a trace parent) from the
 * enqueuing thread to the worker. At most {@value #MAX_METADATA_ENTRIES} entries; keys not blank, at most
 * {@value #MAX_METADATA_KEY_LENGTH} characters, without control characters; values at most
 * {@value #MAX_METADATA_VALUE_LENGTH} characters.
 */
public interface JobDraft {

    /** The most metadata entries a job carries. */
    int MAX_METADATA_ENTRIES = 64;

    /** The longest metadata key. */
    int MAX_METADATA_KEY_LENGTH = 100;

    /** The longest metadata value. */
    int MAX_METADATA_VALUE_LENGTH = 4000;

    /**
     * The earliest due time a filter may set: the epoch. (Any instant in the past runs as soon as a worker is free.)
     */
    Instant EARLIEST_DUE_AT = Instant.EPOCH;

    /**
     * The latest due time a filter may set, the end of the year 9999: what every store can keep and sort.
     */
    Instant LATEST_DUE_AT = Instant.parse("9999-12-31T23:59:59Z");

    /**
     * The longest timeout a job may carry ({@link JobRequest#withTimeout}), 365 days: far beyond any attempt a lease
     * keeps alive, while a value meant in other units (milliseconds given as seconds) is refused at enqueue rather
     * than leaving a hung attempt to run for years; the stores keep it as milliseconds.
     */
    Duration MAX_TIMEOUT = Duration.ofDays(365);

    /**
     * Returns the job type; filters cannot change it.
     * @return the type
     */
    String type();

    /**
     * Returns the payload, as the caller gave it or as a filter before replaced it.
     * @return the payload
     */
    Object payload();

    /**
     * Replaces the payload.
     * @param payload the new payload, an instance of the handler's payload type
     * @throws IllegalArgumentException naming the filter and the class when it is not
     */
    void replacePayload(Object payload);

    /**
     * Returns the metadata so far.
     * @return an unmodifiable view
     */
    Map<String, String> metadata();

    /**
     * Adds or replaces a metadata entry.
     * @param key the key
     * @param value the value
     * @throws IllegalArgumentException naming the filter and the key when it breaks the limits
     */
    void putMetadata(String key, String value);

    /**
     * Removes a metadata entry.
     * @param key the key
     */
    void removeMetadata(String key);

    /**
     * Returns when the job will be due.
     * @return the instant
     */
    Instant dueAt();

    /**
     * Makes the job due at an instant; one in the past runs as soon as a worker is free.
     * @param instant the instant, between {@link #EARLIEST_DUE_AT} and {@link #LATEST_DUE_AT}
     * @throws IllegalArgumentException naming the filter and the instant when it lies outside those bounds
     * @throws UnsupportedOperationException for a workflow step, which runs when its dependencies allow
     */
    void runAt(Instant instant);

    /**
     * Makes the job due after a delay, counted from when it is enqueued.
     * @param delay the delay, zero or positive
     * @throws IllegalArgumentException naming the filter and the delay when it is negative or would make the job due
     * after {@link #LATEST_DUE_AT}
     * @throws UnsupportedOperationException for a workflow step, which runs when its dependencies allow
     */
    void runAfter(Duration delay);

    /**
     * Returns the job's own timeout, as the caller gave it ({@link JobRequest#withTimeout}) or as a filter before set
     * it.
     * @return the timeout, or {@code null} when the handler's {@link JobHandler#timeout()} (else the queue's default)
     * applies
     */
    default @Nullable Duration timeout() {
        return null;
    }

    /**
     * Gives the job a timeout of its own, or takes it away; kept to the millisecond, rounded up.
     * @param timeout the timeout, positive and at most {@link #MAX_TIMEOUT}, or {@code null} for the handler's
     * @throws IllegalArgumentException naming the filter and the timeout when it is zero, negative or too long
     */
    default void replaceTimeout(@Nullable Duration timeout) {
        throw new UnsupportedOperationException("This draft does not take a timeout");
    }

    /**
     * Returns the idempotency key the job is enqueued with; filters cannot change it.
     * @return the key, or {@code null}
     */
    @Nullable String idempotencyKey();

    /**
     * Returns the name of the workflow this job is a step of.
     * @return the workflow's name, or {@code null} for a job enqueued on its own
     */
    @Nullable String workflow();

    /**
     * Returns the name of the workflow step this job is.
     * @return the step's name, or {@code null} for a job enqueued on its own
     */
    @Nullable String step();

    /**
     * Returns the id of the recurring job whose scheduled instant this job is. Such a job is enqueued by the
     * recurring jobs' scheduler, on a thread of its own with no caller: no caller's MDC, tenant or current span. Its
     * {@linkplain #idempotencyKey() idempotency key} names the instant, so that it is enqueued once across nodes
     * whatever the filters change; its {@linkplain #dueAt() due time} is the instant.
     * @return the recurring job's id, or {@code null} for a job enqueued by a caller
     */
    default @Nullable String recurringJob() {
        return null;
    }

    /**
     * Refuses the job: nothing is stored, and the caller of {@code enqueue} gets a {@link JobVetoedException} naming
     * the filter and the reason. For a workflow step, the whole workflow is refused. For the job of a
     * {@linkplain #recurringJob() recurring job}, that scheduled instant is skipped (logged, counted) and the
     * recurring job moves on to its next one.
     * @param reason why, for the caller
     * @throws JobVetoedException always
     */
    void veto(String reason);
}
