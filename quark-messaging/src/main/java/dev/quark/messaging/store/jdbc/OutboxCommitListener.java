package dev.quark.messaging.store.jdbc;

import dev.quark.jdbc.EndingTransactionMarker;

import org.springframework.transaction.ConfigurableTransactionManager;
import org.springframework.transaction.TransactionExecution;
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
 * From then on the transaction refuses a first enqueue made in an {@code afterCommit} callback, while its
 * synchronizations are still active, with an {@link IllegalStateException} naming the message, to the code that
 * enqueued: without this listener such a message is only logged.
 * <p>
 * As an {@link EndingTransactionMarker} it also marks, on the committing (or rolling back) thread, the connection of a
 * transaction that ends, from right
 * before its {@code COMMIT} (or rollback) until its {@code afterCompletion} callbacks ran: an enqueue made there (an
 * {@code afterCompletion} callback, an {@code AFTER_COMMIT} or {@code AFTER_ROLLBACK} event listener) finds the
 * finished transaction's connection still bound without synchronization, which it could not tell from a caller's
 * transaction bound the way JPA binds one; the mark tells {@link JdbcOutboxStore} to store it on a connection of its
 * own and commit it, instead of writing it on the finished transaction's connection (where a pool handing out
 * connections with auto-commit off would roll it back).
 * <p>
 * Spring Boot adds every {@code TransactionExecutionListener} bean to the transaction managers it auto-configures;
 * Quark's auto-configuration declares this one on PostgreSQL, as the one marker of ending transactions (every
 * store of Quark's honours its mark). A transaction manager defined by the application needs
 * it added: {@link ConfigurableTransactionManager#addListener}. Its only state is the per-thread mark of ending
 * transactions: one instance serves any number of managers and threads.
 */
public final class OutboxCommitListener extends EndingTransactionMarker {

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
        super.beforeCommit(transaction);
    }

    @Override
    public String toString() {
        return "OutboxCommitListener";
    }
}
