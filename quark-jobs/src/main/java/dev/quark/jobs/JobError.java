package dev.quark.jobs;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * The failure of a job's attempt, kept with the job: the exception's class, its message and its stack trace.
 *
 * @param type the exception's class name, for instance {@code java.net.SocketTimeoutException}
 * @param message the exception's message, or {@code null} when it had none
 * @param stackTrace the stack trace with causes, cut at {@value #MAX_STACK_TRACE} characters
 */
public record JobError(String type, @Nullable String message, String stackTrace) {

    /** The longest stack trace kept. */
    public static final int MAX_STACK_TRACE = 16_000;

    /**
     * Validates the error.
     */
    public JobError {
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(stackTrace, "stackTrace must not be null");
    }

    /**
     * Describes an exception.
     * @param failure the exception
     * @return the error
     */
    public static JobError of(Throwable failure) {
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        String text = trace.toString();
        if (text.length() > MAX_STACK_TRACE) {
            text = text.substring(0, MAX_STACK_TRACE - 20) + "\n\t... (cut)";
        }
        return new JobError(failure.getClass().getName(), failure.getMessage(), text);
    }

    @Override
    public String toString() {
        return (this.message != null) ? this.type + ": " + this.message : this.type;
    }
}
