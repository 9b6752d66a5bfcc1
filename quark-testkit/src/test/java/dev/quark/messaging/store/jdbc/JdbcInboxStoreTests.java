package dev.quark.messaging.store.jdbc;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.BadSqlGrammarException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import dev.quark.jdbc.TablePrefix;
import dev.quark.messaging.runtime.DefaultInbox;
import dev.quark.messaging.store.InboxStore;
import dev.quark.testkit.messaging.InboxStoreContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class JdbcInboxStoreTests extends InboxStoreContractTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcInboxStore store;

    private static JdbcClient jdbc;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcInboxStoreTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(4);
        JdbcOutboxStore.migration(PREFIX).apply(dataSource);
        store = new JdbcInboxStore(dataSource, PREFIX);
        jdbc = JdbcClient.create(dataSource);
        jdbc.sql("create table ledger (id text primary key)").update();
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
    protected InboxStore store() {
        return store;
    }

    @Test
    void theInboxRecordsAndRunsTheHandlerInOneTransaction() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        DefaultInbox inbox = new DefaultInbox(store, transactions, Clock.systemUTC());
        String consumer = newConsumer("ledger");
        AtomicInteger runs = new AtomicInteger();

        assertThatIllegalStateException().isThrownBy(() -> inbox.process(consumer, "m-1", () -> {
            runs.incrementAndGet();
            jdbc.sql("insert into ledger (id) values ('m-1')").update();
            throw new IllegalStateException("the handler failed after its write");
        })).withMessage("the handler failed after its write");
        assertThat(store.contains(consumer, "m-1")).as("the failed handler recorded nothing").isFalse();
        assertThat(jdbc.sql("select count(*) from ledger").query(Long.class).single()).isZero();

        assertThat(inbox.process(consumer, "m-1", () -> {
            runs.incrementAndGet();
            jdbc.sql("insert into ledger (id) values ('m-1')").update();
        })).isTrue();
        assertThat(inbox.process(consumer, "m-1", runs::incrementAndGet)).as("a redelivery").isFalse();
        assertThat(runs).hasValue(2);
        assertThat(jdbc.sql("select count(*) from ledger").query(Long.class).single()).isOne();
    }

    @Test
    void aHandlerWhoseSqlFailedIsReportedWithItsOwnExceptionAndRecordsNothing() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        DefaultInbox inbox = new DefaultInbox(store, transactions, Clock.systemUTC());
        String consumer = newConsumer("ledger");
        assertThatExceptionOfType(BadSqlGrammarException.class)
            .isThrownBy(() -> inbox.process(consumer, "m-1", () -> jdbc.sql("insert into no_such_table values (1)").update()))
            .withMessageContaining("no_such_table");
        assertThat(store.contains(consumer, "m-1")).isFalse();
        assertThat(inbox.process(consumer, "m-1", () -> { })).as("the redelivery runs the handler").isTrue();
    }
}
