package dev.quark.messaging.store.jdbc;

import org.springframework.transaction.ConfigurableTransactionManager;
import org.springframework.transaction.TransactionExecution;
import org.springframework.transaction.TransactionExecutionListener;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Inserts the outbox messages of a committing transaction that its synchronizations could not: those of a
 * transaction's first enqueue made while it committed, in a {@code beforeCommit} callback such as a
 * {@code @TransactionalEventListener(phase = BEFORE_COMMIT)}. Spring calls only the synchronizations registered
 * before its {@code beforeCommit} round, so such messages would miss the commit; a transaction manager calls its
 * execution listeners' {@link #beforeCommit} after that round, right before the database's {@code COMMIT}, where this
 * listener inserts them in the transaction (taking their keys' advisory locks in the same fixed order as
 * {@link JdbcOutboxStore} does). An insert that fails rolls the transaction back and reaches the code that committed.
 * <p>
 * From then on the transaction refuses a first enqueue made after the commit (an {@code afterCommit} or
 * {@code afterCompletion} callback, an {@code AFTER_COMMIT} event listener) with an {@link IllegalStateException}
 * naming the message, to the code that enqueued: without this listener such a message is only logged, or dropped.
 * <p>
 * Spring Boot adds every {@code TransactionExecutionListener} bean to the transaction managers it auto-configures;
 * Quark's auto-configuration declares this one on PostgreSQL. A transaction manager defined by the application needs
 * it added: {@link ConfigurableTransactionManager#addListener}. Stateless: one instance serves any number of
 * managers and threads.
 */
public final class OutboxCommitListener implements TransactionExecutionListener {

    /**
     * Inserts the messages of the committing transaction that were enqueued too late for its synchronizations. Does
     * nothing for a nested transaction (a savepoint released) or one without transaction synchronization.
     * @param transaction the transaction about to commit
     */
    @Override
    public void beforeCommit(TransactionExecution transaction) {
        if (transaction.isNewTransaction() && TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionAppends.insertAtCommit();
        }
    }

    @Override
    public String toString() {
        return "OutboxCommitListener";
    }
}
