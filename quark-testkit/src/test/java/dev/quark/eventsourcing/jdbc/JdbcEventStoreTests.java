package dev.quark.eventsourcing.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.eventsourcing.AppendResult;
import dev.quark.eventsourcing.ConcurrencyException;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.FeedPosition;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.Snapshot;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.jdbc.TablePrefix;
import dev.quark.testkit.eventsourcing.EventFeedContractTests;
import dev.quark.testkit.eventsourcing.EventStoreContractTests;
import dev.quark.testkit.server.BoundCallerTransaction;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

class JdbcEventStoreTests extends EventStoreContractTests {

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcEventStore store;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcEventStoreTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(12);
        JdbcEventStore.migration(new TablePrefix(TablePrefix.DEFAULT)).apply(dataSource);
        store = new JdbcEventStore(dataSource, new TablePrefix(TablePrefix.DEFAULT));
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
    protected EventStore store() {
        return store;
    }

    @Override
    protected void deleteSnapshotByHand(String stream) {
        JdbcClient.create(dataSource).sql("delete from quark_event_snapshot where stream = ?").param(stream).update();
    }

    @Test
    void theChangelogCreatesTheDocumentedTables() {
        assertThat(store.table()).isEqualTo("quark_event");
        List<String> columns = JdbcClient.create(dataSource)
            .sql("select table_name || '.' || column_name || ' ' || data_type from information_schema.columns "
                    + "where table_schema = current_schema() and table_name like 'quark_event%' "
                    + "order by table_name, ordinal_position")
            .query(String.class)
            .list();
        assertThat(columns).containsExactly("quark_event.position bigint", "quark_event.txid xid8",
                "quark_event.stream text", "quark_event.version bigint", "quark_event.event_id uuid",
                "quark_event.event_type character varying", "quark_event.schema_version integer",
                "quark_event.payload text", "quark_event.recorded_at timestamp with time zone",
                "quark_event_checkpoint.subscription character varying", "quark_event_checkpoint.txid bigint",
                "quark_event_checkpoint.position bigint", "quark_event_checkpoint.updated_at timestamp with time zone",
                "quark_event_checkpoint.lease_token bigint",
                "quark_event_checkpoint.tokens_raised_at timestamp with time zone",
                "quark_event_dead_letter.subscription character varying", "quark_event_dead_letter.txid bigint",
                "quark_event_dead_letter.position bigint", "quark_event_dead_letter.stream text",
                "quark_event_dead_letter.version bigint", "quark_event_dead_letter.event_id uuid",
                "quark_event_dead_letter.event_type character varying",
                "quark_event_dead_letter.schema_version integer", "quark_event_dead_letter.payload text",
                "quark_event_dead_letter.recorded_at timestamp with time zone",
                "quark_event_dead_letter.attempts integer", "quark_event_dead_letter.error text",
                "quark_event_dead_letter.dead_lettered_at timestamp with time zone",
                "quark_event_snapshot.stream text", "quark_event_snapshot.version bigint",
                "quark_event_snapshot.payload text", "quark_event_snapshot.updated_at timestamp with time zone",
                "quark_event_snapshot.truncated_version bigint", "quark_event_stream.stream text",
                "quark_event_stream.truncated_version bigint",
                "quark_event_stream.updated_at timestamp with time zone", "quark_event_stream.version bigint");
    }

    @Test
    void anAppendJoinsTheCallersTransactionAndRollsBackWithIt() {
        String stream = newStream();
        TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        transaction.executeWithoutResult((status) -> {
            store.append(stream, List.of(event("Opened", "{}")), 0);
            status.setRollbackOnly();
        });
        assertThat(store.version(stream)).isZero();
        transaction.executeWithoutResult((status) -> store.append(stream, List.of(event("Opened", "{}")), 0));
        assertThat(store.version(stream)).isEqualTo(1);
    }

