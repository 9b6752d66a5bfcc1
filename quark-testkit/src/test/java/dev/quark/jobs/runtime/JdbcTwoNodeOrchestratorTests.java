package dev.quark.jobs.runtime;

import java.time.Clock;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.jdbc.JdbcJobStore;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.jdbc.core.simple.JdbcClient;

class JdbcTwoNodeOrchestratorTests extends TwoNodeOrchestratorTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcJobStore store;

    private static JdbcLeaseStore leases;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcTwoNodeOrchestratorTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(16);
        JdbcLeaseStore.migration(PREFIX).apply(dataSource);
        JdbcJobStore.migration(PREFIX).apply(dataSource);
        store = new JdbcJobStore(dataSource, PREFIX);
        leases = new JdbcLeaseStore(dataSource, PREFIX, Clock.systemUTC());
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
    protected JobStore store() {
        return store;
    }

    @Override
    protected LeaseStore leases() {
        return store.leaseStore().orElseThrow();
    }

    @Override
    protected void expireLease(String resource) {
        JdbcClient.create(dataSource)
            .sql("update quark_job set lease_expires_at = clock_timestamp() - interval '1 millisecond' where id = ?::uuid")
            .param(JobLeases.jobId(resource).toString())
            .update();
    }

    @Override
    protected long heldJobLeases() {
        return JdbcClient.create(dataSource)
            .sql("select count(*) from quark_job where lease_expires_at > clock_timestamp()")
            .query(Long.class)
            .single();
    }
}
