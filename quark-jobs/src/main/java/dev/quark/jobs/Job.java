package dev.quark.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * What the queue knows about a job, as read from its store: a snapshot, not updated as the job moves on.
 *
 * @param id the job's id
 * @param type the job type, which names its handler
 * @param payload the payload as JSON, written by the application's Jackson mapper
 * @param idempotencyKey the key it was enqueued with, or {@code null}
 * @param status where the job is in its life
 * @param attempt how many attempts have started; 0 until the first one
 * @param createdAt when it was enqueued
 * @param dueAt when it runs, or ran, at the earliest: the requested instant, or after a failure the instant the
 * backoff ends
 * @param startedAt when its latest attempt started, or {@code null} before the first
 * @param finishedAt when it finished, or {@code null} while not {@linkplain JobStatus#isFinished() finished}
 * @param owner the worker that runs or ran its latest attempt, or {@code null} before the first
 * @param progress what its handler last reported, 0 to 100
 * @param progressMessage what its handler last said with its progress, or {@code null}
 * @param cancelRequested whether a cancellation was requested while it was running
 * @param lastError the failure of its latest failed attempt, or {@code null} when none failed
 * @param log the lines its handlers logged through {@link JobContext#log()}, oldest first, the latest kept
 * @param metadata strings stored with the job by {@link JobFilter}s at enqueue ({@link JobDraft#putMetadata}), such
 * as the enqueuing thread's MDC entries or trace parent; empty when none
 * @param timeout the job's own timeout ({@link JobRequest#withTimeout}), which its attempts run under instead of its
 * handler's; {@code null} when it has none (also for jobs stored before jobs had one)
 */
public record Job(JobId id, String type, String payload, @Nullable String idempotencyKey, JobStatus status,
        int attempt, Instant createdAt, Instant dueAt, @Nullable Instant startedAt, @Nullable Instant finishedAt,
        @Nullable String owner, int progress, @Nullable String progressMessage, boolean cancelRequested,
        @Nullable JobError lastError, List<String> log, Map<String, String> metadata, @Nullable Duration timeout) {

    /**
     * Creates a job without a timeout of its own.
     * @param id the job's id
     * @param type the job type
     * @param payload the payload as JSON
     * @param idempotencyKey the key it was enqueued with, or {@code null}
     * @param status where the job is in its life
     * @param attempt how many attempts have started
     * @param createdAt when it was enqueued
     * @param dueAt when it runs at the earliest
     * @param startedAt when its latest attempt started, or {@code null}
     * @param finishedAt when it finished, or {@code null}
     * @param owner the worker of its latest attempt, or {@code null}
     * @param progress its progress, 0 to 100
     * @param progressMessage its progress message, or {@code null}
     * @param cancelRequested whether a cancellation was requested
     * @param lastError the failure of its latest failed attempt, or {@code null}
     * @param log its log lines
     * @param metadata its metadata
     */
    public Job(JobId id, String type, String payload, @Nullable String idempotencyKey, JobStatus status, int attempt,
            Instant createdAt, Instant dueAt, @Nullable Instant startedAt, @Nullable Instant finishedAt,
            @Nullable String owner, int progress, @Nullable String progressMessage, boolean cancelRequested,
            @Nullable JobError lastError, List<String> log, Map<String, String> metadata) {
        this(id, type, payload, idempotencyKey, status, attempt, createdAt, dueAt, startedAt, finishedAt, owner,
                progress, progressMessage, cancelRequested, lastError, log, metadata, null);
    }

    /**
     * Creates a job without metadata.
     * @param id the job's id
     * @param type the job type
     * @param payload the payload as JSON
     * @param idempotencyKey the key it was enqueued with, or {@code null}
     * @param status where the job is in its life
     * @param attempt how many attempts have started
     * @param createdAt when it was enqueued
     * @param dueAt when it runs at the earliest
     * @param startedAt when its latest attempt started, or {@code null}
     * @param finishedAt when it finished, or {@code null}
     * @param owner the worker of its latest attempt, or {@code null}
     * @param progress its progress, 0 to 100
     * @param progressMessage its progress message, or {@code null}
     * @param cancelRequested whether a cancellation was requested
     * @param lastError the failure of its latest failed attempt, or {@code null}
     * @param log its log lines
     */
    public Job(JobId id, String type, String payload, @Nullable String idempotencyKey, JobStatus status, int attempt,
            Instant createdAt, Instant dueAt, @Nullable Instant startedAt, @Nullable Instant finishedAt,
            @Nullable String owner, int progress, @Nullable String progressMessage, boolean cancelRequested,
            @Nullable JobError lastError, List<String> log) {
        this(id, type, payload, idempotencyKey, status, attempt, createdAt, dueAt, startedAt, finishedAt, owner,
                progress, progressMessage, cancelRequested, lastError, log, Map.of(), null);
    }

    /**
     * Validates the job.
     */
    public Job {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(payload, "payload must not be null");
        Objects.requireNonNull(status, "status must not be null");
        Objects.requireNonNull(createdAt, "createdAt must not be null");
        Objects.requireNonNull(dueAt, "dueAt must not be null");
        log = List.copyOf(log);
        metadata = Map.copyOf(metadata);
        if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
            throw new IllegalArgumentException("A job's timeout must be positive, was " + timeout);
        }
    }

    /**
     * Returns how long each attempt of the job may run: its own timeout, else its handler's.
     * @param handlerTimeout the handler's timeout ({@link JobHandler#timeout()}, else the queue's default)
     * @return the timeout its attempts run under
     */
    public Duration timeoutOr(Duration handlerTimeout) {
        return (this.timeout != null) ? this.timeout : handlerTimeout;
    }

    /**
     * Returns whether the job will not change again unless requeued.
     * @return whether its status is finished
     */
    public boolean isFinished() {
        return this.status.isFinished();
    }

    @Override
    public String toString() {
        return "Job[" + this.id + ", " + this.type + ", " + this.status + ", attempt " + this.attempt + "]";
    }
}
