package dev.quark.messaging.state;

import java.util.List;
import java.util.function.Consumer;

import dev.quark.messaging.MessageId;
import dev.quark.messaging.Outbox;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.PersistentState;
import dev.quark.state.StateWriteAttachment;

/**
 * Saves an actor's persistent state, or appends an event-sourced actor's events ({@link #withMessages}), and enqueues
 * outbox messages as one write: the messages exist if and only if the
 * state was saved. For an actor whose change of state is an event other systems must hear about:
 * <pre>{@code
 * public void withdraw(long amount) {
 *     this.account.update((state) -> state.withdraw(amount));
 *     this.stateOutbox.save(this.account,
 *             (outbox) -> outbox.enqueue("ledger", actorId(), new Withdrawn(actorId(), amount)));
 * }
 * }</pre>
 * How the write is made depends on the backends, which must be the same for the state and the outbox:
 * <ul>
 * <li><b>Redis</b> ({@code RedisStateStore} + Redis outbox, one connection factory): the messages are appended in the
 * Lua script that checks the state's version and writes it, atomically. Standalone Redis only.</li>
 * <li><b>PostgreSQL</b> ({@code JdbcStateStore} + PostgreSQL outbox, one {@code DataSource}): the state's row is
 * written and the messages inserted in one transaction (the caller's when one holds the {@code DataSource}).</li>
 * <li><b>memory</b> (both in memory): the messages are appended right after the state's save succeeded; nothing
 * survives a restart anyway.</li>
 * </ul>
 * A state kept in another store than the outbox's (another backend, connection factory or {@code DataSource}; an
 * in-memory outbox with a state in Redis or PostgreSQL, whose messages a restart would lose) fails with
 * {@link UnsupportedOperationException} naming it, before anything is written; so does an outbox store that cannot
 * ride along a save (one that is no {@code StateAttachingOutboxStore}, a wrapper for instance).
 */
public interface StateOutbox {

    /**
     * Enqueues the messages that {@code messages} enqueues and saves the state, as one write. The outbox given to
     * {@code messages} checks and writes each message at once (a bad one fails this call, nothing written), and
     * appends them in the order enqueued when the state is saved.
     * @param state the state, holding the value to save
     * @param messages enqueues the messages
     * @return the ids of the messages, in the order enqueued
     * @throws ConcurrencyException when the store holds another version of the state; nothing is written
     * @throws UnsupportedOperationException when the state and the outbox are not on the same backend; nothing is
     * written
     */
    List<MessageId> save(PersistentState<?> state, Consumer<Outbox> messages);

    /**
     * Checks and writes the messages that {@code messages} enqueues and returns their appends as writes for an
     * event-sourced actor's append, which makes them in the same atomic step as its events: the messages exist if and
     * only if the events were stored.
     * <pre>{@code
     * public void withdraw(long cents) {
     *     emit(new Withdrawn(cents), this.stateOutbox.withMessages(
     *             (outbox) -> outbox.enqueue("ledger", actorId(), new LedgerEntry(actorId(), -cents))));
     * }
     * }</pre>
     * The event store must be the outbox's backend on the same database: {@code JdbcEventStore} with the PostgreSQL
     * outbox on one {@code DataSource} (one transaction, the caller's when one holds the {@code DataSource}),
     * {@code RedisEventStore} with the Redis outbox on one connection factory (one Lua script; standalone Redis or
     * Sentinel), or both in memory; else the append fails with {@link UnsupportedOperationException}, nothing written.
     * The ids of the messages are what {@link Outbox#enqueue} returned inside {@code messages}.
     * @param messages enqueues the messages; a bad one fails this call
     * @return the writes to pass to {@code EventSourcedActor.emit(event, attachment)}
     * @throws UnsupportedOperationException when the outbox store cannot ride along another store's write
     */
    StateWriteAttachment withMessages(Consumer<Outbox> messages);
}
