package dev.quark.messaging.store;

import java.util.List;

import dev.quark.state.StateWriteAttachment;

/**
 * An outbox store that appends messages in the same atomic step as a state's save, through the state store: it makes
 * the {@link StateWriteAttachment} that the state store runs with the save (the Redis store: messages appended in the
 * save's Lua script).
 */
public interface StateAttachingOutboxStore extends OutboxStore {

    /**
     * Returns the writes that append messages, for a state store to make with a save.
     * @param messages the messages, in append order
     * @return the attachment
     */
    StateWriteAttachment appendWithState(List<NewMessage> messages);
}
