package dev.quark.jdbc;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The connections of the transactions ending on this thread, as an {@link EndingTransactionMarker} marks them: from
 * right before a transaction's {@code COMMIT} (or rollback) until its {@code afterCompletion} callbacks ran.
 * <p>
 * A write made there (an {@code afterCompletion} callback, a {@code @TransactionalEventListener} of phase
 * {@code AFTER_COMMIT} or {@code AFTER_ROLLBACK}) finds the finished transaction's connection still bound to the
 * thread without transaction synchronization, which looks exactly like a caller's transaction bound the way JPA binds
 * one. Written on it, it is committed by {@code DataSourceTransactionManager} restoring auto-commit, or rolled back
 * (lost) by a pool whose connections have auto-commit off. A store that finds the bound connection
 * {@linkplain #endingOn ending} writes on a connection of its own instead. Without the marker on the transaction's
 * manager nothing is marked, and such writes still go to the finished transaction's connection.
 */
public final class EndingTransactions {

    /** The connection holders of the transactions ending on this thread (more than one with nested managers). */
    private static final ThreadLocal<@Nullable Set<Object>> ENDING = new ThreadLocal<>();

    private EndingTransactions() {
    }

    /**
     * Returns whether a resource bound to this thread is the connection holder of a transaction ending on it.
     * @param holder a resource bound for a {@code DataSource}, or {@code null}
     * @return whether it belongs to a transaction that a manager with an {@link EndingTransactionMarker} is ending
     */
    public static boolean isEnding(@Nullable Object holder) {
        Set<Object> ending = ENDING.get();
        return holder != null && ending != null && ending.contains(holder);
    }

    /**
     * Returns whether the connection bound to this thread for a database belongs to a transaction ending on it: a
     * write on that database must then not join it.
     * @param dataSource the database (a {@code TransactionAwareDataSourceProxy} counts as its target)
     * @return whether the bound connection is marked as ending; {@code false} when none is bound
     */
    public static boolean endingOn(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        if (ENDING.get() == null) {
            return false;
        }
        return isEnding(TransactionSynchronizationManager.getResource(OwnTransactions.unproxied(dataSource)));
    }

    static void mark(Object holder) {
        Set<Object> ending = ENDING.get();
        if (ending == null) {
            ending = Collections.newSetFromMap(new IdentityHashMap<>(2));
            ENDING.set(ending);
        }
        ending.add(holder);
    }

    static void unmark(Object holder) {
        Set<Object> ending = ENDING.get();
        if (ending != null) {
            ending.remove(holder);
            if (ending.isEmpty()) {
                ENDING.remove();
            }
        }
    }
}
