package dev.quark.durabletasks.store.jdbc;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.durabletasks.store.DurableTaskResources;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.testkit.durabletasks.OrchestrationContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Orchestrations on PostgreSQL, with their leases on the instance and activity rows ({@code rowLeases()}): they
 * expire on the workers' clock, the test's manual clock, so a crashed worker's work is taken over once the clock
 * moved past the lease duration.
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
    protected boolean isLeased(String resource) {
        boolean isActivity = resource.startsWith(DurableTaskResources.activity(""));
        String id = resource.substring(
                (isActivity ? DurableTaskResources.activity("") : DurableTaskResources.instance("")).length());
        return JdbcClient.create(dataSource)
            .sql(isActivity ? "select count(*) from quark_durable_activity where id = ? and lease_expires_at > ?"
                    : "select count(*) from quark_durable_instance where instance_id = ? and lease_expires_at > ?")
            .params(id, OffsetDateTime.ofInstant(this.clock.instant(), ZoneOffset.UTC))
            .query(Long.class)
            .single() > 0;
    }
}
