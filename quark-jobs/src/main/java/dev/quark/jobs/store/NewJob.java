package dev.quark.jobs.store;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

import dev.quark.jobs.JobId;
import dev.quark.jobs.JobStatus;
import org.jspecify.annotations.Nullable;

/**
 * A job to store.
 *
 * @param id its id
 * @param type its type
 * @param payload its payload as JSON
 * @param idempotencyKey its idempotency key, or {@code null}
 * @param createdAt when it is enqueued
 * @param dueAt when it may run at the earliest
 * @param metadata strings to store with it ({@link dev.quark.jobs.Job#metadata()}); empty for none
 * @param timeout its own timeout ({@link dev.quark.jobs.Job#timeout()}), a positive whole number of milliseconds, or
 * {@code null} for its handler's
 */
public record NewJob(JobId id, String type, String payload, @Nullable String idempotencyKey, Instant createdAt,
        Instant dueAt, Map<String, String> metadata, @Nullable Duration timeout) {

    /**
     * Creates a job to store without a timeout of its own.
     * @param id its id
     * @param type its type
     * @param payload its payload as JSON
     * @param idempotencyKey its idempotency key, or {@code null}
     * @param createdAt when it is enqueued
     * @param dueAt when it may run at the earliest
     * @param metadata strings to store with it; empty for none
     */
    public NewJob(JobId id, String type, String payload, @Nullable String idempotencyKey, Instant createdAt,
            Instant dueAt, Map<String, String> metadata) {
        this(id, type, payload, idempotencyKey, createdAt, dueAt, metadata, null);
    }

    /**
     * Creates a job to store without metadata.
     * @param id its id
     * @param type its type
     * @param payload its payload as JSON
     * @param idempotencyKey its idempotency key, or {@code null}
     * @param createdAt when it is enqueued
     * @param dueAt when it may run at the earliest
     */
    public NewJob(JobId id, String type, String payload, @Nullable String idempotencyKey, Instant createdAt,
            Instant dueAt) {
        this(id, type, payload, idempotencyKey, createdAt, dueAt, Map.of(), null);
    }

    /**
     * Validates the job.
     */
    public NewJob {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(payload, "payload must not be null");
        Objects.requireNonNull(createdAt, "createdAt must not be null");
        Objects.requireNonNull(dueAt, "dueAt must not be null");
        metadata = Map.copyOf(metadata);
        if (timeout != null && (timeout.isZero() || timeout.isNegative() || timeout.toNanosPart() % 1_000_000 != 0)) {
            throw new IllegalArgumentException("A job's stored timeout must be a positive whole number of "
                    + "milliseconds, was " + timeout);
        }
    }

    /**
     * Returns its timeout as the stores keep it.
     * @return the timeout in milliseconds, or {@code null}
     */
    public @Nullable Long timeoutMillis() {
        return (this.timeout != null) ? this.timeout.toMillis() : null;
    }

    /**
     * Returns the status it is stored with.
     * @return {@link JobStatus#SCHEDULED} when due after it was created, else {@link JobStatus#ENQUEUED}
     */
    public JobStatus status() {
        return this.dueAt.isAfter(this.createdAt) ? JobStatus.SCHEDULED : JobStatus.ENQUEUED;
    }
}
