package dev.quark.testkit.server;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * A caller's transaction bound to the test's thread the way JPA's and Hibernate's transaction managers bind theirs:
 * the connection is registered for the {@code DataSource} without being marked as a JDBC transaction. Statements
 * through {@link #connection()} are the caller's own work; closing rolls it back and unbinds it.
 */
public final class BoundCallerTransaction implements AutoCloseable {

    private final DataSource dataSource;

    private final Connection connection;

    private BoundCallerTransaction(DataSource dataSource, Connection connection) {
        this.dataSource = dataSource;
        this.connection = connection;
    }

    /**
     * Opens a connection, starts a transaction on it and binds it for the data source.
     * @param dataSource the database
     * @return the transaction, to close in a {@code try}
     * @throws SQLException when no connection can be had
     */
    public static BoundCallerTransaction begin(DataSource dataSource) throws SQLException {
        Connection connection = dataSource.getConnection();
        connection.setAutoCommit(false);
        TransactionSynchronizationManager.bindResource(dataSource, new ConnectionHolder(connection));
        TransactionSynchronizationManager.setActualTransactionActive(true);
        return new BoundCallerTransaction(dataSource, connection);
    }

    /**
     * Returns the caller's connection.
     * @return the connection, in the caller's transaction
     */
    public Connection connection() {
        return this.connection;
    }

    /**
     * Runs one statement of the caller's own work.
     * @param sql the statement
     * @throws SQLException when it fails
     */
    public void execute(String sql) throws SQLException {
        try (var statement = this.connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /**
     * Rolls the caller's work back and unbinds the connection.
     * @throws SQLException when the rollback fails
     */
    @Override
    public void close() throws SQLException {
        try {
            TransactionSynchronizationManager.setActualTransactionActive(false);
            TransactionSynchronizationManager.unbindResource(this.dataSource);
            this.connection.rollback();
            this.connection.setAutoCommit(true);
        }
        finally {
            this.connection.close();
        }
    }
}
