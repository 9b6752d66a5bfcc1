package dev.quark.testkit.reminder;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.TablePrefix;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.jdbc.JdbcReminderTable;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A full cluster restart on a {@link JdbcReminderTable} of the test server ({@code QUARK_TEST_POSTGRES_URL}), in a
 * schema of its own: the bucket stamps and row locks of the new silos over the rows the stopped ones wrote.
 */
class PostgresReminderClusterRestartTests extends ReminderClusterRestartTests {

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(PostgresReminderClusterRestartTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(10);
        JdbcReminderTable.migration(new TablePrefix(TablePrefix.DEFAULT)).apply(dataSource);
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
    protected ReminderTable table() {
        return new JdbcReminderTable(dataSource, new TablePrefix(TablePrefix.DEFAULT));
    }
}
