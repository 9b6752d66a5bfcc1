package dev.quark.durabletasks;

import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * What an activity attempt is part of.
 */
public interface ActivityContext {

    /**
     * Returns the orchestration instance that called the activity.
     * @return the instance id
     */
    String instanceId();

    /**
     * Returns the activity's name.
     * @return the name
     */
    String activityName();

    /**
     * Returns the number of the call in its orchestration's execution, the same on every attempt.
     * @return the task id
     */
    int taskId();

    /**
     * Returns which attempt this is.
     * @return 1 for the first attempt
     */
    int attempt();

    /**
     * Returns a key that is the same on every attempt of this call and different for every other call, for the
     * idempotency of the activity's effects (a payment provider's idempotency key, a unique constraint).
     * @return {@code <instance id>/<execution>/<task id>}
     */
    String idempotencyKey();

    /**
     * Tells the worker that this attempt is alive. With a heartbeat timeout in the call's {@link ActivityOptions}, an
     * attempt that does not heartbeat within it (from its start and from each heartbeat) is interrupted and retried as
     * its retry options say; without one, heartbeats are ignored. Cheap: call it from every iteration of a long loop.
     */
    void heartbeat();

    /**
     * Tells the worker that this attempt is alive, as {@link #heartbeat()} does, with details of its progress
     * (written with the payload converter): they are recorded with the call, at most once per 80 % of the heartbeat
     * timeout (at most every 30 s) and when the attempt ends in a retry, and later attempts of this call read them
     * with {@link #lastHeartbeatDetails}, so that a long activity resumes where an earlier attempt got to.
     * @param details the progress, for instance the last item done
     * @throws PayloadConversionException when the converter cannot write them
     */
    void heartbeat(@Nullable Object details);

    /**
     * Returns the details of the last heartbeat of this call: this attempt's, or else the last an earlier attempt
     * recorded (a worker that died loses at most the details of its last interval).
     * @param <T> the details' type
     * @param type the type to read them as
     * @return the details, empty when no attempt recorded any
     * @throws PayloadConversionException when they cannot be read as the type
     */
    <T> Optional<T> lastHeartbeatDetails(Class<T> type);
}
