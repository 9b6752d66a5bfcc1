package dev.quark.state;

/**
 * Writes that a {@link StateStore} makes in the same atomic step as a state's save: both happen, or neither. An
 * {@code EventStore} takes the same attachments with an append of an event-sourced actor's events (its state's
 * write), so the Redis, PostgreSQL and in-memory kinds below serve both. Each store accepts the kinds it can write atomically (the Redis store: {@code RedisStateAttachment}, run in the save's
 * Lua script) and refuses the others before writing anything. Made by the area that owns the writes, for instance the
 * outbox, whose messages are then enqueued if and only if the state was saved:
 * <pre>{@code
 * this.account.update((state) -> state.withdraw(amount));
 * stateOutbox.save(this.account, (outbox) -> outbox.enqueue("ledger", actorId(), new Withdrawn(amount)));
 * }</pre>
 */
public interface StateWriteAttachment {

    /**
     * Describes the writes, for messages.
     * @return a short description, for instance {@code "2 outbox messages"}
     */
    String description();
}
