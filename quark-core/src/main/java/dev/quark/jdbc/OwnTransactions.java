package dev.quark.jdbc;

import java.util.Objects;

import javax.sql.DataSource;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.transaction.support.TransactionOperations;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A store's way to the database when its writes must commit on their own, whatever transaction the calling thread
 * is in: its statements run on connections of their own, in transactions of their own, and never touch the
 * caller's.
 * <p>
 * {@code PROPAGATION_REQUIRES_NEW} on a private {@code DataSourceTransactionManager} is not enough. JPA's and
 * Hibernate's transaction managers bind the transaction's connection for the {@code DataSource} without marking it
 * as a JDBC transaction, so such a manager does not suspend it: it takes that connection over, runs the store's
 * statements on it and commits the caller's work halfway through. Here the store reaches the database through a
 * view of the {@code DataSource} of its own (a distinct key for Spring's transaction synchronisation), so nothing
 * a caller bound is ever seen, and statements and transactions made through this object always find each other.
 * Nested transactions join the outer one.
 */
public final class OwnTransactions {

    private final DataSource view;

    private final JdbcClient jdbc;

    private final JdbcTemplate template;

    private final TransactionTemplate transactions;

    /**
     * Creates the view of a database.
     * @param dataSource the database, usually the application's
     */
    public OwnTransactions(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.view = new DelegatingDataSource(unproxied(dataSource));
        this.template = new JdbcTemplate(this.view);
        this.jdbc = JdbcClient.create(this.template);
        this.transactions = new TransactionTemplate(new DataSourceTransactionManager(this.view));
    }

    /**
     * Returns the data source under a {@link TransactionAwareDataSourceProxy}, which would hand out the connection a
     * caller's transaction bound for the target.
     * @param dataSource a data source, proxied or not
     * @return the first data source under it that is no {@code TransactionAwareDataSourceProxy}
     */
    public static DataSource unproxied(DataSource dataSource) {
        DataSource current = dataSource;
        while (current instanceof TransactionAwareDataSourceProxy proxy) {
            current = Objects.requireNonNull(proxy.getTargetDataSource(), "the proxy's target data source");
        }
        return current;
    }

    /**
     * Returns a client whose statements join the transaction of {@link #transactions()} when one runs on this thread, and
     * run on their own otherwise (auto-commit).
     * @return the client
     */
    public JdbcClient jdbc() {
        return this.jdbc;
    }

    /**
     * Returns a template for what {@link JdbcClient} does not offer (batches), joining like {@link #jdbc()}.
     * @return the template
     */
    public JdbcTemplate template() {
        return this.template;
    }

    /**
     * Returns the transactions: each one of its own, or the one of an enclosing {@code execute} on this thread.
     * @return the transactions
     */
    public TransactionOperations transactions() {
        return this.transactions;
    }
}
