package dev.quark.messaging.store.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ApplicationListener;
import org.springframework.context.PayloadApplicationEvent;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalApplicationListener;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.jdbc.TablePrefix;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.runtime.DefaultOutbox;
import dev.quark.messaging.runtime.MessageCodec;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.testkit.messaging.OutboxStoreContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
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
    void enqueuesOfOneKeyAreSequencedInCommitOrder() throws Exception {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        DefaultOutbox outbox = outbox();
        String key = "order-" + UUID.randomUUID();
        CountDownLatch firstEnqueued = new CountDownLatch(1);
        CountDownLatch commitFirst = new CountDownLatch(1);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<MessageId> first = CompletableFuture.supplyAsync(() -> transactions.execute((status) -> {
                MessageId id = outbox.enqueue("orders", key, "first");
                firstEnqueued.countDown();
                await().atMost(Duration.ofSeconds(10)).until(() -> commitFirst.getCount() == 0);
                return id;
            }), threads);
            assertThat(firstEnqueued.await(10, TimeUnit.SECONDS)).isTrue();
            MessageId secondId = transactions.execute((status) -> outbox.enqueue("orders", key, "second"));
            assertThat(otherConnectionSees(secondId)).as("committed while the first transaction is open").isTrue();
            commitFirst.countDown();
            MessageId firstId = first.get(10, TimeUnit.SECONDS);
            assertThat(idsBySequence(key)).containsExactly(secondId.toString(), firstId.toString());
        }
    }

    @Test
    void aCommitDrawsTheSequencesOfItsKeysUnderTheirLocks() throws Exception {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        DefaultOutbox outbox = outbox();
        String key = "order-" + UUID.randomUUID();
        try (Connection holder = dataSource.getConnection();
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            holder.setAutoCommit(false);
            try (PreparedStatement lock = holder
                .prepareStatement("select pg_advisory_xact_lock(hashtext('quark_outbox_message'), hashtext(?))")) {
                lock.setString(1, key);
                lock.executeQuery().close();
            }
            CompletableFuture<MessageId> enqueued = CompletableFuture
                .supplyAsync(() -> transactions.execute((status) -> outbox.enqueue("orders", key, "waits")), threads);
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                .until(() -> !enqueued.isDone() && !otherConnectionSeesKey(key));
            holder.commit();
            assertThat(otherConnectionSees(enqueued.get(10, TimeUnit.SECONDS))).isTrue();
        }
    }

    @Test
    void transactionsEnqueueingTheSameKeysInOppositeOrdersBothCommit() throws Exception {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        DefaultOutbox outbox = outbox();
        String one = "order-" + UUID.randomUUID();
        String two = "order-" + UUID.randomUUID();
        CountDownLatch bothEnqueuedOnce = new CountDownLatch(2);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<List<MessageId>>> commits = List.of(List.of(one, two), List.of(two, one))
                .stream()
                .map((keys) -> CompletableFuture.supplyAsync(() -> transactions.execute((status) -> {
                    MessageId first = outbox.enqueue("orders", keys.get(0), "first");
                    bothEnqueuedOnce.countDown();
                    awaitQuietly(bothEnqueuedOnce);
                    return List.of(first, outbox.enqueue("orders", keys.get(1), "second"));
                }), threads))
                .toList();
            for (CompletableFuture<List<MessageId>> commit : commits) {
                for (MessageId id : commit.get(30, TimeUnit.SECONDS)) {
                    assertThat(otherConnectionSees(id)).isTrue();
                }
            }
        }
    }

    @Test
    void aMessageEnqueuedInANestedTransactionRolledBackToItsSavepointIsNotStored() {
        DataSourceTransactionManager manager = new DataSourceTransactionManager(dataSource);
        TransactionTemplate outer = new TransactionTemplate(manager);
        TransactionTemplate nested = new TransactionTemplate(manager);
        nested.setPropagationBehavior(TransactionDefinition.PROPAGATION_NESTED);
        DefaultOutbox outbox = outbox();
        String key = "order-" + UUID.randomUUID();
        MessageId[] ids = new MessageId[3];
        outer.executeWithoutResult((status) -> {
            ids[0] = outbox.enqueue("orders", key, "kept");
            nested.executeWithoutResult((inner) -> {
                ids[1] = outbox.enqueue("orders", key, "rolled back");
                inner.setRollbackOnly();
            });
            ids[2] = outbox.enqueue("orders", key, "kept too");
        });
        assertThat(idsBySequence(key)).containsExactly(ids[0].toString(), ids[2].toString());
    }

    @Test
    void aMessageEnqueuedTwiceInATransactionIsRefusedAtOnceNamingIt() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        String key = "order-" + UUID.randomUUID();
        NewMessage message = new NewMessage(MessageId.next(Clock.systemUTC()), "orders", key, 3, "java.lang.String",
                "\"x\"", Map.of(), Instant.now());
        transactions.executeWithoutResult((status) -> {
            store.append(message);
            assertThatIllegalArgumentException().isThrownBy(() -> store.append(message))
                .withMessage("Message " + message.id() + " was enqueued already");
        });
        assertThat(idsBySequence(key)).containsExactly(message.id().toString());
    }

    @Test
    void aMessageOfANestedTransactionRolledBackIsNotStoredThoughTheOuterOneEnqueuedNothingAndCommits() {
        DataSourceTransactionManager manager = new DataSourceTransactionManager(dataSource);
        TransactionTemplate outer = new TransactionTemplate(manager);
        TransactionTemplate nested = new TransactionTemplate(manager);
        nested.setPropagationBehavior(TransactionDefinition.PROPAGATION_NESTED);
        DefaultOutbox outbox = outbox();
        String order = "order-" + UUID.randomUUID();
        MessageId[] enqueued = new MessageId[1];
        outer.executeWithoutResult((status) -> {
            jdbc.sql("insert into business_order (id) values (?)").param(order).update();
            assertThatIllegalStateException().isThrownBy(() -> nested.executeWithoutResult((inner) -> {
                jdbc.sql("insert into business_order (id) values (?)").param(order + "-nested").update();
                enqueued[0] = outbox.enqueue("orders", order, "never happened");
                throw new IllegalStateException("nested work failed");
            })).withMessage("nested work failed");
        });
        assertThat(jdbc.sql("select id from business_order where id like ?").param(order + "%").query(String.class)
            .list()).containsExactly(order);
        assertThat(store.find(enqueued[0])).isEmpty();
        assertThat(otherConnectionSeesKey(order)).isFalse();
    }

    @Test
    void aMessageEnqueuedByABeforeCommitListenerIsStoredWhetherItsEventCameBeforeOrAfterTheFirstEnqueue() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        DefaultOutbox outbox = outbox();
        String key = "order-" + UUID.randomUUID();
        List<MessageId> byListener = new ArrayList<>();
        ApplicationListener<PayloadApplicationEvent<String>> listener = TransactionalApplicationListener
            .forPayload(TransactionPhase.BEFORE_COMMIT, (String payload) -> byListener.add(outbox.enqueue("orders",
                    key, payload)));

        MessageId enqueuedFirst = transactions.execute((status) -> {
            MessageId id = outbox.enqueue("orders", key, "in the transaction");
            listener.onApplicationEvent(new PayloadApplicationEvent<>(this, "by the listener, published after"));
            return id;
        });
        MessageId enqueuedAfter = transactions.execute((status) -> {
            listener.onApplicationEvent(new PayloadApplicationEvent<>(this, "by the listener, published before"));
            return outbox.enqueue("orders", key, "in the transaction");
        });

        assertThat(byListener).hasSize(2);
        assertThat(idsBySequence(key)).containsExactly(enqueuedFirst.toString(), byListener.get(0).toString(),
                enqueuedAfter.toString(), byListener.get(1).toString());
    }

    @Test
    void aFirstEnqueueByABeforeCommitListenerTooLateToBeInsertedFailsNamingItsMessage() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        DefaultOutbox outbox = outbox();
        String key = "order-" + UUID.randomUUID();
        List<MessageId> byListener = new ArrayList<>();
        ApplicationListener<PayloadApplicationEvent<String>> listener = TransactionalApplicationListener
            .forPayload(TransactionPhase.BEFORE_COMMIT, (String payload) -> byListener.add(outbox.enqueue("orders",
                    key, payload)));

        assertThatIllegalStateException().isThrownBy(() -> transactions.executeWithoutResult(
                (status) -> listener.onApplicationEvent(new PayloadApplicationEvent<>(this, "first at commit"))))
            .withMessageContaining(byListener.getFirst().toString())
            .withMessageContaining("not stored");
        assertThat(otherConnectionSeesKey(key)).isFalse();
    }

    @Test
    void aFirstEnqueueByABeforeCommitListenerIsInsertedInItsTransactionByTheOutboxCommitListener() {
        TransactionTemplate transactions = new TransactionTemplate(managerWithCommitListener());
        DefaultOutbox outbox = outbox();
        String order = "order-" + UUID.randomUUID();
        String other = "other-" + UUID.randomUUID();
        List<MessageId> byListener = new ArrayList<>();
        ApplicationListener<PayloadApplicationEvent<String>> listener = TransactionalApplicationListener
            .forPayload(TransactionPhase.BEFORE_COMMIT, (String payload) -> {
                byListener.add(outbox.enqueue("orders", other, payload));
                byListener.add(outbox.enqueue("orders", order, payload));
            });

        transactions.executeWithoutResult((status) -> {
            jdbc.sql("insert into business_order (id) values (?)").param(order).update();
            listener.onApplicationEvent(new PayloadApplicationEvent<>(this, "first at commit"));
        });

        assertThat(idsBySequence(other)).containsExactly(byListener.get(0).toString());
        assertThat(idsBySequence(order)).containsExactly(byListener.get(1).toString());
        assertThat(jdbc.sql("select sequence from quark_outbox_message where id = any(?::uuid[]) order by sequence")
            .param(byListener.stream().map(MessageId::value).toArray(UUID[]::new))
            .query(Long.class)
            .list()).hasSize(2);
    }

    @Test
    void aFirstEnqueueByABeforeCommitListenerThatTheDatabaseRefusesRollsTheTransactionBack() {
        TransactionTemplate transactions = new TransactionTemplate(managerWithCommitListener());
        String order = "order-" + UUID.randomUUID();
        NewMessage committedBefore = message(order);
        store.append(committedBefore);
        ApplicationListener<PayloadApplicationEvent<String>> listener = TransactionalApplicationListener
            .forPayload(TransactionPhase.BEFORE_COMMIT, (String payload) -> store.append(committedBefore));

        assertThatExceptionOfType(DuplicateKeyException.class)
            .isThrownBy(() -> transactions.executeWithoutResult((status) -> {
                jdbc.sql("insert into business_order (id) values (?)").param(order).update();
                listener.onApplicationEvent(new PayloadApplicationEvent<>(this, "the same message again"));
            }))
            .withMessageContaining(committedBefore.id().toString());
        assertThat(jdbc.sql("select count(*) from business_order where id = ?").param(order).query(Long.class)
            .single()).as("the business write rolled back with the refused message").isZero();
        assertThat(idsBySequence(order)).containsExactly(committedBefore.id().toString());
    }

    @Test
    void aFirstEnqueueAfterTheCommitIsRefusedToItsCallerNamingItWhenTheManagerHasTheOutboxCommitListener() {
        TransactionTemplate transactions = new TransactionTemplate(managerWithCommitListener());
        String order = "order-" + UUID.randomUUID();
        NewMessage inAfterCommit = message(order);
        NewMessage inAfterCompletion = message(order);
        NewMessage byAfterCommitListener = message(order);
        List<RuntimeException> refusals = new ArrayList<>();
        ApplicationListener<PayloadApplicationEvent<String>> listener = TransactionalApplicationListener
            .forPayload(TransactionPhase.AFTER_COMMIT, (String payload) -> store.append(byAfterCommitListener));

        transactions.executeWithoutResult((status) -> {
            jdbc.sql("insert into business_order (id) values (?)").param(order).update();
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

                @Override
                public void afterCommit() {
                    appendOrCollect(inAfterCommit, refusals);
                }

                @Override
                public void afterCompletion(int status) {
                    store.append(inAfterCompletion);
                }
            });
            listener.onApplicationEvent(new PayloadApplicationEvent<>(this, "after commit"));
        });

        assertThat(refusals).singleElement()
            .satisfies((refusal) -> assertThat(refusal).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Message " + inAfterCommit.id() + " was enqueued after its transaction "
                        + "completed"));
        assertThat(store.find(inAfterCommit.id())).isEmpty();
        assertThat(idsBySequence(order)).as("after completion, Spring has cleared the synchronizations: stored at once")
            .containsExactlyInAnyOrder(inAfterCompletion.id().toString(), byAfterCommitListener.id().toString());
        assertThat(jdbc.sql("select count(*) from business_order where id = ?").param(order).query(Long.class)
            .single()).isOne();
    }

    @Test
    void anEnqueueInAnAfterCommitCallbackRegisteredBeforeTheFirstEnqueueIsRefusedWithTheOutboxCommitListener() {
        TransactionTemplate transactions = new TransactionTemplate(managerWithCommitListener());
        DefaultOutbox outbox = outbox();
        String key = "order-" + UUID.randomUUID();
        NewMessage late = message(key);
        List<RuntimeException> refusals = new ArrayList<>();
        MessageId enqueued = transactions.execute((status) -> {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

                @Override
                public void afterCommit() {
                    appendOrCollect(late, refusals);
                }
            });
            return outbox.enqueue("orders", key, "in the transaction");
        });
        assertThat(refusals).singleElement()
            .satisfies((refusal) -> assertThat(refusal).hasMessageContaining(late.id().toString()));
        assertThat(idsBySequence(key)).containsExactly(enqueued.toString());
    }

    @Test
    void aMessageEnqueuedAfterTheCommitIsRefusedNamingIt() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        DefaultOutbox outbox = outbox();
        String key = "order-" + UUID.randomUUID();
        MessageId[] enqueued = new MessageId[1];
        NewMessage late = new NewMessage(MessageId.next(Clock.systemUTC()), "orders", key, 3, "java.lang.String",
                "\"late\"", Map.of(), Instant.now());
        List<RuntimeException> refusals = new ArrayList<>();
        transactions.executeWithoutResult((status) -> {
            enqueued[0] = outbox.enqueue("orders", key, "in the transaction");
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

                @Override
                public void afterCommit() {
                    try {
                        store.append(late);
                    }
                    catch (IllegalStateException ex) {
                        refusals.add(ex);
                    }
                }
            });
        });
        assertThat(refusals).singleElement()
            .satisfies((refusal) -> assertThat(refusal).hasMessageContaining("Message " + late.id() + " was enqueued after its transaction completed"));
        assertThat(idsBySequence(key)).containsExactly(enqueued[0].toString());
    }

    @Test
    void aCommitWhoseTransactionNoLongerHoldsTheEnqueuingConnectionFailsAndStoresNothing() {
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        DefaultOutbox outbox = outbox();
        String order = "order-" + UUID.randomUUID();
        MessageId[] enqueued = new MessageId[1];
        assertThatIllegalStateException().isThrownBy(() -> transactions.executeWithoutResult((status) -> {
            jdbc.sql("insert into business_order (id) values (?)").param(order).update();
            enqueued[0] = outbox.enqueue("orders", order, "x");
            Object committedElsewhere = TransactionSynchronizationManager.unbindResource(dataSource);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

                @Override
                public void afterCompletion(int completion) {
                    TransactionSynchronizationManager.bindResource(dataSource, committedElsewhere);
                }
            });
        })).withMessageContaining(enqueued[0].toString()).withMessageContaining("no longer holds its connection");
        assertThat(store.find(enqueued[0])).isEmpty();
        assertThat(jdbc.sql("select count(*) from business_order where id = ?").param(order).query(Long.class)
            .single()).isZero();
    }

    @Test
    void enqueuesAfterTheCommitAndOutsideATransactionAreStoredWhenThePoolHandsOutConnectionsWithAutoCommitOff() {
        try (HikariDataSource manualCommit = manualCommitPool()) {
            JdbcOutboxStore manualStore = new JdbcOutboxStore(manualCommit, PREFIX);
            DataSourceTransactionManager manager = new DataSourceTransactionManager(manualCommit);
            manager.addListener(new OutboxCommitListener());
            TransactionTemplate transactions = new TransactionTemplate(manager);
            String order = "order-" + UUID.randomUUID();
            NewMessage inTransaction = message(order);
            NewMessage inAfterCompletion = message(order);
            NewMessage byAfterCommitListener = message(order);
            NewMessage outsideATransaction = message(order);
            ApplicationListener<PayloadApplicationEvent<String>> listener = TransactionalApplicationListener
                .forPayload(TransactionPhase.AFTER_COMMIT, (String payload) -> manualStore.append(byAfterCommitListener));

            transactions.executeWithoutResult((status) -> {
                manualStore.append(inTransaction);
                TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

                    @Override
                    public void afterCompletion(int completion) {
                        manualStore.append(inAfterCompletion);
                    }
                });
                listener.onApplicationEvent(new PayloadApplicationEvent<>(this, "after commit"));
            });
            manualStore.append(outsideATransaction);

            assertThat(idsBySequence(order)).as("the ones after the commit on connections of their own, committed")
                .containsExactly(inTransaction.id().toString(), inAfterCompletion.id().toString(),
                        byAfterCommitListener.id().toString(), outsideATransaction.id().toString());
        }
    }

    @Test
    void enqueuesAfterARollbackAreStoredWhenThePoolHandsOutConnectionsWithAutoCommitOff() {
        try (HikariDataSource manualCommit = manualCommitPool()) {
            JdbcOutboxStore manualStore = new JdbcOutboxStore(manualCommit, PREFIX);
            DataSourceTransactionManager manager = new DataSourceTransactionManager(manualCommit);
            manager.addListener(new OutboxCommitListener());
            TransactionTemplate transactions = new TransactionTemplate(manager);
            String order = "order-" + UUID.randomUUID();
            NewMessage rolledBack = message(order);
            NewMessage inAfterCompletion = message(order);
            NewMessage byAfterRollbackListener = message(order);
            ApplicationListener<PayloadApplicationEvent<String>> listener = TransactionalApplicationListener
                .forPayload(TransactionPhase.AFTER_ROLLBACK,
                        (String payload) -> manualStore.append(byAfterRollbackListener));

            transactions.executeWithoutResult((status) -> {
                manualStore.append(rolledBack);
                TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

                    @Override
                    public void afterCompletion(int completion) {
                        manualStore.append(inAfterCompletion);
                    }
                });
                listener.onApplicationEvent(new PayloadApplicationEvent<>(this, "after rollback"));
                status.setRollbackOnly();
            });

            assertThat(idsBySequence(order)).containsExactly(inAfterCompletion.id().toString(),
                    byAfterRollbackListener.id().toString());
        }
    }

    @Test
    void withoutTheOutboxCommitListenerEnqueuesAfterTheCommitAreLostWhenThePoolHandsOutConnectionsWithAutoCommitOff() {
        // Pins the documented gap (docs/messaging.md, Not built yet): nothing marks the finished transaction's
        // connection, which looks like a caller's transaction bound without synchronization.
        try (HikariDataSource manualCommit = manualCommitPool()) {
            JdbcOutboxStore manualStore = new JdbcOutboxStore(manualCommit, PREFIX);
            TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(manualCommit));
            String order = "order-" + UUID.randomUUID();
            NewMessage inTransaction = message(order);
            NewMessage inAfterCompletion = message(order);
            transactions.executeWithoutResult((status) -> {
                manualStore.append(inTransaction);
                TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

                    @Override
                    public void afterCompletion(int completion) {
                        manualStore.append(inAfterCompletion);
                    }
                });
            });
            assertThat(idsBySequence(order)).containsExactly(inTransaction.id().toString());
        }
    }

    @Test
    void aTransactionsOnlyMessageIsWrittenAtTheCommitInOneStatement() {
        AtomicInteger statements = new AtomicInteger();
        DataSource counting = new DelegatingDataSource(dataSource) {

            @Override
            public Connection getConnection() throws SQLException {
                Connection connection = super.getConnection();
                return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                        new Class<?>[] { Connection.class }, (proxy, method, arguments) -> {
                            if (method.getName().startsWith("prepare") || method.getName().equals("createStatement")) {
                                statements.incrementAndGet();
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
        JdbcOutboxStore countedStore = new JdbcOutboxStore(counting, PREFIX);
        DefaultOutbox outbox = new DefaultOutbox(countedStore, new Destinations(List.of(MessagePublisher.of("orders",
                (message) -> {
                }))), new MessageCodec(JsonMapper.shared()), new Partitioner(16), Clock.systemUTC());
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(counting));
        String key = "one-statement-" + UUID.randomUUID();
        MessageId id = transactions.execute((status) -> {
            MessageId enqueued = outbox.enqueue("orders", key, Map.of("order", key));
            assertThat(statements.get()).as("statements before the commit").isZero();
            return enqueued;
        });
        assertThat(statements.get()).as("statements the commit sent for the message").isEqualTo(1);
        assertThat(store.find(id)).isPresent();
    }

    private static HikariDataSource manualCommitPool() {
        HikariDataSource manualCommit = new HikariDataSource();
        manualCommit.setJdbcUrl(schema.jdbcUrl());
        manualCommit.setMaximumPoolSize(2);
        manualCommit.setAutoCommit(false);
        return manualCommit;
    }

    private static DataSourceTransactionManager managerWithCommitListener() {
        DataSourceTransactionManager manager = new DataSourceTransactionManager(dataSource);
        manager.addListener(new OutboxCommitListener());
        return manager;
    }

    private static NewMessage message(String key) {
        return new NewMessage(MessageId.next(Clock.systemUTC()), "orders", key, 3, "java.lang.String", "\"x\"",
                Map.of(), Instant.now());
    }

    private static void appendOrCollect(NewMessage message, List<RuntimeException> refusals) {
        try {
            store.append(message);
        }
        catch (RuntimeException ex) {
            refusals.add(ex);
        }
    }

    private static DefaultOutbox outbox() {
        return new DefaultOutbox(store, new Destinations(List.of(MessagePublisher.of("orders", (message) -> {
        }))), new MessageCodec(JsonMapper.shared()), new Partitioner(16), Clock.systemUTC());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private static List<String> idsBySequence(String key) {
        return jdbc.sql("select id::text from quark_outbox_message where msg_key = ? order by sequence")
            .param(key)
            .query(String.class)
            .list();
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
