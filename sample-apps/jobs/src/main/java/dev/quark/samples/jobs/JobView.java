package dev.quark.samples.jobs;

import java.time.Instant;
import java.util.List;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobError;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A job as the API shows it.
 *
 * @param id the job's id
 * @param type its type
 * @param payload its payload, as stored
 * @param idempotencyKey its idempotency key, if it has one
 * @param status where it is in its life ({@code ENQUEUED}, {@code RUNNING}, {@code SUCCEEDED}, ...)
 * @param attempt how many attempts started (a job taken over from a dead node counts one more)
 * @param progress its progress, 0 to 100
 * @param progressMessage what its handler said with its progress
 * @param owner the node of its latest attempt
 * @param createdAt when it was enqueued
 * @param dueAt when it may run
 * @param startedAt when its latest attempt started
 * @param finishedAt when it finished
 * @param lastError its last failure: exception type and message
 * @param log the lines its handler and the workers logged, oldest first
 */
public record JobView(String id, String type, JsonNode payload, @Nullable String idempotencyKey, String status,
        int attempt, int progress, @Nullable String progressMessage, @Nullable String owner, Instant createdAt,
        Instant dueAt, @Nullable Instant startedAt, @Nullable Instant finishedAt, @Nullable Failure lastError,
        List<String> log) {

    static JobView of(Job job, JsonMapper mapper) {
        JobError error = job.lastError();
        return new JobView(job.id().toString(), job.type(), mapper.readTree(job.payload()), job.idempotencyKey(),
                job.status().name(), job.attempt(), job.progress(), job.progressMessage(), job.owner(), job.createdAt(),
                job.dueAt(), job.startedAt(), job.finishedAt(),
                (error != null) ? new Failure(error.type(), error.message()) : null, job.log());
    }

    /**
     * A failure of a job (its stack trace stays in the store).
     *
     * @param type the exception's class
     * @param message its message
     */
    public record Failure(String type, @Nullable String message) {
    }
}
