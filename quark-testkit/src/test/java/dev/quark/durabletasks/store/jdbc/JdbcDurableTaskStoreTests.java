package dev.quark.durabletasks.store.jdbc;

import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.jdbc.TablePrefix;
import dev.quark.testkit.durabletasks.DurableTaskStoreContractTests;
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
