package dev.quark.state.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.EndingTransactionMarker;
import dev.quark.jdbc.TablePrefix;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.StateKey;
import dev.quark.state.StateStore;
import dev.quark.state.StoredState;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.state.StateStoreContractTests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import org.springframework.context.ApplicationListener;
import org.springframework.context.PayloadApplicationEvent;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalApplicationListener;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class JdbcStateStoreTests extends StateStoreContractTests {

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcStateStore store;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcStateStoreTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(10);
        JdbcStateStore.migration(new TablePrefix(TablePrefix.DEFAULT)).apply(dataSource);
        store = new JdbcStateStore(dataSource, new TablePrefix(TablePrefix.DEFAULT));
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
    protected StateStore store() {
        return store;
    }

    @Test
    void theChangelogCreatesTheDocumentedTable() {
        assertThat(store.table()).isEqualTo("quark_actor_state");
        List<String> columns = JdbcClient.create(dataSource)
            .sql("select column_name || ' ' || data_type || ' ' || is_nullable from information_schema.columns "
                    + "where table_schema = current_schema() and table_name = 'quark_actor_state' order by ordinal_position")
            .query(String.class)
            .list();
        assertThat(columns).containsExactly("actor_type character varying NO", "actor_id text NO",
                "state_name character varying NO", "payload text NO", "version bigint NO",
                "updated_at timestamp with time zone NO");
        List<String> key = JdbcClient.create(dataSource)
            .sql("select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) "
                    + "where i.indrelid = 'quark_actor_state'::regclass and i.indisprimary order by a.attname")
            .query(String.class)
            .list();
        assertThat(key).containsExactly("actor_id", "actor_type", "state_name");
    }

    @Test
    void eachStateIsOneRow() {
        StateKey key = newKey("profile");
        store.save(key, "{\"name\":\"Ada\"}", 0);
        store.save(key, "{\"name\":\"Grace\"}", 1);
        String row = JdbcClient.create(dataSource)
            .sql("select actor_type || '|' || actor_id || '|' || state_name || '|' || payload || '|' || version "
                    + "from quark_actor_state where actor_id = ?")
            .param(key.actorId())
            .query(String.class)
            .single();
        assertThat(row).isEqualTo(key.actorType() + "|" + key.actorId() + "|profile|{\"name\":\"Grace\"}|2");
    }

    @Test
    void applyingTheChangelogAgainChangesNothing() {
        StateKey key = newKey("kept");
        store.save(key, "{}", 0);
        JdbcStateStore.migration(new TablePrefix(TablePrefix.DEFAULT)).apply(dataSource);
        assertThat(store.load(key)).contains(new StoredState("{}", 1));
    }

    @Test
    void anotherTablePrefixGetsItsOwnTableInTheSameSchema() {
        TablePrefix other = new TablePrefix("other_");
        JdbcStateStore.migration(other).apply(dataSource);
        JdbcStateStore otherStore = new JdbcStateStore(dataSource, other);
        StateKey key = newKey("profile");
        otherStore.save(key, "{\"in\":\"other\"}", 0);
        assertThat(otherStore.table()).isEqualTo("other_actor_state");
        assertThat(otherStore.load(key)).contains(new StoredState("{\"in\":\"other\"}", 1));
        assertThat(store.load(key)).isEmpty();
        List<String> changesets = JdbcClient.create(dataSource)
            .sql("select id from databasechangelog where filename = 'db/changelog/quark/state.xml' order by id")
            .query(String.class)
            .list();
        assertThat(changesets).containsExactly("other_actor_state-1", "quark_actor_state-1");
    }

    @Test
    void savesAfterTheCommitAreStoredWhenThePoolHandsOutConnectionsWithAutoCommitOff() {
        try (HikariDataSource manualCommit = manualCommitPool()) {
            JdbcStateStore manualStore = new JdbcStateStore(manualCommit, new TablePrefix(TablePrefix.DEFAULT));
            DataSourceTransactionManager manager = new DataSourceTransactionManager(manualCommit);
            manager.addListener(new EndingTransactionMarker());
            TransactionTemplate transactions = new TransactionTemplate(manager);
            StateKey byListener = newKey("after-commit");
            StateKey withAttachedWrites = newKey("after-completion");
            JdbcStateAttachment attached = attachment(manualCommit);
            ApplicationListener<PayloadApplicationEvent<String>> listener = TransactionalApplicationListener
                .forPayload((String payload) -> manualStore.save(byListener, "{\"by\":\"listener\"}", 0));

            transactions.executeWithoutResult((status) -> {
                TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

                    @Override
                    public void afterCompletion(int completion) {
                        manualStore.save(withAttachedWrites, "{\"attached\":true}", 0, attached);
                    }
                });
                listener.onApplicationEvent(new PayloadApplicationEvent<>(this, "after commit"));
            });

            assertThat(store.load(byListener)).as("committed on a connection of its own")
                .contains(new StoredState("{\"by\":\"listener\"}", 1));
            assertThat(store.load(withAttachedWrites)).as("committed in a transaction of its own")
                .contains(new StoredState("{\"attached\":true}", 1));
        }
    }

    @Test
    void savesAfterARollbackAreStoredWhenThePoolHandsOutConnectionsWithAutoCommitOff() {
        try (HikariDataSource manualCommit = manualCommitPool()) {
            JdbcStateStore manualStore = new JdbcStateStore(manualCommit, new TablePrefix(TablePrefix.DEFAULT));
            DataSourceTransactionManager manager = new DataSourceTransactionManager(manualCommit);
            manager.addListener(new EndingTransactionMarker());
            TransactionTemplate transactions = new TransactionTemplate(manager);
            StateKey rolledBack = newKey("rolled-back");
            StateKey byListener = newKey("after-rollback");
            ApplicationListener<PayloadApplicationEvent<String>> listener = TransactionalApplicationListener
                .forPayload(TransactionPhase.AFTER_ROLLBACK, (String payload) -> manualStore.save(byListener, "{}", 0));

            transactions.executeWithoutResult((status) -> {
                manualStore.save(rolledBack, "{}", 0);
                listener.onApplicationEvent(new PayloadApplicationEvent<>(this, "after rollback"));
                status.setRollbackOnly();
            });

            assertThat(store.load(rolledBack)).isEmpty();
            assertThat(store.load(byListener)).contains(new StoredState("{}", 1));
        }
    }

    private static HikariDataSource manualCommitPool() {
        HikariDataSource manualCommit = new HikariDataSource();
        manualCommit.setJdbcUrl(schema.jdbcUrl());
        manualCommit.setMaximumPoolSize(3);
        manualCommit.setAutoCommit(false);
        return manualCommit;
    }

    private static JdbcStateAttachment attachment(DataSource on) {
        return new JdbcStateAttachment() {

            @Override
            public DataSource dataSource() {
                return on;
            }

            @Override
            public void write() {
            }

            @Override
            public String description() {
                return "no writes";
            }
        };
    }

    @Nested
    class InACallersTransaction {

        private final TransactionTemplate transactions = new TransactionTemplate(
                new DataSourceTransactionManager(dataSource));

        @Test
        void aConflictLeavesTheCallersTransactionUsable() {
            StateKey key = newKey("conflict");
            StateKey other = newKey("other");
            store.save(key, "{}", 0);
            this.transactions.executeWithoutResult((status) -> {
                assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> store.save(key, "{\"a\":1}", 5));
                store.save(other, "{\"kept\":true}", 0);
            });
            assertThat(store.load(key)).contains(new StoredState("{}", 1));
            assertThat(store.load(other)).contains(new StoredState("{\"kept\":true}", 1));
        }

        @Test
        void aStatementTheDatabaseRefusesLeavesTheCallersTransactionUsable() {
            StateKey key = newKey("refused");
            StateKey other = newKey("other");
            this.transactions.executeWithoutResult((status) -> {
                assertThatExceptionOfType(DataAccessException.class)
                    .isThrownBy(() -> store.save(key, "{\"nul\":\"\u0000\"}", 0));
                store.save(other, "{\"kept\":true}", 0);
            });
            assertThat(store.load(key)).isEmpty();
            assertThat(store.load(other)).as("the caller's work after the refused save committed")
                .contains(new StoredState("{\"kept\":true}", 1));
        }

        @Test
        void attachedWritesThatFailUndoTheStatesRowBeforeTheCallerCommits() {
            StateKey key = newKey("attached");
            JdbcStateAttachment failing = new JdbcStateAttachment() {

                @Override
                public DataSource dataSource() {
                    return dataSource;
                }

                @Override
                public void write() {
                    throw new IllegalStateException("the attached writes failed");
                }

                @Override
                public String description() {
                    return "failing writes";
                }
            };
            this.transactions.executeWithoutResult((status) -> assertThatIllegalStateException()
                .isThrownBy(() -> store.save(key, "{}", 0, failing)));
            assertThat(store.load(key)).as("neither the state nor its attached writes").isEmpty();
        }

        @Test
        void aSaveInAnotherDatabasesTransactionThatTouchedThisDatabaseRunsInATransactionOfItsOwn() {
            StateKey key = newKey("other-manager");
            TransactionTemplate otherDatabase = new TransactionTemplate(
                    new DataSourceTransactionManager(new DriverManagerDataSource(schema.jdbcUrl())));
            otherDatabase.executeWithoutResult((status) -> {
                // binds an auto-commit connection of this database to the other manager's synchronization
                assertThat(new JdbcTemplate(dataSource).queryForObject("select 1", Integer.class)).isOne();
                store.save(key, "{\"saved\":true}", 0);
            });
            assertThat(store.load(key)).contains(new StoredState("{\"saved\":true}", 1));
        }

        @Test
        void aFailedSaveReleasesItsSavepoint() {
            AtomicInteger set = new AtomicInteger();
            AtomicInteger released = new AtomicInteger();
            DataSource counting = new DelegatingDataSource(dataSource) {

                @Override
                public Connection getConnection() throws SQLException {
                    Connection connection = super.getConnection();
                    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                            new Class<?>[] { Connection.class }, (proxy, method, arguments) -> {
                                if (method.getName().equals("setSavepoint")) {
                                    set.incrementAndGet();
                                }
                                else if (method.getName().equals("releaseSavepoint")) {
                                    released.incrementAndGet();
                                }
                                try {
                                    return method.invoke(connection, arguments);
                                }
                                catch (InvocationTargetException ex) {
                                    throw ex.getCause();
                                }
                            });
                }
            };
            JdbcStateStore countingStore = new JdbcStateStore(counting, new TablePrefix(TablePrefix.DEFAULT));
            StateKey key = newKey("conflicts");
            StateKey last = newKey("last");
            countingStore.save(key, "{}", 0);
            new TransactionTemplate(new DataSourceTransactionManager(counting)).executeWithoutResult((status) -> {
                for (int i = 0; i < 100; i++) {
                    assertThatExceptionOfType(ConcurrencyException.class)
                        .isThrownBy(() -> countingStore.save(key, "{\"a\":1}", 5));
                }
                countingStore.save(last, "{\"kept\":true}", 0);
            });
            assertThat(set).hasValue(101);
            assertThat(released).as("every savepoint released, the failed calls' too").hasValue(101);
            assertThat(store.load(last)).contains(new StoredState("{\"kept\":true}", 1));
        }
    }
}
