package dev.quark.autoconfigure.cluster;

import java.util.List;

import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Configuration;

/**
 * Contexts of a cluster on one reminder table, and the bucket leases, on a real PostgreSQL
 * ({@code quark.reminders.backend=postgres}; the area's changelog creates the tables).
 */
class PostgresRemindersAcrossContextsIntegrationTests extends RemindersAcrossContextsScenarios {

    private static @Nullable PostgresTestSchema schema;

    @BeforeAll
    static void start() {
        schema = PostgresTestServer.get().createSchema(PostgresRemindersAcrossContextsIntegrationTests.class);
    }

    @AfterAll
    static void stop() {
        if (schema != null) {
            schema.close();
        }
    }

    @Override
    Class<?> backendConfiguration() {
        return PostgresConfiguration.class;
    }

    @Override
    List<String> backendProperties() {
        PostgresTestSchema database = schema;
        if (database == null) {
            throw new IllegalStateException("PostgreSQL test schema not created");
        }
        return List.of("quark.reminders.backend=postgres", "spring.datasource.url=" + database.jdbcUrl(),
                "spring.datasource.hikari.maximum-pool-size=6");
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(DataSourceAutoConfiguration.class)
    static class PostgresConfiguration {

    }
}