    /**
     * An append waits for the lock of the stream's row: it must then append after what the appender that held the
     * lock committed, not from a snapshot taken before the lock was granted (which would try the same version again
     * and fail on the unique key instead of appending after it).
     */
    @Test
    @Timeout(60)
    void anAppendWaitingForTheStreamsLockSeesTheEventsOfTheAppendThatHeldIt() throws Exception {
        String stream = newStream();
        TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        CountDownLatch appended = new CountDownLatch(1);
        CountDownLatch commit = new CountDownLatch(1);
        ExecutorService appenders = Executors.newFixedThreadPool(2);
        int[] holder = new int[1];
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> transaction.executeWithoutResult((status) -> {
            store.append(stream, List.of(event("Opened", "{}")), 0);
            holder[0] = JdbcClient.create(dataSource).sql("select pg_backend_pid()").query(Integer.class).single();
            appended.countDown();
            try {
                commit.await(30, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }), appenders);
        try {
            assertThat(appended.await(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Long> second = CompletableFuture
                .supplyAsync(() -> store.append(stream, List.of(event("Deposited", "{}")), EventStore.ANY_VERSION).version(),
                        appenders);
            await("the second append waiting for the stream's lock").atMost(Duration.ofSeconds(30))
                .until(() -> JdbcClient.create(dataSource)
                    .sql("select count(*) from pg_stat_activity where ? = any(pg_blocking_pids(pid))")
                    .param(holder[0])
                    .query(Long.class)
                    .single() > 0);
            commit.countDown();
            first.get(30, TimeUnit.SECONDS);
            assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(store.read(stream, 1, 10)).extracting(StoredEvent::type).containsExactly("Opened", "Deposited");
        }
        finally {
            commit.countDown();
            appenders.shutdownNow();
        }
    }

    /**
     * JPA's and Hibernate's transaction managers bind the transaction's connection for the DataSource without
     * marking it as a JDBC transaction: a DataSourceTransactionManager of the store's own would take it over and
     * commit it. Bound here by hand the way they bind it.
     */
    @Test
    void anAppendJoinsATransactionThatAnotherKindOfManagerBoundAndRollsBackWithIt() throws Exception {
        String stream = newStream();
        try (BoundCallerTransaction caller = BoundCallerTransaction.begin(dataSource)) {
            store.append(stream, List.of(event("Opened", "{}")), 0);
            assertThat(caller.connection().getAutoCommit()).isFalse();
        }
        assertThat(store.version(stream)).isZero();
    }

    @Test
    void aConflictInsideTheCallersTransactionIsReportedAndTheTransactionCanRollBack() {
        String stream = newStream();
        store.append(stream, List.of(event("Opened", "{}")), 0);
        TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> transaction
            .executeWithoutResult((status) -> store.append(stream, List.of(event("Deposited", "{}")), 0)));
        assertThat(store.version(stream)).isEqualTo(1);
    }

    /**
     * Appends keep each stream's version in its row of quark_event_stream and check the expected version there: a
     * conflict and a retry of appended events leave it as it was, a truncation keeps it, a deletion removes it.
     */
    @Test
    void theStreamsRowKeepsItsVersion() {
        String stream = newStream();
        store.append(stream, List.of(event("Opened", "{}"), event("Deposited", "1")), 0);
        assertThat(rowVersion(stream)).isEqualTo(2);
        NewEvent third = event("Deposited", "2");
        assertThat(store.append(stream, List.of(third), EventStore.ANY_VERSION).version()).isEqualTo(3);
        assertThat(rowVersion(stream)).isEqualTo(3);
        assertThatExceptionOfType(ConcurrencyException.class)
            .isThrownBy(() -> store.append(stream, List.of(event("Deposited", "3")), 2))
            .satisfies((ex) -> assertThat(ex.getActualVersion()).isEqualTo(3));
        assertThat(store.append(stream, List.of(third), 2)).isEqualTo(new AppendResult(3, true));
        assertThat(store.append(stream, List.of(third), EventStore.ANY_VERSION)).isEqualTo(new AppendResult(3, true));
        assertThat(rowVersion(stream)).as("after a conflict and retries").isEqualTo(3);
        assertThatExceptionOfType(ConcurrencyException.class)
            .isThrownBy(() -> store.append(newStream(), List.of(event("Opened", "{}")), 4));
        store.saveSnapshot(stream, new Snapshot(3, "{}"), 3);
        store.truncateStream(stream, 3, 3);
        assertThat(rowVersion(stream)).isEqualTo(3);
        assertThat(store.append(stream, List.of(event("Deposited", "4")), 3).version()).isEqualTo(4);
        store.deleteStream(stream, 4);
        assertThat(JdbcClient.create(dataSource).sql("select count(*) from quark_event_stream where stream = ?")
            .param(stream)
            .query(Long.class)
            .single()).isZero();
        assertThat(store.append(stream, List.of(event("Opened", "{}")), 0).version()).isEqualTo(1);
        assertThat(rowVersion(stream)).isEqualTo(1);
    }

    /**
     * A deletion that waits for the stream's row lock while another transaction deletes the stream, its row with it,
     * makes the row again and holds its lock: an append meanwhile waits for the deletion's transaction instead of
     * writing beside it (the waiting select found no row, and the deletion went on holding only the advisory lock,
     * which appends do not take).
     */
    @Test
    @Timeout(60)
    void aDeletionThatWaitedForARowDeletedMeanwhileStillHoldsTheStreamsLock() throws Exception {
        String stream = newStream();
        store.append(stream, List.of(event("Opened", "{}")), 0);
        TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        ExecutorService threads = Executors.newFixedThreadPool(3);
        CountDownLatch firstLocked = new CountDownLatch(1);
        CountDownLatch firstMayDelete = new CountDownLatch(1);
        CountDownLatch secondDeleted = new CountDownLatch(1);
        CountDownLatch secondMayCommit = new CountDownLatch(1);
        AtomicIntegerArray pids = new AtomicIntegerArray(2);
        try {
            CompletableFuture<Void> first = CompletableFuture.runAsync(() -> transaction.executeWithoutResult((s) -> {
                store.saveSnapshot(stream, new Snapshot(1, "{}"), 1);
                pids.set(0, backendPid());
                firstLocked.countDown();
                awaitQuietly(firstMayDelete);
                store.deleteStream(stream, EventStore.ANY_VERSION);
            }), threads);
            assertThat(firstLocked.await(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Void> second = CompletableFuture.runAsync(() -> transaction.executeWithoutResult((s) -> {
                pids.set(1, backendPid());
                store.deleteStream(stream, EventStore.ANY_VERSION);
                secondDeleted.countDown();
                awaitQuietly(secondMayCommit);
            }), threads);
            awaitBlockedBy(pids.get(0), "the second deletion waiting for the first's row lock");
            firstMayDelete.countDown();
            first.get(30, TimeUnit.SECONDS);
            assertThat(secondDeleted.await(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Long> append = CompletableFuture.supplyAsync(
                    () -> store.append(stream, List.of(event("Opened", "{}")), EventStore.ANY_VERSION).version(),
                    threads);
            awaitBlockedBy(pids.get(1), "the append waiting for the second deletion's transaction");
            assertThat(append).isNotDone();
            secondMayCommit.countDown();
            second.get(30, TimeUnit.SECONDS);
            assertThat(append.get(30, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(store.read(stream, 1, 10)).extracting(StoredEvent::type).containsExactly("Opened");
        }
        finally {
            firstMayDelete.countDown();
            secondMayCommit.countDown();
            threads.shutdownNow();
        }
    }

    private static int backendPid() {
        return JdbcClient.create(dataSource).sql("select pg_backend_pid()").query(Integer.class).single();
    }

    private static void awaitBlockedBy(int pid, String what) {
        await(what).atMost(Duration.ofSeconds(30))
            .until(() -> JdbcClient.create(dataSource)
                .sql("select count(*) from pg_stat_activity where ? = any(pg_blocking_pids(pid))")
                .param(pid)
                .query(Long.class)
                .single() > 0);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A snapshot of a stream that has no events is not kept, and leaves no row behind (the stream's locks would make
     * one); nor does a truncation or deletion of such a stream, refused or not.
     */
    @Test
    void operationsOnAStreamWithoutEventsLeaveNoRow() {
        String stream = newStream();
        store.saveSnapshot(stream, new Snapshot(2, "{}"));
        assertThat(store.loadSnapshot(stream)).isEmpty();
        assertThat(streamRows(stream)).as("after the snapshot").isZero();
        store.saveSnapshot(stream, new Snapshot(2, "{}"), 0);
        assertThat(streamRows(stream)).as("after the snapshot expecting version 0").isZero();
        assertThatIllegalArgumentException().isThrownBy(() -> store.truncateStream(stream, 1));
        assertThat(streamRows(stream)).as("after the refused truncation").isZero();
        assertThat(store.truncateStream(stream, 0)).isZero();
        assertThat(store.truncateStream(stream, 0, 0)).isZero();
        assertThat(streamRows(stream)).as("after the truncations through version 0").isZero();
        assertThat(store.deleteStream(stream, EventStore.ANY_VERSION)).isZero();
        assertThat(streamRows(stream)).as("after the deletion").isZero();
        assertThat(store.append(stream, List.of(event("Opened", "{}")), 0).version()).isEqualTo(1);
    }

    private long streamRows(String stream) {
        return JdbcClient.create(dataSource).sql("select count(*) from quark_event_stream where stream = ?")
            .param(stream)
            .query(Long.class)
            .single();
    }

    /**
     * Outside a caller's transaction an append is one statement that commits on its own (no commit's round trip); one
     * that cannot append every event (a conflict, a retry of events already there) leaves nothing of its own writes
     * and goes through a transaction that tells why.
     */
    @Test
    void anAppendOutsideATransactionIsOneStatementCommittingOnItsOwn() throws Exception {
        ConnectionCalls calls = new ConnectionCalls();
        JdbcEventStore counted = new JdbcEventStore(calls.wrap(dataSource), new TablePrefix(TablePrefix.DEFAULT));
        String stream = newStream();
        NewEvent first = event("Opened", "{}");
        assertThat(counted.append(stream, List.of(first, event("Deposited", "1")), 0).version()).isEqualTo(2);
        assertThat(calls.statements).as("statements of a first append").hasValue(1);
        assertThat(calls.commits).as("commits asked for").hasValue(0);
        assertThat(calls.rollbacks).hasValue(0);
        assertThat(counted.append(stream, List.of(event("Deposited", "2")), 2).version()).isEqualTo(3);
        assertThat(calls.statements).hasValue(2);
        assertThat(calls.commits).hasValue(0);

        assertThatExceptionOfType(ConcurrencyException.class)
            .isThrownBy(() -> counted.append(stream, List.of(event("Deposited", "3")), 2))
            .satisfies((ex) -> assertThat(ex.getActualVersion()).isEqualTo(3));
        assertThat(counted.append(stream, List.of(first), EventStore.ANY_VERSION)).isEqualTo(new AppendResult(1, true));
        assertThat(calls.rollbacks).as("the transaction that found the conflict").hasValue(1);
        assertThat(calls.commits).as("the transaction that found the events there").hasValue(1);
        assertThat(rowVersion(stream)).as("the refused statements moved nothing").isEqualTo(3);
        assertThat(store.read(stream, 1, 10)).extracting(StoredEvent::version).containsExactly(1L, 2L, 3L);
    }

    /** A pool that hands out connections with auto-commit off: nothing would commit a statement left on its own. */
    @Test
    void anAppendOutsideATransactionOnConnectionsWithAutoCommitOffIsCommitted() {
        try (HikariDataSource manual = new HikariDataSource()) {
            manual.setJdbcUrl(schema.jdbcUrl());
            manual.setMaximumPoolSize(2);
            manual.setAutoCommit(false);
            JdbcEventStore onManual = new JdbcEventStore(manual, new TablePrefix(TablePrefix.DEFAULT));
            String stream = newStream();
            assertThat(onManual.append(stream, List.of(event("Opened", "{}")), 0).version()).isEqualTo(1);
            assertThat(onManual.append(stream, List.of(event("Deposited", "1")), 1).version()).isEqualTo(2);
            assertThat(store.read(stream, 1, 10)).as("read on another pool").extracting(StoredEvent::version)
                .containsExactly(1L, 2L);
        }
    }

    /** Counts the statements prepared on, and the commits asked of, the connections of a data source. */
    private static final class ConnectionCalls {

        final AtomicInteger statements = new AtomicInteger();

        final AtomicInteger commits = new AtomicInteger();

        final AtomicInteger rollbacks = new AtomicInteger();

        DataSource wrap(DataSource target) {
            return new DelegatingDataSource(target) {
                @Override
                public Connection getConnection() throws SQLException {
                    Connection connection = target.getConnection();
                    return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(),
                            new Class<?>[] { Connection.class }, (proxy, method, args) -> {
                                if (method.getName().equals("prepareStatement")) {
                                    statements.incrementAndGet();
                                }
                                else if (method.getName().equals("commit")) {
                                    commits.incrementAndGet();
                                }
                                else if (method.getName().equals("rollback") && args == null) {
                                    rollbacks.incrementAndGet();
                                }
                                try {
                                    return method.invoke(connection, args);
                                }
                                catch (InvocationTargetException ex) {
                                    throw ex.getCause();
                                }
                            });
                }
            };
        }
    }

    /**
     * Nodes of the previous version append without keeping the stream's row (during a rolling upgrade): the row falls
     * behind the events, or a stream has none. The stream's version is still the one of its last event, and an append
     * that expects it brings the row up to date and appends.
     */
    @Test
    void aStreamRowBehindItsEventsIsBroughtUpToDateByTheNextAppend() {
        String behind = newStream();
        store.append(behind, List.of(event("Opened", "{}"), event("Deposited", "1")), 0);
        insertByHand(behind, 3);
        assertThat(store.version(behind)).isEqualTo(3);
        assertThatExceptionOfType(ConcurrencyException.class).as("version 3 is taken")
            .isThrownBy(() -> store.append(behind, List.of(event("Deposited", "2")), 2))
            .withMessageContaining("another append took the version");
        assertThat(store.append(behind, List.of(event("Deposited", "3")), 3).version()).isEqualTo(4);
        assertThat(rowVersion(behind)).isEqualTo(4);

        String rowless = newStream();
        insertByHand(rowless, 1);
        insertByHand(rowless, 2);
        assertThatExceptionOfType(ConcurrencyException.class)
            .isThrownBy(() -> store.append(rowless, List.of(event("Deposited", "2")), 0));
        assertThat(store.append(rowless, List.of(event("Deposited", "3")), 2).version()).isEqualTo(3);
        assertThat(rowVersion(rowless)).isEqualTo(3);
        assertThat(store.read(rowless, 1, 10)).extracting(StoredEvent::version).containsExactly(1L, 2L, 3L);

        String taken = newStream();
        store.append(taken, List.of(event("Opened", "{}")), 0);
        insertByHand(taken, 2);
        JdbcClient.create(dataSource).sql("update quark_event_stream set version = 1 where stream = ?")
            .param(taken)
            .update();
        assertThatExceptionOfType(ConcurrencyException.class)
            .as("the row says 1, an older node took version 2")
            .isThrownBy(() -> store.append(taken, List.of(event("Deposited", "1")), 1));
        assertThat(store.append(taken, List.of(event("Deposited", "1")), 2).version()).isEqualTo(3);
    }

    /**
     * An older node appended 1..3, snapshotted and truncated through 3 (its stream row left at version 0, with the
     * truncated version): an append at any version goes after the truncation, not below it (the review's case).
     */
    @Test
    void anAppendAtAnyVersionAfterAnOlderNodesTruncationGoesAfterIt() {
        String stream = newStream();
        insertByHand(stream, 1);
        insertByHand(stream, 2);
        insertByHand(stream, 3);
        JdbcClient jdbc = JdbcClient.create(dataSource);
        jdbc.sql("insert into quark_event_snapshot (stream, version, payload) values (?, 3, '{}')").param(stream).update();
        jdbc.sql("delete from quark_event where stream = ? and version <= 3").param(stream).update();
        jdbc.sql("update quark_event_snapshot set truncated_version = 3 where stream = ?").param(stream).update();
        jdbc.sql("insert into quark_event_stream as s (stream, truncated_version) values (?, 3) on conflict (stream) "
                + "do update set truncated_version = excluded.truncated_version").param(stream).update();
        assertThat(store.version(stream)).isEqualTo(3);
        AppendResult result = store.append(stream, List.of(event("Deposited", "4")), EventStore.ANY_VERSION);
        assertThat(store.read(stream, 4, 10)).as("the event after the snapshot").hasSize(1);
        assertThat(result.version()).isEqualTo(4);
    }

    /**
     * A caller's transaction appends and then snapshots the stream while another transaction truncates it: no deadlock
     * (the truncation takes the row's lock before the advisory lock, as the append does).
     */
    @Test
    @Timeout(60)
    void anAppendThenASnapshotInOneTransactionDoNotDeadlockWithATruncation() throws Exception {
        String stream = newStream();
        store.append(stream, List.of(event("Opened", "{}")), 0);
        store.saveSnapshot(stream, new Snapshot(1, "{}"), 1);
        TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        CompletableFuture<Long> truncation = new CompletableFuture<>();
        transaction.executeWithoutResult((status) -> {
            store.append(stream, List.of(event("Deposited", "1")), 1);
            Thread.ofPlatform().start(() -> {
                try {
                    truncation.complete(store.truncateStream(stream, 1));
                }
                catch (RuntimeException ex) {
                    truncation.completeExceptionally(ex);
                }
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> JdbcClient.create(dataSource)
                .sql("select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()")
                .query(Long.class).single() > 0);
            store.saveSnapshot(stream, new Snapshot(2, "{}"), 2);
        });
        assertThat(truncation.get(30, TimeUnit.SECONDS)).isEqualTo(1);
    }

    /**
     * Under REPEATABLE READ or SERIALIZABLE the caller's snapshot predates an append that committed meanwhile: the
     * conflict is a ConcurrencyException (not the database's serialization failure or unique key), nothing is
     * appended, and the caller's transaction stays usable.
     */
    @ParameterizedTest
    @EnumSource(value = Isolation.class, names = { "REPEATABLE_READ", "SERIALIZABLE" })
    @Timeout(60)
    void aConflictUnderASnapshotIsolationIsAConcurrencyException(Isolation isolation) throws Exception {
        String stream = newStream();
        String created = newStream();
        store.append(stream, List.of(event("Opened", "{}")), 0);
        TransactionTemplate transaction = isolated(isolation);
        transaction.executeWithoutResult((status) -> {
            assertThat(store.version(stream)).isEqualTo(1);
            elsewhere(() -> store.append(stream, List.of(event("Deposited", "elsewhere")), 1));
            elsewhere(() -> store.append(created, List.of(event("Opened", "elsewhere")), 0));
            assertThatExceptionOfType(ConcurrencyException.class)
                .isThrownBy(() -> store.append(stream, List.of(event("Deposited", "here")), 1))
                .withMessageContaining(stream)
                .withMessageContaining("expected version 1");
            assertThatExceptionOfType(ConcurrencyException.class)
                .as("a stream created meanwhile")
                .isThrownBy(() -> store.append(created, List.of(event("Opened", "here")), 0));
            assertThat(JdbcClient.create(dataSource).sql("select 1").query(Integer.class).single())
                .as("the caller's transaction is still usable")
                .isEqualTo(1);
        });
        assertThat(store.read(stream, 1, 10)).extracting(StoredEvent::payload).containsExactly("{}", "elsewhere");
        assertThat(store.read(created, 1, 10)).extracting(StoredEvent::payload).containsExactly("elsewhere");
        assertThat(rowVersion(stream)).isEqualTo(2);
    }

    /**
     * An idempotent retry whose first attempt committed after the caller's REPEATABLE READ snapshot cannot see it: it
     * is a ConcurrencyException (nothing appended twice), and the retry in a new transaction returns the duplicate.
     */
    @ParameterizedTest
    @EnumSource(value = Isolation.class, names = { "REPEATABLE_READ", "SERIALIZABLE" })
    @Timeout(60)
    void aRetryWhoseFirstAttemptCommittedAfterTheSnapshotConflictsThenReturnsTheDuplicate(Isolation isolation)
            throws Exception {
        String stream = newStream();
        store.append(stream, List.of(event("Opened", "{}")), 0);
        NewEvent deposited = event("Deposited", "1");
        TransactionTemplate transaction = isolated(isolation);
        transaction.executeWithoutResult((status) -> {
            assertThat(store.version(stream)).isEqualTo(1);
            elsewhere(() -> store.append(stream, List.of(deposited), 1));
            assertThatExceptionOfType(ConcurrencyException.class)
                .isThrownBy(() -> store.append(stream, List.of(deposited), 1));
        });
        AppendResult retried = transaction.execute((status) -> store.append(stream, List.of(deposited), 1));
        assertThat(retried).isEqualTo(new AppendResult(2, true));
        AppendResult anyVersion = transaction
            .execute((status) -> store.append(stream, List.of(deposited), EventStore.ANY_VERSION));
        assertThat(anyVersion).isEqualTo(new AppendResult(2, true));
        assertThat(store.read(stream, 1, 10)).extracting(StoredEvent::type).containsExactly("Opened", "Deposited");
    }

    private static TransactionTemplate isolated(Isolation isolation) {
        TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        transaction.setIsolationLevel(isolation.value());
        return transaction;
    }

    /** Runs an append on another thread, outside of this thread's transaction, and waits for it. */
    private static void elsewhere(Runnable append) {
        try {
            CompletableFuture.runAsync(append).get(30, TimeUnit.SECONDS);
        }
        catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static long rowVersion(String stream) {
        return JdbcClient.create(dataSource)
            .sql("select version from quark_event_stream where stream = ?")
            .param(stream)
            .query(Long.class)
            .single();
    }

    /** An append of an older Quark: an event row, the stream's row left as it was. */
    private static void insertByHand(String stream, long version) {
        JdbcClient.create(dataSource)
            .sql("insert into quark_event (stream, version, event_id, event_type, schema_version, payload) "
                    + "values (?, ?, ?, 'Deposited', 1, '{}')")
            .params(stream, version, UUID.randomUUID())
            .update();
    }

    @Nested
    class Feed extends EventFeedContractTests {

        @Override
        protected EventStore store() {
            return store;
        }

        /**
         * The reason for the xid8 column: transaction A inserts first (smaller position) but commits after
         * transaction B. A reader that passed B's position must still get A's event.
         */
        @Test
        @Timeout(120)
        void anEventCommittedLateIsNeverSkipped() throws Exception {
            String early = newStream();
            String late = newStream();
            FeedPosition start = endOfFeed();
            CountDownLatch appended = new CountDownLatch(1);
            CountDownLatch commit = new CountDownLatch(1);
            TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
            CompletableFuture<Void> held = CompletableFuture.runAsync(() -> transaction.executeWithoutResult((status) -> {
                store.append(early, List.of(event("Opened", "\"A, inserted first, committed last\"")), 0);
                appended.countDown();
                try {
                    if (!commit.await(60, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the test never let the transaction commit");
                    }
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(ex);
                }
            }));
            assertThat(appended.await(30, TimeUnit.SECONDS)).isTrue();
            store.append(late, List.of(event("Opened", "\"B, inserted second, committed first\"")), 0);
            List<Long> rows = JdbcClient.create(dataSource)
                .sql("select position from quark_event where stream = ?")
                .param(late)
                .query(Long.class)
                .list();
            assertThat(rows).hasSize(1);
            // B is committed and visible to plain queries, but the feed holds it back while A runs
            assertThat(mine(start, early, late)).isEmpty();
            commit.countDown();
            held.get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(mine(start, early, late)).extracting(StoredEvent::stream)
                    .containsExactly(early, late));
            List<StoredEvent> both = mine(start, early, late);
            assertThat(both.get(0).position().sequence()).isLessThan(both.get(1).position().sequence());
            assertThat(both.get(0).position()).isLessThan(both.get(1).position());
        }

        private FeedPosition endOfFeed() {
            FeedPosition position = FeedPosition.START;
            for (int page = 0; page < 10_000; page++) {
                List<StoredEvent> events = store.readAfter(position, 1000);
                if (events.isEmpty()) {
                    return position;
                }
                position = events.getLast().position();
            }
            throw new AssertionError("the feed did not end");
        }

        private List<StoredEvent> mine(FeedPosition after, String... streams) {
            List<String> names = List.of(streams);
            List<StoredEvent> mine = new ArrayList<>();
            FeedPosition position = after;
            for (int page = 0; page < 10_000; page++) {
                List<StoredEvent> events = store.readAfter(position, 1000);
                if (events.isEmpty()) {
                    return mine;
                }
                for (StoredEvent event : events) {
                    position = event.position();
                    if (names.contains(event.stream())) {
                        mine.add(event);
                    }
                }
            }
            throw new AssertionError("the feed did not end");
        }

        private static NewEvent event(String type, String payload) {
            return new NewEvent(UUID.randomUUID(), type, 1, payload);
        }
    }
}
