package dev.quark.jobs.store.jdbc;

import java.time.Clock;
import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.WorkflowStore;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.testkit.jobs.WorkflowStoreContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

class JdbcWorkflowStoreTests extends WorkflowStoreContractTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcWorkflowStore store;

    private static JdbcJobStore jobs;

    private static JdbcLeaseStore leases;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcWorkflowStoreTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(12);
        JdbcLeaseStore.migration(PREFIX).apply(dataSource);
        JdbcJobStore.migration(PREFIX).apply(dataSource);
        store = new JdbcWorkflowStore(dataSource, PREFIX);
        jobs = new JdbcJobStore(dataSource, PREFIX);
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
    protected WorkflowStore workflowStore() {
        return store;
    }

    @Override
    protected JobStore jobStore() {
        return jobs;
    }

    @Override
    protected LeaseStore leaseStore() {
        return leases;
    }

    @Test
    void theChangelogCreatesTheDocumentedTable() {
        assertThat(store.table()).isEqualTo("quark_job_workflow");
        List<String> columns = JdbcClient.create(dataSource)
            .sql("select column_name || ' ' || data_type from information_schema.columns "
                    + "where table_schema = current_schema() and table_name = 'quark_job_workflow' order by ordinal_position")
            .query(String.class)
            .list();
        assertThat(columns).containsExactly("id uuid", "name character varying", "status character varying",
                "active boolean", "version bigint", "document text", "created_at timestamp with time zone",
                "updated_at timestamp with time zone");
    }
}
