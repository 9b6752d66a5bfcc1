package dev.quark.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

import javax.sql.DataSource;

import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.Scope;
import liquibase.analytics.configuration.AnalyticsArgs;
import liquibase.changelog.FastCheckService;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.ui.LoggerUIService;

/**
 * Applies one of the Liquibase changelogs Quark ships in its jars (under {@code db/changelog/quark/}) to a
 * database, with Liquibase's own bookkeeping: the changesets are recorded in the database's
 * {@code DATABASECHANGELOG} table like the application's, and run once. Quark runs it at start-up when
 * {@code quark.postgres.initialize-schema} is on; it is not a Spring {@code SpringLiquibase} bean, so it
 * never stands in for the application's own Liquibase migration.
 * <p>
 * On PostgreSQL the update runs under a session-level advisory lock: Liquibase's own lock lives in a table that
 * it first has to create, and two instances of an application starting together on an empty schema raced to
 * create it (one failed with a duplicate key in {@code pg_type}). The lock is released when the update ends, or
 * by the server when the connection dies.
 */
public final class LiquibaseMigration {

    /** The changelog parameter that holds the {@link TablePrefix}. */
    public static final String TABLE_PREFIX_PARAMETER = "quarkTablePrefix";

    /** The advisory lock key every Quark migration takes on PostgreSQL ({@code "quark-lq"} in ASCII). */
    private static final long ADVISORY_LOCK_KEY = 0x717561726b2d6c71L;

    private final String changelog;

    private final Map<String, String> parameters;

    /**
     * Prepares a migration.
     * @param changelog the changelog's class path location, for instance {@code db/changelog/quark/state.xml}
     * @param tablePrefix the prefix of the tables it creates
     */
    public LiquibaseMigration(String changelog, TablePrefix tablePrefix) {
        this.changelog = Objects.requireNonNull(changelog, "changelog must not be null");
        this.parameters = Map.of(TABLE_PREFIX_PARAMETER, tablePrefix.value());
    }

    /**
     * Applies the changesets that have not run yet, in the schema the data source's connections use.
     * @param dataSource the database
     * @throws IllegalStateException naming the changelog when the migration fails
     */
    public void apply(DataSource dataSource) {
        Map<String, Object> scope = new HashMap<>();
        scope.put(Scope.Attr.ui.name(), new LoggerUIService());
        scope.put(AnalyticsArgs.ENABLED.getKey(), false);
        scope.put(Scope.Attr.resourceAccessor.name(), new ClassLoaderResourceAccessor(classLoader()));
        try {
            Scope.child(scope, () -> update(dataSource));
        }
        catch (Exception ex) {
            throw new IllegalStateException("Liquibase changelog " + this.changelog + " could not be applied: " + ex.getMessage(), ex);
        }
    }

    private void update(DataSource dataSource) throws Exception {
        try (Connection connection = dataSource.getConnection()) {
            Database database = DatabaseFactory.getInstance()
                .findCorrectDatabaseImplementation(new JdbcConnection(connection));
            // Liquibase remembers per database URL and changelog path that a changelog is up to date, whatever its
            // parameters: without clearing, applying it with another table prefix in the same JVM would do nothing.
            Scope.getCurrentScope().getSingleton(FastCheckService.class).clearCache();
            Liquibase liquibase = new Liquibase(this.changelog, Scope.getCurrentScope().getResourceAccessor(), database);
            this.parameters.forEach(liquibase::setChangeLogParameter);
            boolean postgres = "PostgreSQL".equals(connection.getMetaData().getDatabaseProductName());
            if (postgres) {
                advisoryLock(connection, "pg_advisory_lock");
            }
            try {
                liquibase.update(new Contexts(), new LabelExpression());
            }
            catch (Exception ex) {
                if (postgres) {
                    unlockAfter(connection, ex);
                }
                throw ex;
            }
            if (postgres) {
                advisoryLock(connection, "pg_advisory_unlock");
            }
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Cannot connect to the database: " + ex.getMessage(), ex);
        }
    }

    private static void advisoryLock(Connection connection, String function) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("select " + function + "(?)")) {
            statement.setLong(1, ADVISORY_LOCK_KEY);
            statement.execute();
        }
    }

    /**
     * Releases the advisory lock after a failed update, whose connection may be left in an aborted transaction: a
     * pooled connection keeps its session, and with it the lock, when it goes back to the pool.
     */
    private static void unlockAfter(Connection connection, Exception failure) {
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
            advisoryLock(connection, "pg_advisory_unlock");
        }
        catch (SQLException ex) {
            failure.addSuppressed(ex);
        }
    }

    private static ClassLoader classLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return (context != null) ? context : LiquibaseMigration.class.getClassLoader();
    }

    @Override
    public String toString() {
        return "LiquibaseMigration[" + this.changelog + ", " + this.parameters + "]";
    }
}
