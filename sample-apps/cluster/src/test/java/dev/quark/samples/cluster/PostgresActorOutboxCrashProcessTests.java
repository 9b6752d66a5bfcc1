package dev.quark.samples.cluster;

import java.sql.SQLException;

/**
 * {@link ActorOutboxCrashProcessTests} on PostgreSQL (the sample's {@code postgres} profile): membership, balances,
 * ledgers (event store), the outbox and its partition leases in a schema of this run alone, which the silos' Liquibase
 * changelogs fill at start-up and which is dropped afterwards. An account's debit and its messages are one
 * transaction ({@code StateOutbox}). The test reads the outbox's table ({@link PostgresOutboxView}).
 * <p>
 * Needs PostgreSQL ({@code QUARK_TEST_POSTGRES_URL}, else Testcontainers or an embedded server); without one the
 * tests are skipped, and with {@code CI=true} they fail ({@link PostgresSiloBackend}).
 */
class PostgresActorOutboxCrashProcessTests extends ActorOutboxCrashProcessTests<PostgresSiloBackend> {

    @Override
    protected PostgresSiloBackend startBackend() {
        return PostgresSiloBackend.start(PostgresActorOutboxCrashProcessTests.class);
    }

    @Override
    protected OutboxView openOutboxView(PostgresSiloBackend backend) throws SQLException {
        return new PostgresOutboxView(backend.jdbcUrl());
    }
}
