package dev.quark.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.Objects;
import java.util.function.Supplier;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionSystemException;
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
 * <p>
 * <b>After a commit.</b> While a finished transaction's {@code afterCompletion} callbacks run (an
 * {@code AFTER_COMMIT} or {@code AFTER_ROLLBACK} event listener), its connection is still bound to the thread and
 * looks like a caller's transaction. When its manager has an {@link EndingTransactionMarker}, the work does not join
 * it: it runs in a transaction of its own on a connection of its own (the finished one suspended meanwhile), and is
 * committed. Without the marker it is written on the finished transaction's connection, where a pool handing out
 * connections with auto-commit off rolls it back.
 * <p>
 * <b>Savepoints.</b> In the caller's transaction the work runs under a savepoint: when it fails (a statement the
 * database refuses, an optimistic conflict, attached writes that throw) its statements are rolled back to the
 * savepoint and the failure thrown, so the caller's transaction holds none of them and stays usable. Without it, a
 * refused statement would abort the caller's whole transaction ({@code 25P02}: every later statement refused) and a
 * failure after a first write (a state's row written, its attached writes throwing) would leave that write in the
 * caller's transaction, to be committed if the caller caught the exception. A failed call rolls back to its savepoint and then releases it, as Spring's
 * nested transactions do. The price: a {@code SAVEPOINT} and a
 * {@code RELEASE SAVEPOINT} per call in a caller's transaction; none outside of one.
 */
public final class CallerTransactions {

    private final DataSource dataSource;

    private final TransactionTemplate own;

    private final TransactionTemplate ownWhileEnding;

    /**
     * Creates the transactions of a database.
     * @param dataSource the database, usually the application's
     */
    public CallerTransactions(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.dataSource = OwnTransactions.unproxied(dataSource);
        DataSourceTransactionManager manager = new DataSourceTransactionManager(dataSource);
        this.own = new TransactionTemplate(manager);
        // A finished transaction's connection stays bound, marked active, until its manager cleans up: a new
        // transaction must suspend it rather than join it.
        this.ownWhileEnding = new TransactionTemplate(manager);
        this.ownWhileEnding.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
    }

    /**
     * Runs work in the caller's transaction on this database, or else in one of its own.
     * @param <T> the result's type
     * @param work the work, whose statements use the same {@code DataSource} through Spring JDBC
     * @return what the work returned
     */
    public <T> T execute(Supplier<T> work) {
        Objects.requireNonNull(work, "work must not be null");
        if (EndingTransactions.endingOn(this.dataSource)) {
            return whileEnding(work);
        }
        if (callerHoldsTheDatabase()) {
            return underSavepoint(work);
        }
        return Objects.requireNonNull(this.own.execute((status) -> work.get()), "transactional work returned null");
    }

    /**
     * Runs work under a savepoint of the caller's transaction when the caller has one on this database, else as it
     * is (each statement committing on its own): for a single write whose failure must not abort the caller's
     * transaction, without the cost of a transaction of its own when there is no caller's.
     * @param <T> the result's type
     * @param work the work, whose statements use the same {@code DataSource} through Spring JDBC
     * @return what the work returned
     */
    public <T> T withSavepoint(Supplier<T> work) {
        Objects.requireNonNull(work, "work must not be null");
        if (EndingTransactions.endingOn(this.dataSource)) {
            return whileEnding(work);
        }
        return callerHoldsTheDatabase() ? underSavepoint(work) : work.get();
    }

    /**
     * Returns whether no caller's transaction holds this database and none is ending on this thread, so that a
     * statement run now through Spring JDBC joins no transaction: on a connection in auto-commit mode it commits on its
     * own, and a single statement that must be atomic can run as it is, without the round trip of a transaction's
     * commit. The pool's connections may still have auto-commit off: the caller must check
     * {@code Connection.getAutoCommit()} on the connection it gets, and use a transaction when it is off.
     * @return whether statements on this database now join no transaction
     */
    public boolean statementsCommitAlone() {
        return !EndingTransactions.endingOn(this.dataSource) && !callerHoldsTheDatabase();
    }

    /**
     * Runs work in a transaction of its own on a fresh connection while the bound one is that of a transaction ending
     * on this thread: {@code PROPAGATION_REQUIRED} would join it, as it is still marked active until its manager
     * cleans up.
     */
    private <T> T whileEnding(Supplier<T> work) {
        return Objects.requireNonNull(this.ownWhileEnding.execute((status) -> work.get()),
                "transactional work returned null");
    }

    /**
     * Whether the caller's transaction holds a connection of this database in a transaction: auto-commit off. A
     * connection merely bound to another transaction's synchronization (a {@code JdbcTemplate} used on this database
     * inside a transaction of another database's manager) stays in auto-commit mode, where no savepoint can be set;
     * the work then runs in a transaction of its own, as it would without that connection. The connection of a
     * transaction ending on this thread ({@link EndingTransactions}) counts too, though {@link #execute} and
     * {@link #withSavepoint} do not join it.
     * @return whether statements on this database now join a caller's transaction
     */
    public boolean callerHoldsTheDatabase() {
        return callerConnection() != null;
    }

    /**
     * Returns the connection holder of the caller's transaction on this database, as {@link #callerHoldsTheDatabase}
     * finds it: bound to this thread, in a transaction (auto-commit off).
     * @return the holder, or {@code null} when statements on this database now join no caller's transaction
     */
    public @Nullable ConnectionHolder callerConnection() {
        if (!TransactionSynchronizationManager.isActualTransactionActive()
                || !(TransactionSynchronizationManager.getResource(this.dataSource) instanceof ConnectionHolder holder)) {
            return null;
        }
        try {
            return holder.getConnection().getAutoCommit() ? null : holder;
        }
        catch (SQLException | IllegalStateException ex) {
            return null;
        }
    }

    private <T> T underSavepoint(Supplier<T> work) {
        Connection connection = DataSourceUtils.getConnection(this.dataSource);
        try {
            Savepoint savepoint;
            try {
                savepoint = connection.setSavepoint();
            }
            catch (SQLException ex) {
                throw new CannotCreateTransactionException("Could not create a savepoint in the caller's transaction",
                        ex);
            }
            T result;
            try {
                result = work.get();
            }
            catch (RuntimeException | Error ex) {
                try {
                    connection.rollback(savepoint);
                    connection.releaseSavepoint(savepoint);
                }
                catch (SQLException rollback) {
                    ex.addSuppressed(rollback);
                }
                throw ex;
            }
            try {
                connection.releaseSavepoint(savepoint);
            }
            catch (SQLException ex) {
                throw new TransactionSystemException("Could not release a savepoint in the caller's transaction", ex);
            }
            return result;
        }
        finally {
            DataSourceUtils.releaseConnection(connection, this.dataSource);
        }
    }
}
