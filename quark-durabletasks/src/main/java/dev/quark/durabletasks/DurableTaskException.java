package dev.quark.durabletasks;

import org.jspecify.annotations.Nullable;

/**
 * The base of the exceptions of durable tasks.
 */
public class DurableTaskException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message the message
     */
    public DurableTaskException(String message) {
        super(message);
    }

    /**
     * Creates the exception.
     * @param message the message
     * @param cause the cause
     */
    public DurableTaskException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
