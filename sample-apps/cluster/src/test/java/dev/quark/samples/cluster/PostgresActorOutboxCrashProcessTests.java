package dev.quark.samples.cluster;

import java.sql.SQLException;
import java.util.List;

import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.jspecify.annotations.Nullable;

/**
 * {@link ActorOutboxCrashProcessTests} on PostgreSQL (the sample's {@code postgres} profile): membership, balances,
 * ledgers (event store), the outbox and its partition leases in a schema of this run alone, which the silos' Liquibase
 * changelogs fill at start-up and which is dropped afterwards. An account's debit and its messages are one
 * transaction ({@code StateOutbox}). The test reads the outbox's table ({@link PostgresOutboxView}).
 * <p>
 * Needs PostgreSQL ({@code QUARK_TEST_POSTGRES_URL}, else Testcontainers or an embedded server); without one the
 * tests are skipped, and with {@code CI=true} they fail ({@link PostgresTestServer#get()}).
 */
class PostgresActorOutboxCrashProcessTests extends ActorOutboxCrashProcessTests {

    private @Nullable PostgresTestSchema schema;

    @Override
    protected List<String> startBackend() {
        PostgresTestSchema created = PostgresTestServer.get().createSchema(PostgresActorOutboxCrashProcessTests.class);
        this.schema = created;
        return List.of("spring.profiles.active=postgres", "spring.datasource.url=" + created.jdbcUrl());
    }

    @Override
    protected OutboxView openOutboxView() throws SQLException {
        PostgresTestSchema created = this.schema;
        if (created == null) {
            throw new IllegalStateException("The schema was not created");
        }
        return new PostgresOutboxView(created.jdbcUrl());
    }

    @Override
    protected void stopBackend() {
        if (this.schema != null) {
            this.schema.close();
        }
    }
}
