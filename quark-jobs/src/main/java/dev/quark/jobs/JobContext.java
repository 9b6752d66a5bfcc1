package dev.quark.jobs;

import java.time.Instant;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * What a {@link JobHandler} knows about the job it runs, and how it reports back. Valid during one attempt, on the
 * handler's thread or any other.
 */
public interface JobContext {

    /**
     * Returns the job's id.
     * @return the id
     */
    JobId jobId();

    /**
     * Returns the job type.
     * @return the type
     */
    String type();

    /**
     * Returns which attempt this is.
     * @return 1 for the first attempt, 2 for the first retry, ...
     */
    int attempt();

    /**
     * Returns when the job was enqueued.
     * @return the instant
     */
    Instant enqueuedAt();

    /**
     * Returns the metadata stored with the job by {@link JobFilter}s when it was enqueued ({@link Job#metadata()}):
     * the tenant, the MDC entries or the trace parent of the enqueuing thread, for instance.
     * @return the metadata; empty by default
     */
    default Map<String, String> metadata() {
        return Map.of();
    }

    /**
     * Records the job's progress, visible in {@link Job#progress()} while it runs. Each call writes to the store
     * (with the log lines kept since the last write), fenced by the worker's lease: report at meaningful steps,
     * not in a tight loop.
     * @param percent how far the job is, 0 to 100
     * @param message what it is doing, or {@code null}
     * @throws IllegalArgumentException naming the value when {@code percent} is out of range
     * @throws dev.quark.lease.LeaseLostException when the worker lost the job's lease: another worker may run it
     * now, so stop
     */
    void progress(int percent, @Nullable String message);

    /**
     * Records the job's progress without a message.
     * @param percent how far the job is, 0 to 100
     */
    default void progress(int percent) {
        progress(percent, null);
    }

    /**
     * Returns whether the job's cancellation was requested ({@link JobQueue#cancel}). A handler that sees it should
     * stop soon, with {@link #throwIfCancellationRequested()}. Workers learn of a request at their next poll.
     * @return whether to stop
     */
    boolean isCancellationRequested();

    /**
     * Stops the handler when the job's cancellation was requested: the job then ends {@link JobStatus#CANCELLED}.
     * @throws JobCancelledException when it was requested
     */
    default void throwIfCancellationRequested() {
        if (isCancellationRequested()) {
            throw new JobCancelledException("Job " + jobId() + " (" + type() + ") stopped: its cancellation was requested");
        }
    }

    /**
     * Returns the job's log: lines kept with the job ({@link Job#log()}), and logged through SLF4J.
     * @return the log
     */
    JobLog log();
}
