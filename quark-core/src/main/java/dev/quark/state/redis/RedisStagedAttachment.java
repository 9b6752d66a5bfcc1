package dev.quark.state.redis;

/**
 * The form of a {@link RedisStateAttachment} that a Redis Cluster can run: its writes staged under keys in the state's
 * (or stream's) hash slot, made in the save's script like any attachment, and carried on to their own keys after the
 * save by a step of the attachment's own ({@link #afterWrite()}). Made by {@link RedisStateAttachment#stagedUnder}. The
 * store calls {@link #beforeWrite()}, then runs the save's script with this attachment, then, when the state was
 * saved, {@link #afterWrite()}.
 */
public interface RedisStagedAttachment extends RedisStateAttachment {

    /**
     * Prepares the staging before the save's script runs, for instance records where the writes will be staged, so
     * that they are found again when the process dies right after the save. A failure fails the save before anything
     * of the state is written.
     */
    void beforeWrite();

    /**
     * Carries the staged writes on after the state was saved. The save is committed: the store logs a failure of this
     * step at WARN and still returns the save's outcome, and the attachment's owner carries on later what a failed
     * step left staged.
     */
    void afterWrite();
}
