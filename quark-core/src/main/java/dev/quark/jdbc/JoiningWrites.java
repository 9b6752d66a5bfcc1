package dev.quark.jdbc;

import java.util.Objects;
import java.util.function.Function;

import javax.sql.DataSource;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Runs a store's writes where its callers expect them: through a {@code JdbcClient} on the {@code DataSource}, which
 * joins the caller's Spring transaction when one is bound and commits each statement on its own otherwise; except
 * while the bound connection is that of a transaction ending on this thread ({@link EndingTransactions}: an
 * {@code afterCompletion} callback, an {@code AFTER_COMMIT} or {@code AFTER_ROLLBACK} listener). Then the write runs on
 * a connection of the store's own ({@link OwnTransactions}), in a transaction of its own committed before the call
 * returns, so that a pool handing out connections with auto-commit off does not roll it back with the finished
 * transaction.
 */
public final class JoiningWrites {

    private final DataSource dataSource;

    private final JdbcClient joining;

    private final OwnTransactions own;

    /**
     * Creates the writes of a store with a view of the database of their own.
     * @param dataSource the database, usually the application's
     */
    public JoiningWrites(DataSource dataSource) {
        this(dataSource, new OwnTransactions(dataSource));
    }

    /**
     * Creates the writes of a store that already has its own view of the database (its own transactions then nest).
     * @param dataSource the database, usually the application's
     * @param own the store's own view of it
     */
    public JoiningWrites(DataSource dataSource, OwnTransactions own) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.own = Objects.requireNonNull(own, "own must not be null");
        this.joining = JdbcClient.create(dataSource);
    }

    /**
     * Returns the client whose statements join the caller's transaction: for reads, and for writes that must not
     * leave it even while it ends.
     * @return the joining client
     */
    public JdbcClient jdbc() {
        return this.joining;
    }

    /**
     * Runs a write through the joining client, or, while the bound connection belongs to a transaction ending on this
     * thread, through the store's own client in a transaction of its own.
     * @param <T> the result's type
     * @param write the write, given the client to use; it must not return {@code null}
     * @return what the write returned
     */
    public <T> T apply(Function<JdbcClient, T> write) {
        Objects.requireNonNull(write, "write must not be null");
        if (EndingTransactions.endingOn(this.dataSource)) {
            return Objects.requireNonNull(this.own.transactions().execute((status) -> write.apply(this.own.jdbc())),
                    "the write returned null");
        }
        return write.apply(this.joining);
    }
}
