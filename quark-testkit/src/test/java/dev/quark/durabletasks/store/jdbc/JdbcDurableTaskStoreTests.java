package dev.quark.durabletasks.store.jdbc;

import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.NewInstance;
import dev.quark.jdbc.TablePrefix;
import dev.quark.testkit.durabletasks.DurableTaskStoreContractTests;
import dev.quark.testkit.server.BoundCallerTransaction;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

class JdbcDurableTaskStoreTests extends DurableTaskStoreContractTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcDurableTaskStore store;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcDurableTaskStoreTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(10);
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

    /**
     * JPA's and Hibernate's managers bind their connection without marking it as a JDBC transaction: the store's
     * private DataSourceTransactionManager took that connection over and committed the caller's work with its own.
     */
    @Test
    void aScheduleInsideAJpaStyleTransactionCommitsOnItsOwnAndLeavesTheCallersWorkUncommitted() throws Exception {
        JdbcClient jdbc = JdbcClient.create(dataSource);
        jdbc.sql("create table if not exists caller_record (id text primary key)").update();
        String id = newInstanceId("jpa");
        try (BoundCallerTransaction caller = BoundCallerTransaction.begin(dataSource)) {
            caller.execute("insert into caller_record (id) values ('" + id + "')");
            assertThat(store.create(new NewInstance(id, "order", null, null, NOW, NOW))).isEmpty();
            assertThat(caller.connection().getAutoCommit()).isFalse();
        }
        assertThat(jdbc.sql("select count(*) from caller_record where id = ?").param(id).query(Long.class).single())
            .as("the caller's rolled-back row").isZero();
        assertThat(store.instance(id)).as("the store's own write").isPresent();
    }

    @Test
    void theChangelogCreatesTheDocumentedTables() {
        assertThat(store.tables()).containsExactly("quark_durable_instance", "quark_durable_history",
                "quark_durable_message", "quark_durable_activity");
        List<String> tables = JdbcClient.create(dataSource)
            .sql("select table_name from information_schema.tables where table_schema = current_schema() "
                    + "and table_name like 'quark_durable%' order by table_name")
            .query(String.class)
            .list();
        assertThat(tables).containsExactly("quark_durable_activity", "quark_durable_history", "quark_durable_instance",
                "quark_durable_message");
    }

    @Test
    void applyingTheChangelogAgainChangesNothingAndAnotherPrefixGetsItsOwnTables() {
        String id = runningInstance("kept");
        JdbcDurableTaskStore.migration(PREFIX).apply(dataSource);
        assertThat(store.instance(id)).isPresent();
        TablePrefix other = new TablePrefix("other_");
        JdbcDurableTaskStore.migration(other).apply(dataSource);
        JdbcDurableTaskStore otherStore = new JdbcDurableTaskStore(dataSource, other);
        assertThat(otherStore.tables()).first().isEqualTo("other_durable_instance");
        assertThat(otherStore.instance(id)).isEmpty();
    }
}
