package dev.quark.samples.cluster;

/**
 * {@link ReminderProcessTests} on PostgreSQL (the sample's {@code postgres} profile): membership, actor state, the
 * reminder table ({@code JdbcReminderTable}: its bucket stamps and row locks across processes) and the reminders'
 * bucket leases in a schema of this run alone, which the silos' Liquibase changelogs fill at start-up and which is
 * dropped afterwards.
 * <p>
 * Needs PostgreSQL ({@code QUARK_TEST_POSTGRES_URL}, else Testcontainers or an embedded server); without one the
 * tests are skipped, and with {@code CI=true} they fail ({@link PostgresSiloBackend}).
 */
class PostgresReminderProcessTests extends ReminderProcessTests {

    @Override
    protected SiloBackend startBackend() {
        return PostgresSiloBackend.start(PostgresReminderProcessTests.class);
    }
}
