package dev.quark.jobs.store.jdbc;

import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.RecurringJobStore;
import dev.quark.testkit.jobs.RecurringJobStoreContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

class JdbcRecurringJobStoreTests extends RecurringJobStoreContractTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcRecurringJobStore store;

    private static JdbcJobStore jobs;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcRecurringJobStoreTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(12);
        JdbcJobStore.migration(PREFIX).apply(dataSource);
        store = new JdbcRecurringJobStore(dataSource, PREFIX);
        jobs = new JdbcJobStore(dataSource, PREFIX);
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
    protected RecurringJobStore recurringStore() {
        return store;
    }

    @Override
    protected JobStore jobStore() {
        return jobs;
    }

    @Test
    void theChangelogCreatesTheDocumentedTable() {
        assertThat(store.table()).isEqualTo("quark_recurring_job");
        List<String> columns = JdbcClient.create(dataSource)
            .sql("select column_name || ' ' || data_type from information_schema.columns "
                    + "where table_schema = current_schema() and table_name = 'quark_recurring_job' order by ordinal_position")
            .query(String.class)
            .list();
        assertThat(columns).containsExactly("id character varying", "type character varying", "payload text",
                "schedule text", "misfire_policy character varying", "next_run_at timestamp with time zone",
                "overlap_policy character varying", "origin character varying", "last_job_id uuid");
    }
}
