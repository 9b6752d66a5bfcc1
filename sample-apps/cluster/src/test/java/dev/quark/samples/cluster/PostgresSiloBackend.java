package dev.quark.samples.cluster;

import java.util.List;

import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;

/**
 * PostgreSQL in a schema of one test class's run, which the silos' Liquibase changelogs fill at start-up (the sample's
 * {@code postgres} profile) and which is dropped at {@link #close()}.
 * <p>
 * Needs PostgreSQL ({@code QUARK_TEST_POSTGRES_URL}, else Testcontainers or an embedded server); without one the test
 * is skipped, and with {@code CI=true} it fails ({@link PostgresTestServer#get()}).
 */
final class PostgresSiloBackend implements SiloBackend {

    private final PostgresTestSchema schema;

    private PostgresSiloBackend(PostgresTestSchema schema) {
        this.schema = schema;
    }

    /**
     * Creates a schema for a run of the given test class.
     * @param test the test class, which names the schema
     * @return the backend
     */
    static PostgresSiloBackend start(Class<?> test) {
        return new PostgresSiloBackend(PostgresTestServer.get().createSchema(test));
    }

    String jdbcUrl() {
        return this.schema.jdbcUrl();
    }

    @Override
    public List<String> siloProperties() {
        return List.of("spring.profiles.active=postgres", "spring.datasource.url=" + this.schema.jdbcUrl());
    }

    @Override
    public void close() {
        this.schema.close();
    }
}
