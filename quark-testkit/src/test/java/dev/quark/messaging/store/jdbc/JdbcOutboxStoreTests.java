package dev.quark.messaging.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.jdbc.TablePrefix;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.runtime.DefaultOutbox;
import dev.quark.messaging.runtime.MessageCodec;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.testkit.messaging.OutboxStoreContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

class JdbcOutboxStoreTests extends OutboxStoreContractTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcOutboxStore store;

    private static JdbcClient jdbc;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcOutboxStoreTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(4);
        JdbcOutboxStore.migration(PREFIX).apply(dataSource);
        store = new JdbcOutboxStore(dataSource, PREFIX);
        jdbc = JdbcClient.create(dataSource);
        jdbc.sql("create table business_order (id text primary key)").update();
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
    protected OutboxStore store() {
        return store;
    }

    @Test
    void theChangelogCreatesTheDocumentedTables() {
        assertThat(store.table()).isEqualTo("quark_outbox_message");
        List<String> tables = jdbc.sql("select table_name from information_schema.tables where table_schema = "
                + "current_schema() and table_name like 'quark_%' order by table_name").query(String.class).list();
        assertThat(tables).contains("quark_inbox", "quark_outbox_message", "quark_outbox_partition");
        List<String> indexes = jdbc.sql("select indexname from pg_indexes where schemaname = current_schema() "
                + "and tablename = 'quark_outbox_message'").query(String.class).list();
        assertThat(indexes).contains("quark_outbox_message_pending_ix", "quark_outbox_message_retry_ix",
                "quark_outbox_message_finished_ix");
    }

    @Test
    void anEnqueueInATransactionExistsIfAndOnlyIfTheBusinessWriteCommits() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        DefaultOutbox outbox = new DefaultOutbox(store,
                new Destinations(List.of(MessagePublisher.of("orders", (message) -> {
                }))), new MessageCodec(JsonMapper.shared()), new Partitioner(16), Clock.systemUTC());

        MessageId committed = transactions.execute((status) -> {
            jdbc.sql("insert into business_order (id) values ('order-1')").update();
            MessageId id = outbox.enqueue("orders", "order-1", Map.of("order", "order-1"));
            assertThat(otherConnectionSees(id)).as("visible to dispatchers before the commit").isFalse();
            return id;
        });
        assertThat(store.find(committed)).isPresent();
        assertThat(otherConnectionSees(committed)).isTrue();

        MessageId[] rolledBack = new MessageId[1];
        transactions.executeWithoutResult((status) -> {
            jdbc.sql("insert into business_order (id) values ('order-2')").update();
            rolledBack[0] = outbox.enqueue("orders", "order-2", Map.of("order", "order-2"));
            status.setRollbackOnly();
        });
        assertThat(store.find(rolledBack[0])).isEmpty();
        assertThat(jdbc.sql("select count(*) from business_order where id = 'order-2'").query(Long.class).single())
            .isZero();
    }

    @Test
    void anEnqueueThatFailsOnBadInputRollsBackNothingElseAndWritesNothing() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        DefaultOutbox outbox = new DefaultOutbox(store, new Destinations(List.of()),
                new MessageCodec(JsonMapper.shared()), new Partitioner(16), Clock.systemUTC());
        long before = jdbc.sql("select count(*) from quark_outbox_message").query(Long.class).single();
        assertThatIllegalArgumentException()
            .isThrownBy(() -> transactions.executeWithoutResult((status) -> outbox.enqueue("nowhere", "k", "x")))
            .withMessageContaining("'nowhere'");
        assertThat(jdbc.sql("select count(*) from quark_outbox_message").query(Long.class).single()).isEqualTo(before);
    }

    @Test
    void enqueuesOfOneKeyCommitInSequenceOrder() throws Exception {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        DefaultOutbox outbox = new DefaultOutbox(store,
                new Destinations(List.of(MessagePublisher.of("orders", (message) -> {
                }))), new MessageCodec(JsonMapper.shared()), new Partitioner(16), Clock.systemUTC());
        String key = "order-" + UUID.randomUUID();
        CountDownLatch firstEnqueued = new CountDownLatch(1);
        CountDownLatch commitFirst = new CountDownLatch(1);
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        CompletableFuture<MessageId> first = CompletableFuture.supplyAsync(() -> transactions.execute((status) -> {
            MessageId id = outbox.enqueue("orders", key, "first");
            firstEnqueued.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> commitFirst.getCount() == 0);
            return id;
        }), threads);
        assertThat(firstEnqueued.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<MessageId> second = CompletableFuture
            .supplyAsync(() -> transactions.execute((status) -> outbox.enqueue("orders", key, "second")), threads);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
            .until(() -> !second.isDone() && !otherConnectionSeesKey(key));
        commitFirst.countDown();
        MessageId firstId = first.get(10, TimeUnit.SECONDS);
        MessageId secondId = second.get(10, TimeUnit.SECONDS);
        List<String> bySequence = jdbc.sql("select id::text from quark_outbox_message where msg_key = ? order by sequence")
            .param(key)
            .query(String.class)
            .list();
        assertThat(bySequence).containsExactly(firstId.toString(), secondId.toString());
        threads.close();
    }

    private static boolean otherConnectionSeesKey(String key) {
        return jdbc.sql("select count(*) from quark_outbox_message where msg_key = ?").param(key).query(Long.class)
            .single() > 0;
    }

    private static boolean otherConnectionSees(MessageId id) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection
                    .prepareStatement("select 1 from quark_outbox_message where id = ?::uuid")) {
            select.setString(1, id.toString());
            return select.executeQuery().next();
        }
        catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
