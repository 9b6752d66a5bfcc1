package dev.quark.jobs;

import org.jspecify.annotations.Nullable;

/**
 * A job's payload that cannot be written as JSON when it is enqueued, or read as its handler's payload type when
 * it runs. A job whose payload cannot be read is dead-lettered at once: no retry can help.
 */
public class JobPayloadException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message what could not be done, naming the job type and the payload type
     * @param cause Jackson's exception
     */
    public JobPayloadException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
