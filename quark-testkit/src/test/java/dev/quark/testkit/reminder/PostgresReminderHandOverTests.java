package dev.quark.testkit.reminder;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.TablePrefix;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.jdbc.JdbcReminderTable;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Reminder hand-over on a {@link JdbcReminderTable} of the test server ({@code QUARK_TEST_POSTGRES_URL}), in a
 * schema of its own, its tables created once by the table's Liquibase migration and emptied before each test (a
 * migration per test costs seconds). Its connections commit without waiting for the WAL flush
 * ({@code synchronous_commit} off): no test here survives a server crash, what others see of a commit is unchanged,
 * and the 1,000-reminder case's thousands of small commits take half the time on a busy machine.
 */
class PostgresReminderHandOverTests extends ReminderHandOverTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(PostgresReminderHandOverTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(10);
        dataSource.setConnectionInitSql("set synchronous_commit to off");
        JdbcReminderTable.migration(PREFIX).apply(dataSource);
    }

    @AfterAll
    static void disconnect() {
        if (dataSource != null) {
            dataSource.close();
        }
        if (schema != null) {
            schema.close();
        }
    }

    @Override
    protected ReminderTable table(Clock clock) {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("truncate " + PREFIX.table("reminders") + ", " + PREFIX.table("reminder_buckets") + ", "
                    + PREFIX.table("reminder_versions") + ", " + PREFIX.table("reminder_changes"));
        }
        catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
        return new JdbcReminderTable(dataSource, PREFIX, clock);
    }
}
