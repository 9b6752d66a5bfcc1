package dev.quark.jobs.runtime;

import java.time.Duration;
import java.util.Objects;

import dev.quark.jobs.JobHandler;
import dev.quark.jobs.RetryPolicy;
import tools.jackson.databind.JavaType;

/**
 * A handler as the registry knows it: its type, its payload type resolved once, and its settings with the queue's
 * defaults applied.
 *
 * @param type the job type
 * @param handler the handler
 * @param payloadType the payload type
 * @param retryPolicy its retry policy
 * @param timeout how long an attempt may run
 * @param maxConcurrency how many of its jobs one node runs at once, 0 for no limit but the pool's
 */
public record RegisteredJobHandler(String type, JobHandler<Object> handler, JavaType payloadType,
        RetryPolicy retryPolicy, Duration timeout, int maxConcurrency) {

    /**
     * Validates the handler.
     */
    public RegisteredJobHandler {
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(handler, "handler must not be null");
        Objects.requireNonNull(payloadType, "payloadType must not be null");
        Objects.requireNonNull(retryPolicy, "retryPolicy must not be null");
        Objects.requireNonNull(timeout, "timeout must not be null");
    }
}
