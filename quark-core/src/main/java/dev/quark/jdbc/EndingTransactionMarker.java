package dev.quark.jdbc;

import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.datasource.JdbcTransactionObjectSupport;
import org.springframework.transaction.ConfigurableTransactionManager;
import org.springframework.transaction.TransactionExecution;
import org.springframework.transaction.TransactionExecutionListener;
import org.springframework.transaction.support.DefaultTransactionStatus;

/**
 * Marks, on the committing (or rolling back) thread, the connection of a transaction that ends, from right before
 * its {@code COMMIT} (or rollback) until its {@code afterCompletion} callbacks ran ({@link EndingTransactions}), so
 * that Quark's JDBC stores write what is written there (an {@code afterCompletion} callback, an
 * {@code AFTER_COMMIT} or {@code AFTER_ROLLBACK} event listener) on a connection of their own, committed, instead of
 * on the finished transaction's connection, where a pool handing out connections with auto-commit off would roll it
 * back.
 * <p>
 * Only a new transaction of a manager that exposes its JDBC connection is marked
 * ({@code DataSourceTransactionManager}, {@code JpaTransactionManager} with a dialect that exposes its connection): a
 * transaction that joins another or only releases a savepoint does not end its connection.
 * <p>
 * Spring Boot adds every {@code TransactionExecutionListener} bean to the transaction managers it auto-configures;
 * Quark's auto-configuration declares one whenever there is a {@code DataSource} (the outbox's
 * {@code OutboxCommitListener}, which extends this one, on PostgreSQL messaging). A transaction manager defined by the
 * application needs it added: {@link ConfigurableTransactionManager#addListener}. Its only state is the per-thread
 * mark: one instance serves any number of managers and threads.
 */
public class EndingTransactionMarker implements TransactionExecutionListener {

    /**
     * Marks the transaction's connection as ending.
     * @param transaction the transaction about to commit
     */
    @Override
    public void beforeCommit(TransactionExecution transaction) {
        mark(transaction);
    }

    /**
     * Marks the transaction's connection as ending.
     * @param transaction the transaction about to roll back
     */
    @Override
    public void beforeRollback(TransactionExecution transaction) {
        mark(transaction);
    }

    /**
     * Removes the mark: the transaction's {@code afterCompletion} callbacks ran.
     * @param transaction the committed transaction
     * @param commitFailure the failure of the commit, if any
     */
    @Override
    public void afterCommit(TransactionExecution transaction, @Nullable Throwable commitFailure) {
        unmark(transaction);
    }

    /**
     * Removes the mark: the transaction's {@code afterCompletion} callbacks ran.
     * @param transaction the rolled back transaction
     * @param rollbackFailure the failure of the rollback, if any
     */
    @Override
    public void afterRollback(TransactionExecution transaction, @Nullable Throwable rollbackFailure) {
        unmark(transaction);
    }

    private static void mark(TransactionExecution transaction) {
        Object holder = connectionHolder(transaction);
        if (holder != null) {
            EndingTransactions.mark(holder);
        }
    }

    private static void unmark(TransactionExecution transaction) {
        Object holder = connectionHolder(transaction);
        if (holder != null) {
            EndingTransactions.unmark(holder);
        }
    }

    private static @Nullable Object connectionHolder(TransactionExecution transaction) {
        if (transaction.isNewTransaction() && transaction instanceof DefaultTransactionStatus status
                && status.getTransaction() instanceof JdbcTransactionObjectSupport object
                && object.hasConnectionHolder()) {
            return object.getConnectionHolder();
        }
        return null;
    }

    @Override
    public String toString() {
        return "EndingTransactionMarker";
    }
}
