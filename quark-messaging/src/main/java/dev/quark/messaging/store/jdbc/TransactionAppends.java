package dev.quark.messaging.store.jdbc;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.quark.messaging.MessageId;
import dev.quark.messaging.store.NewMessage;

/**
 * The outbox messages enqueued in one Spring transaction on a {@link JdbcOutboxStore}'s database, held until the
 * transaction commits and inserted then ({@link #beforeCommit}), all at once: the store takes the advisory locks of
 * their keys in one fixed order, then inserts the rows in enqueue order. Registered as a synchronization of the
 * transaction at its first enqueue, so a suspended transaction's messages stay with it; a transaction that rolls back
 * drops them, and so does a rollback to a savepoint of a nested transaction (those enqueued after the savepoint).
 */
final class TransactionAppends implements TransactionSynchronization {

    private final Object owner;

    private final Consumer<List<NewMessage>> insert;

    private final List<NewMessage> messages = new ArrayList<>();

    private final Set<MessageId> ids = new HashSet<>();

    private final Map<Object, Integer> savepoints = new IdentityHashMap<>();

    private TransactionAppends(Object owner, Consumer<List<NewMessage>> insert) {
        this.owner = owner;
        this.insert = insert;
    }

    /**
     * Returns the messages of the current transaction for a store, registering them with the transaction at the first
     * call. Requires an active transaction synchronization.
     * @param owner the store
     * @param insert inserts the messages, called before the transaction commits
     * @return the transaction's messages
     */
    static TransactionAppends current(Object owner, Consumer<List<NewMessage>> insert) {
        for (TransactionSynchronization synchronization : TransactionSynchronizationManager.getSynchronizations()) {
            if (synchronization instanceof TransactionAppends appends && appends.owner == owner) {
                return appends;
            }
        }
        TransactionAppends appends = new TransactionAppends(owner, insert);
        TransactionSynchronizationManager.registerSynchronization(appends);
        return appends;
    }

    /**
     * Adds messages, all or none: refuses them all when one of them was enqueued in this transaction already.
     * @param batch the messages, in enqueue order
     * @throws IllegalArgumentException naming the message enqueued twice
     */
    void add(List<NewMessage> batch) {
        Set<MessageId> added = new HashSet<>();
        for (NewMessage message : batch) {
            if (this.ids.contains(message.id()) || !added.add(message.id())) {
                throw new IllegalArgumentException("Message " + message.id() + " was enqueued already");
            }
        }
        this.messages.addAll(batch);
        this.ids.addAll(added);
    }

    @Override
    public void savepoint(Object savepoint) {
        this.savepoints.put(savepoint, this.messages.size());
    }

    @Override
    public void savepointRollback(Object savepoint) {
        Integer mark = this.savepoints.get(savepoint);
        if (mark != null && mark < this.messages.size()) {
            List<NewMessage> dropped = this.messages.subList(mark, this.messages.size());
            dropped.forEach((message) -> this.ids.remove(message.id()));
            dropped.clear();
        }
    }

    @Override
    public void beforeCommit(boolean readOnly) {
        if (!this.messages.isEmpty()) {
            this.insert.accept(List.copyOf(this.messages));
        }
    }

    @Override
    public void afterCompletion(int status) {
        this.messages.clear();
        this.ids.clear();
        this.savepoints.clear();
    }

    @Override
    public String toString() {
        return "TransactionAppends[" + this.messages.size() + " messages of " + this.owner + "]";
    }
}
