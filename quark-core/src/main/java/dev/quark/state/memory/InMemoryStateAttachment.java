package dev.quark.state.memory;

import dev.quark.state.StateWriteAttachment;

/**
 * Writes that {@link InMemoryStateStore} makes right after a state's save succeeded, before the save returns: for
 * in-memory areas (the in-memory outbox) whose data, like the state, lives in this JVM only. A save whose version
 * check fails makes none of them. The state stores of the durable backends refuse this attachment, so that state in
 * Redis or PostgreSQL is never paired with writes that a restart would lose.
 */
public interface InMemoryStateAttachment extends StateWriteAttachment {

    /**
     * Makes the writes, after the state was saved.
     */
    void write();
}
