package dev.quark.state.memory;

import dev.quark.state.StateWriteAttachment;

/**
 * Writes that {@link InMemoryStateStore} (or the in-memory event store) makes in the step of a state's save (or an
 * append), after the version check and before the state (or the events) is written: for in-memory areas (the
 * in-memory outbox) whose data, like the state, lives in this JVM only. A save whose version check fails makes none of
 * them; writes that throw leave the state (or the stream) as it was, so they must write all or nothing themselves. The state stores of the durable backends refuse this attachment, so that state in
 * Redis or PostgreSQL is never paired with writes that a restart would lose.
 */
public interface InMemoryStateAttachment extends StateWriteAttachment {

    /**
     * Makes the writes, all or none, after the version check and before the state is saved.
     */
    void write();
}
