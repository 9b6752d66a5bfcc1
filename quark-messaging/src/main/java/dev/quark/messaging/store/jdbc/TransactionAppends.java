package dev.quark.messaging.store.jdbc;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.quark.messaging.MessageId;
import dev.quark.messaging.store.NewMessage;

/**
 * The outbox messages enqueued in one Spring transaction on a {@link JdbcOutboxStore}'s database, held until the
 * transaction commits and inserted then ({@link #beforeCommit}), all at once: the store takes the advisory locks of
 * their keys in one fixed order, then inserts the rows in enqueue order. Registered as a synchronization of the
 * transaction at its first enqueue, so a suspended transaction's messages stay with it; a transaction that rolls back
 * drops them, and so does a rollback to a savepoint of a nested transaction (those enqueued after the savepoint, or
 * all of them for a savepoint taken before the first).
 * <p>
 * A message enqueued while the transaction commits, after its messages were inserted (a before-commit callback
 * running later), is inserted at once, still before the commit. Spring does not call a synchronization registered
 * during its {@code beforeCommit} round: the messages of a transaction's first enqueue made there are inserted by an
 * {@link OutboxCommitListener} on the transaction manager ({@link #insertAtCommit}), which then marks the transaction
 * as committing ({@link CommitMark}) so that a first enqueue after the commit is refused at once. One enqueued after
 * the commit is refused with an {@link IllegalStateException}; without the listener, so are the messages of a first
 * enqueue made too late in the commit, after the commit (the database committed the rest).
 */
final class TransactionAppends implements TransactionSynchronization {

    private static final Logger logger = LoggerFactory.getLogger(TransactionAppends.class);

    private final Object owner;

    private final Consumer<List<NewMessage>> insert;

    private final Supplier<@Nullable Object> connection;

    private final Object enqueuedOn;

    private final List<NewMessage> messages = new ArrayList<>();

    private final Set<MessageId> ids = new HashSet<>();

    private final IdentityHashMap<Object, Integer> savepoints = new IdentityHashMap<>();

    private Phase phase;

    private @Nullable CommitMark commitMark;

    private TransactionAppends(Object owner, Consumer<List<NewMessage>> insert, Supplier<@Nullable Object> connection,
            Object enqueuedOn, Phase phase) {
        this.owner = owner;
        this.insert = insert;
        this.connection = connection;
        this.enqueuedOn = enqueuedOn;
        this.phase = phase;
    }

    /**
     * Returns the messages of the current transaction for a store, registering them with the transaction at the first
     * call. Requires an active transaction synchronization and a connection of the store's database bound in the
     * transaction. In a transaction an {@link OutboxCommitListener} marked as committing, the messages of a first call
     * are inserted at once (the listener ran: a later execution listener's callback), or refused (it committed).
     * @param owner the store
     * @param insert inserts the messages in the current transaction, called before the transaction commits
     * @param connection returns the connection holder of the current transaction on the store's database, or
     * {@code null} when there is none
     * @return the transaction's messages
     */
    @SuppressWarnings("ReferenceEquality") // the owner is a store, told apart by identity
    static TransactionAppends current(Object owner, Consumer<List<NewMessage>> insert,
            Supplier<@Nullable Object> connection) {
        CommitMark mark = null;
        for (TransactionSynchronization synchronization : TransactionSynchronizationManager.getSynchronizations()) {
            if (synchronization instanceof TransactionAppends appends && appends.owner == owner) {
                return appends;
            }
            if (synchronization instanceof CommitMark found) {
                mark = found;
            }
        }
        Object enqueuedOn = connection.get();
        if (enqueuedOn == null) {
            throw new IllegalStateException("No connection of the outbox's database is bound to the transaction");
        }
        Phase phase = (mark == null) ? Phase.OPEN : mark.phase();
        TransactionAppends appends = new TransactionAppends(owner, insert, connection, enqueuedOn, phase);
        appends.commitMark = mark;
        if (phase != Phase.COMPLETED) {
            TransactionSynchronizationManager.registerSynchronization(appends);
        }
        return appends;
    }

    /**
     * Inserts the messages of every store that the current transaction holds and has not inserted yet (its first
     * enqueue came after Spring's {@code beforeCommit} round), then marks the transaction as committing. Called by
     * {@link OutboxCommitListener} right before the database's commit.
     */
    static void insertAtCommit() {
        CommitMark mark = new CommitMark();
        for (TransactionSynchronization synchronization : TransactionSynchronizationManager.getSynchronizations()) {
            if (synchronization instanceof TransactionAppends appends) {
                if (appends.phase == Phase.OPEN) {
                    appends.beforeCommit(false);
                }
                appends.commitMark = mark;
            }
        }
        TransactionSynchronizationManager.registerSynchronization(mark);
    }

