package dev.quark.durabletasks;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A failure as recorded in a history: the exception's class name, message and stack trace, kept as text so that
 * any worker or client can read it whatever classes it has.
 *
 * @param type the exception's class name, for instance {@code java.lang.IllegalStateException}
 * @param message the exception's message, {@code null} when it had none
 * @param stackTrace the exception's stack trace with its causes, at most {@value #MAX_STACK_TRACE} characters;
 * {@code null} when not recorded
 */
public record FailureDetails(String type, @Nullable String message, @Nullable String stackTrace) {

    /** The longest stack trace recorded; longer ones are cut. */
    public static final int MAX_STACK_TRACE = 8000;

    /**
     * Validates the details.
     */
    public FailureDetails {
        Objects.requireNonNull(type, "type must not be null");
    }

    /**
     * Records an exception.
     * @param failure the exception
     * @return its details
     */
    public static FailureDetails of(Throwable failure) {
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        String text = trace.toString();
        if (text.length() > MAX_STACK_TRACE) {
            text = text.substring(0, MAX_STACK_TRACE) + "...";
        }
        return new FailureDetails(failure.getClass().getName(), failure.getMessage(), text);
    }

    /**
     * Returns whether the recorded exception was of a type, by class name: the exception's own class only, since
     * superclasses are not recorded.
     * @param type the exception class
     * @return whether {@link #type()} is its name
     */
    public boolean isCausedBy(Class<? extends Throwable> type) {
        return this.type.equals(type.getName());
    }

    @Override
    public String toString() {
        return (this.message != null) ? this.type + ": " + this.message : this.type;
    }
}
