package dev.quark.durabletasks.store.jdbc;

import java.time.Clock;

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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Orchestrations on PostgreSQL, with their leases on the instance and activity rows ({@code rowLeases()}): they
 * expire on the server's clock, so a test expires a crashed worker's lease by setting its expiry in the past.
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
    protected void awaitExpiry(String resource) {
        Row row = Row.of(resource);
        JdbcClient.create(dataSource)
            .sql("update " + row.table() + " set lease_expires_at = clock_timestamp() - interval '1 millisecond' "
                    + "where " + row.key() + " = ? and lease_expires_at is not null")
            .param(row.id())
            .update();
        assertThat(isLeased(resource)).as("a lease on " + resource).isFalse();
    }

    @Override
    protected boolean isLeased(String resource) {
        Row row = Row.of(resource);
        return JdbcClient.create(dataSource)
            .sql("select count(*) from " + row.table() + " where " + row.key()
                    + " = ? and lease_expires_at > clock_timestamp()")
            .param(row.id())
            .query(Long.class)
            .single() > 0;
    }

    /** The row a resource's lease is kept on. */
    private record Row(String table, String key, String id) {

        static Row of(String resource) {
            String activities = DurableTaskResources.activity("");
            if (resource.startsWith(activities)) {
                return new Row(PREFIX.table("durable_activity"), "id", resource.substring(activities.length()));
            }
            return new Row(PREFIX.table("durable_instance"), "instance_id",
                    resource.substring(DurableTaskResources.instance("").length()));
        }
    }
}
