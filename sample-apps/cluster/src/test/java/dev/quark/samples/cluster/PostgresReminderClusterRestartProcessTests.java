package dev.quark.samples.cluster;

import java.util.List;

import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.jspecify.annotations.Nullable;

/**
 * {@link ReminderClusterRestartProcessTests} on PostgreSQL (the sample's {@code postgres} profile): membership, actor state, the
 * reminder table ({@code JdbcReminderTable}: its bucket stamps and row locks across processes) and the reminders'
 * bucket leases in a schema of this run alone, which the silos' Liquibase changelogs fill at start-up and which is
 * dropped afterwards.
 * <p>
 * Needs PostgreSQL ({@code QUARK_TEST_POSTGRES_URL}, else Testcontainers or an embedded server); without one the
 * tests are skipped, and with {@code CI=true} they fail ({@link PostgresTestServer#get()}).
 */
class PostgresReminderClusterRestartProcessTests extends ReminderClusterRestartProcessTests {

    private @Nullable PostgresTestSchema schema;

    @Override
    protected List<String> startBackend() {
        PostgresTestSchema created = PostgresTestServer.get().createSchema(PostgresReminderClusterRestartProcessTests.class);
        this.schema = created;
        return List.of("spring.profiles.active=postgres", "spring.datasource.url=" + created.jdbcUrl());
    }

    @Override
    protected void stopBackend() {
        if (this.schema != null) {
            this.schema.close();
        }
    }
}
