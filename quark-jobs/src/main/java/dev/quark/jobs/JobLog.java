package dev.quark.jobs;

import org.jspecify.annotations.Nullable;

/**
 * Lines a handler logs about its job. Each line is logged through SLF4J (logger {@code dev.quark.jobs.JobLog},
 * with the job's id and type in the MDC as {@code quark.job.id} and {@code quark.job.type}) and kept with the
 * job, prefixed with the instant and the level: the latest lines only ({@code quark.jobs.log-limit}), each cut at
 * {@value #MAX_LINE_LENGTH} characters. Kept lines reach the store with the next progress report and when the
 * attempt ends. Messages use SLF4J's {@code {}} placeholders.
 */
public interface JobLog {

    /** The longest line kept. */
    int MAX_LINE_LENGTH = 2000;

    /**
     * Logs a line at level INFO.
     * @param message the message, with {@code {}} placeholders
     * @param arguments the placeholders' values
     */
    void info(String message, @Nullable Object... arguments);

    /**
     * Logs a line at level WARN.
     * @param message the message, with {@code {}} placeholders
     * @param arguments the placeholders' values
     */
    void warn(String message, @Nullable Object... arguments);

    /**
     * Logs a line at level ERROR.
     * @param message the message, with {@code {}} placeholders
     * @param arguments the placeholders' values; a last {@link Throwable} is logged with its stack trace, and kept
     * as its class and message
     */
    void error(String message, @Nullable Object... arguments);
}
