package dev.quark.messaging.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import dev.quark.messaging.MessageId;
import dev.quark.messaging.Outbox;
import dev.quark.messaging.state.StateOutbox;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.StateAttachingOutboxStore;
import dev.quark.state.PersistentState;
import dev.quark.state.StateWriteAttachment;

/**
 * The {@link StateOutbox}: checks and writes the messages first, then, when the outbox store can ride along a state's
 * save ({@link StateAttachingOutboxStore}: Redis, PostgreSQL), saves the state with the appends attached, which the
 * state's store makes in the same atomic step or refuses before writing (the in-memory store appends them right
 * after an in-memory state's save); an outbox store that cannot is refused before anything is written.
 */
public final class DefaultStateOutbox implements StateOutbox {

    private final DefaultOutbox outbox;

    /**
     * Creates the state outbox.
     * @param outbox checks and writes messages, and holds the store they are appended to
     */
    public DefaultStateOutbox(DefaultOutbox outbox) {
        this.outbox = Objects.requireNonNull(outbox, "outbox must not be null");
    }

    @Override
    public List<MessageId> save(PersistentState<?> state, Consumer<Outbox> messages) {
        Objects.requireNonNull(state, "state must not be null");
        List<NewMessage> prepared = prepare(messages);
        if (prepared.isEmpty()) {
            state.save();
        }
        else {
            state.save(attaching().appendWithState(prepared));
        }
        return prepared.stream().map(NewMessage::id).toList();
    }

    @Override
    public StateWriteAttachment withMessages(Consumer<Outbox> messages) {
        return attaching().appendWithState(prepare(messages));
    }

    private List<NewMessage> prepare(Consumer<Outbox> messages) {
        Objects.requireNonNull(messages, "messages must not be null");
        List<NewMessage> prepared = new ArrayList<>();
        messages.accept((destination, key, message, headers) -> {
            NewMessage next = this.outbox.prepare(destination, key, message, headers);
            prepared.add(next);
            return next.id();
        });
        return prepared;
    }

    private StateAttachingOutboxStore attaching() {
        OutboxStore store = this.outbox.store();
        if (store instanceof StateAttachingOutboxStore attaching) {
            return attaching;
        }
        throw new UnsupportedOperationException("Outbox store " + store + " cannot append messages with a state's "
                + "save or an event append (it is no StateAttachingOutboxStore); nothing was written");
    }

    @Override
    public String toString() {
        return "DefaultStateOutbox[" + this.outbox.store() + "]";
    }
}
