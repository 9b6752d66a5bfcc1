package dev.quark.jobs.store.jdbc;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.EndingTransactionMarker;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.MisfirePolicy;
import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.Schedule;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.RecurringJobStore;
import dev.quark.testkit.jobs.RecurringJobStoreContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

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

    @Test
    void savesAndDeletesAfterTheCommitAreStoredWhenThePoolHandsOutConnectionsWithAutoCommitOff() {
        try (HikariDataSource manualCommit = new HikariDataSource()) {
            manualCommit.setJdbcUrl(schema.jdbcUrl());
            manualCommit.setMaximumPoolSize(3);
            manualCommit.setAutoCommit(false);
            JdbcRecurringJobStore manualStore = new JdbcRecurringJobStore(manualCommit, PREFIX);
            DataSourceTransactionManager manager = new DataSourceTransactionManager(manualCommit);
            manager.addListener(new EndingTransactionMarker());
            Instant next = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MICROS);
            String saved = "ending-save-" + System.nanoTime();
            String deleted = "ending-delete-" + System.nanoTime();
            store.save(new RecurringJob(deleted, "tick", "{}", Schedule.every(Duration.ofMinutes(1)),
                    MisfirePolicy.RUN_ONCE, next));
            new TransactionTemplate(manager).executeWithoutResult((status) -> TransactionSynchronizationManager
                .registerSynchronization(new TransactionSynchronization() {
                    @Override
                    public void afterCompletion(int completion) {
                        manualStore.save(new RecurringJob(saved, "tick", "{}",
                                Schedule.every(Duration.ofMinutes(1)), MisfirePolicy.RUN_ONCE, next));
                        manualStore.delete(deleted);
                    }
                }));
            assertThat(store.find(saved)).as("saved on a connection of its own").isPresent();
            assertThat(store.find(deleted)).as("deleted on a connection of its own").isEmpty();
        }
    }
}
