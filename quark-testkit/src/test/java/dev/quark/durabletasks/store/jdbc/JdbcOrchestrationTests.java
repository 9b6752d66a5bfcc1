package dev.quark.durabletasks.store.jdbc;

import java.time.Clock;
import java.time.Duration;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.testkit.durabletasks.OrchestrationContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import static org.awaitility.Awaitility.await;

/**
 * Orchestrations on PostgreSQL, with their leases in the same database: leases expire on the server's clock, so a
 * crashed worker's work is taken over after a real wait of the lease duration.
 */
class JdbcOrchestrationTests extends OrchestrationContractTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcDurableTaskStore store;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcOrchestrationTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(20);
        JdbcLeaseStore.migration(PREFIX).apply(dataSource);
        JdbcDurableTaskStore.migration(PREFIX).apply(dataSource);
        store = new JdbcDurableTaskStore(dataSource, PREFIX);
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
    protected DurableTaskStore store() {
        return store;
    }

    @Override
    protected LeaseStore leaseStore(Clock clock) {
        return new JdbcLeaseStore(dataSource, PREFIX, clock);
    }

    @Override
    protected Duration leaseDuration() {
        return Duration.ofSeconds(5);
    }

    @Override
    protected void awaitExpiry(String resource) {
        LeaseStore leases = leaseStore(Clock.systemUTC());
        await("expiry of the lease on " + resource).atMost(leaseDuration().plusSeconds(15))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> leases.holder(resource).isEmpty());
    }
}