    /**
     * Adds messages, all or none: refuses them all when one of them was enqueued in this transaction already. Inserts
     * them at once when the transaction's messages were inserted already (it is committing).
     * @param batch the messages, in enqueue order
     * @throws IllegalArgumentException naming the message enqueued twice
     * @throws IllegalStateException naming a message enqueued after the transaction committed
     */
    void add(List<NewMessage> batch) {
        if (this.phase == Phase.COMPLETED || (this.commitMark != null && this.commitMark.completed)) {
            throw new IllegalStateException("Message " + batch.getFirst().id() + " was enqueued after its transaction "
                    + "completed (in an after-commit callback?), so it would not be stored: enqueue it in a new "
                    + "transaction");
        }
        Set<MessageId> added = new HashSet<>();
        for (NewMessage message : batch) {
            if (this.ids.contains(message.id()) || !added.add(message.id())) {
                throw new IllegalArgumentException("Message " + message.id() + " was enqueued already");
            }
        }
        if (this.phase == Phase.INSERTED) {
            insert(batch);
        }
        this.messages.addAll(batch);
        this.ids.addAll(added);
    }

    @Override
    public void savepoint(Object savepoint) {
        this.savepoints.put(savepoint, this.messages.size());
    }

    /**
     * Drops the messages enqueued after the savepoint; all of them for a savepoint this instance does not know, taken
     * before its first message.
     */
    @Override
    public void savepointRollback(Object savepoint) {
        int mark = this.savepoints.getOrDefault(savepoint, 0);
        if (mark < this.messages.size()) {
            List<NewMessage> dropped = this.messages.subList(mark, this.messages.size());
            dropped.forEach((message) -> this.ids.remove(message.id()));
            dropped.clear();
        }
    }

    /**
     * Inserts the messages, once: a transaction that shares another's synchronizations (a new transaction started
     * without synchronization of its own) calls this too, and the other's commit must not insert them again.
     */
    @Override
    public void beforeCommit(boolean readOnly) {
        if (this.phase != Phase.OPEN) {
            return;
        }
        if (!this.messages.isEmpty()) {
            insert(List.copyOf(this.messages));
        }
        this.phase = Phase.INSERTED;
    }

    @SuppressWarnings("ReferenceEquality") // the same connection holder, not an equal one
    private void insert(List<NewMessage> batch) {
        if (this.connection.get() != this.enqueuedOn) {
            throw new IllegalStateException("Messages " + idsOf(batch) + " cannot be inserted: the transaction that "
                    + "enqueued them no longer holds its connection to the outbox's database (committed before its "
                    + "synchronizations ran, as by a chained transaction manager?); manage the outbox's DataSource "
                    + "with the transaction manager that commits it");
        }
        this.insert.accept(batch);
    }

    @Override
    public void afterCommit() {
        Phase before = this.phase;
        this.phase = Phase.COMPLETED;
        if (before == Phase.OPEN && !this.messages.isEmpty()) {
            throw new IllegalStateException("Messages " + idsOf(this.messages) + " were enqueued while their "
                    + "transaction committed, too late to be inserted in it (first enqueue of the outbox in a "
                    + "before-commit callback, and no OutboxCommitListener on the transaction manager?), so they are "
                    + "not stored");
        }
    }

    @Override
    public void afterCompletion(int status) {
        if (status == STATUS_COMMITTED && this.phase == Phase.OPEN && !this.messages.isEmpty()) {
            logger.error("Outbox messages {} were enqueued while their transaction committed, too late to be inserted "
                    + "in it, so they are not stored", idsOf(this.messages));
        }
        this.phase = Phase.COMPLETED;
        this.messages.clear();
        this.ids.clear();
        this.savepoints.clear();
    }

    private static List<MessageId> idsOf(List<NewMessage> batch) {
        return batch.stream().map(NewMessage::id).toList();
    }

    @Override
    public String toString() {
        return "TransactionAppends[" + this.messages.size() + " messages of " + this.owner + ", " + this.phase + "]";
    }

    /**
     * Marks a transaction that an {@link OutboxCommitListener} saw committing. Called first among the
     * synchronizations after the commit, so that an enqueue from any later callback is refused, even one called
     * before the {@link TransactionAppends} it adds to learnt that the transaction completed.
     */
    private static final class CommitMark implements TransactionSynchronization {

        private boolean completed;

        Phase phase() {
            return this.completed ? Phase.COMPLETED : Phase.INSERTED;
        }

        @Override
        public int getOrder() {
            return Ordered.HIGHEST_PRECEDENCE;
        }

        @Override
        public void afterCommit() {
            this.completed = true;
        }

        @Override
        public void afterCompletion(int status) {
            this.completed = true;
        }
    }

    /** How far the transaction got. */
    private enum Phase {

        /** Messages are held until the transaction commits. */
        OPEN,

        /** The messages were inserted: the transaction is committing, more are inserted at once. */
        INSERTED,

        /** The transaction committed or rolled back: no message can be added. */
        COMPLETED

    }
}
