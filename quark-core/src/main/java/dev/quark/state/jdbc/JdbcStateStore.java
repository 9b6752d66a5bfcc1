package dev.quark.state.jdbc;

import java.util.Objects;
import java.util.Optional;

import javax.sql.DataSource;

import dev.quark.jdbc.LiquibaseMigration;
import dev.quark.jdbc.CallerTransactions;
import dev.quark.jdbc.TablePrefix;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.StateKey;
import dev.quark.state.StateStore;
import dev.quark.state.StateWriteAttachment;
import dev.quark.state.StoredState;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Keeps states in a PostgreSQL table, one row per state:
 * <pre>
 * {prefix}actor_state (actor_type, actor_id, state_name) primary key, payload text, version bigint, updated_at
 * </pre>
 * created by the Liquibase changelog {@value #CHANGELOG}. The first save inserts with
 * {@code ON CONFLICT DO NOTHING}, so of two racing creators exactly one inserts; later saves run
 * {@code UPDATE ... WHERE version = ?}; deletes are conditional the same way. A save or delete runs in the
 * caller's transaction when there is one (Spring-managed) under a savepoint, so that its failure leaves the caller's
 * transaction usable and without its statements; otherwise each statement runs on its own. A save with a
 * {@link JdbcStateAttachment} (for instance outbox messages) writes the row and the attachment in one transaction:
 * the caller's when one holds this store's {@code DataSource}, else its own.
 */
public class JdbcStateStore implements StateStore {

    /** The class path location of the Liquibase changelog that creates the table. */
    public static final String CHANGELOG = "db/changelog/quark/state.xml";

    /** How often a write retries when the row it conflicted with vanished before its version could be read. */
    private static final int ATTEMPTS = 3;

    private final DataSource dataSource;

    private final CallerTransactions transactions;

    private final JdbcClient jdbc;

    private final String table;

    private final String select;

    private final String insert;

    private final String update;

    private final String delete;

    /**
     * Creates a store.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table name, for instance {@code quark_}
     */
    public JdbcStateStore(DataSource dataSource, TablePrefix tablePrefix) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.transactions = new CallerTransactions(dataSource);
        this.jdbc = JdbcClient.create(dataSource);
        this.table = tablePrefix.table("actor_state");
        String key = " where actor_type = ? and actor_id = ? and state_name = ?";
        this.select = "select payload, version from " + this.table + key;
        this.insert = "insert into " + this.table + " (actor_type, actor_id, state_name, payload, version) "
                + "values (?, ?, ?, ?, 1) on conflict (actor_type, actor_id, state_name) do nothing";
        this.update = "update " + this.table + " set payload = ?, version = version + 1, updated_at = now()" + key
                + " and version = ?";
        this.delete = "delete from " + this.table + key + " and version = ?";
    }

    /**
     * Returns the migration that creates this store's table.
     * @param tablePrefix the table prefix
     * @return the migration
     */
    public static LiquibaseMigration migration(TablePrefix tablePrefix) {
        return new LiquibaseMigration(CHANGELOG, tablePrefix);
    }

    /**
     * Returns the name of the table.
     * @return the table name, with its prefix
     */
    public String table() {
        return this.table;
    }

    @Override
    public Optional<StoredState> load(StateKey key) {
        return this.jdbc.sql(this.select)
            .params(key.actorType(), key.actorId(), key.name())
            .query((row, number) -> new StoredState(row.getString(1), row.getLong(2)))
            .optional();
    }

    /**
     * Saves a state; in a caller's transaction, under a savepoint, so that a failure (a conflict, a statement the
     * database refuses) leaves the caller's transaction usable and without this save's statements.
     */
    @Override
    public long save(StateKey key, String payload, long expectedVersion) {
        return this.transactions.withSavepoint(() -> saveRow(key, payload, expectedVersion));
    }

    private long saveRow(StateKey key, String payload, long expectedVersion) {
        for (int attempt = 1;; attempt++) {
            int rows = (expectedVersion == 0)
                    ? this.jdbc.sql(this.insert).params(key.actorType(), key.actorId(), key.name(), payload).update()
                    : this.jdbc.sql(this.update)
                        .params(payload, key.actorType(), key.actorId(), key.name(), expectedVersion)
                        .update();
            if (rows == 1) {
                return expectedVersion + 1;
            }
            long actual = currentVersion(key);
            if (actual != expectedVersion || attempt == ATTEMPTS) {
                throw new ConcurrencyException(key, expectedVersion, actual);
            }
        }
    }

    /**
     * Saves a state and makes the attached writes in one transaction when the attachment is a
     * {@link JdbcStateAttachment} on this store's {@code DataSource}: the caller's transaction when one holds the
     * {@code DataSource} (a JPA or JDBC transaction manager's), else one of its own.
     */
    @Override
    public long save(StateKey key, String payload, long expectedVersion, StateWriteAttachment attachment) {
        if (!(attachment instanceof JdbcStateAttachment attached)) {
            return StateStore.super.save(key, payload, expectedVersion, attachment);
        }
        if (attached.dataSource() != this.dataSource) {
            throw new UnsupportedOperationException("State " + key + " is kept by " + this + " on another DataSource "
                    + "than the one of " + attachment.description() + "; both must use the same");
        }
        return this.transactions.execute(() -> {
            long saved = saveRow(key, payload, expectedVersion);
            attached.write();
            return saved;
        });
    }

    @Override
    public void delete(StateKey key, long expectedVersion) {
        this.transactions.withSavepoint(() -> {
            deleteRow(key, expectedVersion);
            return null;
        });
    }

    private void deleteRow(StateKey key, long expectedVersion) {
        for (int attempt = 1;; attempt++) {
            if (expectedVersion != 0) {
                int rows = this.jdbc.sql(this.delete)
                    .params(key.actorType(), key.actorId(), key.name(), expectedVersion)
                    .update();
                if (rows == 1) {
                    return;
                }
            }
            long actual = currentVersion(key);
            if (expectedVersion == 0 && actual == 0) {
                return;
            }
            if (actual != expectedVersion || attempt == ATTEMPTS) {
                throw new ConcurrencyException(key, expectedVersion, actual);
            }
        }
    }

    private long currentVersion(StateKey key) {
        return load(key).map(StoredState::version).orElse(0L);
    }

    @Override
    public String toString() {
        return "JdbcStateStore[table " + this.table + "]";
    }
}
