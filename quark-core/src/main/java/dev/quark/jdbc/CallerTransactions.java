package dev.quark.jdbc;

import java.util.Objects;
import java.util.function.Supplier;

import javax.sql.DataSource;

import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runs a store's statements in the caller's transaction when the caller has one on the store's database, else in a
 * transaction of the store's own: for writes that must commit or roll back with the caller's (events, a state with
 * its outbox messages). The counterpart of {@link OwnTransactions}.
 * <p>
 * A caller's transaction of any kind counts (JDBC, JPA, Hibernate): the statements join it through
 * {@code DataSourceUtils}. Asking a private {@code DataSourceTransactionManager} instead does not work, because JPA's
 * and Hibernate's managers bind their connection without marking it as a JDBC transaction: such a manager would take
 * that connection over and commit the caller's work halfway. A transaction on another database does not hold this
 * one's connection, so the work then runs in a transaction of its own. Transaction managers bind the connection of
 * a {@code TransactionAwareDataSourceProxy}'s target under the target, which is what is looked for.
 */
public final class CallerTransactions {

    private final DataSource dataSource;

    private final TransactionTemplate own;

    /**
     * Creates the transactions of a database.
     * @param dataSource the database, usually the application's
     */
    public CallerTransactions(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.dataSource = OwnTransactions.unproxied(dataSource);
        this.own = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
    }

    /**
     * Runs work in the caller's transaction on this database, or else in one of its own.
     * @param <T> the result's type
     * @param work the work, whose statements use the same {@code DataSource} through Spring JDBC
     * @return what the work returned
     */
    public <T> T execute(Supplier<T> work) {
        Objects.requireNonNull(work, "work must not be null");
        if (TransactionSynchronizationManager.isActualTransactionActive()
                && TransactionSynchronizationManager.hasResource(this.dataSource)) {
            return work.get();
        }
        return Objects.requireNonNull(this.own.execute((status) -> work.get()), "transactional work returned null");
    }
}
