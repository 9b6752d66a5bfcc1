package dev.quark.autoconfigure.reminders;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.health.QuarkRemindersHealthContributorAutoConfiguration;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.jdbc.JdbcReminderTable;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Reminders on a real PostgreSQL, as an application gets them through {@code quark.backend=postgres}: the
 * area's changelog creates the table at start-up.
 */
class PostgresRemindersIntegrationTests extends RemindersRestartScenarios {

    private static PostgresTestSchema schema;

    @BeforeAll
    static void start() {
        schema = PostgresTestServer.get().createSchema(PostgresRemindersIntegrationTests.class);
    }

    @AfterAll
    static void stop() {
        if (schema != null) {
            schema.close();
        }
    }

    @Override
    ApplicationContextRunner contextRunner() {
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, QuarkActorsAutoConfiguration.class,
                    QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class, QuarkRemindersAutoConfiguration.class,
                    QuarkRemindersHealthContributorAutoConfiguration.class))
            .withUserConfiguration(AlarmApplication.class)
            .withPropertyValues("quark.backend=postgres", "spring.datasource.url=" + schema.jdbcUrl(),
                    "spring.datasource.hikari.maximum-pool-size=4");
    }

    @Override
    Class<? extends ReminderTable> tableType() {
        return JdbcReminderTable.class;
    }
}
