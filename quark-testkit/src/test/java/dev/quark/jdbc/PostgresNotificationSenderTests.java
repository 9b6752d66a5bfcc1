package dev.quark.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import ch.qos.logback.classic.Level;
import com.zaxxer.hikari.HikariDataSource;
import dev.quark.LogCapture;
import dev.quark.jdbc.PostgresNotificationListener.Notifications;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

class PostgresNotificationSenderTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static final String CHANNEL = "quark_test_sent";

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcClient jdbc;

    private final List<Notifications> received = new CopyOnWriteArrayList<>();

    private LogCapture logged;

    private PostgresNotificationListener listener;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(PostgresNotificationSenderTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(8);
        jdbc = JdbcClient.create(dataSource);
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

    @BeforeEach
    void listen() {
        this.logged = LogCapture.of(PostgresNotificationSender.class, Level.INFO);
        this.listener = new PostgresNotificationListener(dataSource, "test").listen(CHANNEL, this.received::add);
        this.listener.start();
    }

    @AfterEach
    void stop() {
        this.listener.close();
        this.logged.close();
    }

    private Set<String> payloads() {
        return this.received.stream()
            .flatMap((notifications) -> notifications.payloads().stream())
            .collect(Collectors.toSet());
    }

    private static TransactionTemplate transactions() {
        return new TransactionTemplate(new DataSourceTransactionManager(dataSource));
    }

    @Test
    void notificationsOfATransactionAreSentOnceEachAfterItCommitsInOneStatement() {
        try (PostgresNotificationSender sender = new PostgresNotificationSender(dataSource, "test")) {
            transactions().executeWithoutResult((status) -> {
                for (int i = 0; i < 50; i++) {
                    sender.notifyAfterCommit(CHANNEL, "a");
                    sender.notifyAfterCommit(CHANNEL, "b");
                }
                assertThat(sender.pending()).as("nothing is handed over before the commit").isZero();
                assertThat(sender.isRunning()).isFalse();
            });
            await().atMost(WAIT).until(() -> payloads().containsAll(Set.of("a", "b")));
            assertThat(sender.sent()).isEqualTo(2);
            assertThat(sender.statements()).isEqualTo(1);
            assertThat(payloads()).containsExactlyInAnyOrder("a", "b");
        }
    }

    @Test
    void aRolledBackTransactionSendsNothing() {
        try (PostgresNotificationSender sender = new PostgresNotificationSender(dataSource, "test")) {
            transactions().executeWithoutResult((status) -> {
                sender.notifyAfterCommit(CHANNEL, "rolled-back");
                status.setRollbackOnly();
            });
            assertThat(sender.pending()).isZero();
            assertThat(sender.isRunning()).as("no notification, no thread nor connection").isFalse();
            sender.notifyAfterCommit(CHANNEL, "committed");
            await().atMost(WAIT).until(() -> payloads().contains("committed"));
            assertThat(payloads()).containsExactly("committed");
            assertThat(sender.sent()).isEqualTo(1);
        }
    }

    /**
     * While the transaction is open its notification has not gone out: a marker sent meanwhile (not deferred, so
     * queued after it had it been sent at once) arrives alone; after the commit it arrives.
     */
    @Test
    void theBusinessTransactionNeverNotifies() {
        try (PostgresNotificationSender sender = new PostgresNotificationSender(dataSource, "test")) {
            transactions().executeWithoutResult((status) -> {
                JdbcClient.create(dataSource).sql("select 1").query(Integer.class).single();
                sender.notifyAfterCommit(CHANNEL, "in-transaction");
                sender.notifySoon(CHANNEL, "marker");
                await().atMost(WAIT).until(() -> payloads().contains("marker"));
                assertThat(payloads()).as("nothing of the open transaction").containsExactly("marker");
            });
            await().atMost(WAIT).until(() -> payloads().contains("in-transaction"));
        }
    }

    @Test
    void borrowsAConnectionPerBatchAndGivesItBack() throws Exception {
        AtomicInteger open = new AtomicInteger();
        DataSource counting = proxy((method, args, target) -> {
            if (method.getName().equals("close")) {
                open.decrementAndGet();
            }
            return target.call();
        }, () -> open.incrementAndGet());
        try (PostgresNotificationSender sender = new PostgresNotificationSender(counting, "test")) {
            sender.notifySoon(CHANNEL, "one");
            await().atMost(WAIT).until(() -> payloads().contains("one"));
            await().atMost(WAIT).until(() -> open.get() == 0);
            sender.notifySoon(CHANNEL, "two");
            await().atMost(WAIT).until(() -> payloads().contains("two"));
            await().atMost(WAIT).until(() -> open.get() == 0);
            assertThat(sender.isRunning()).as("the thread waits, holding no connection").isTrue();
        }
    }

    /** Not every pool resets what a borrower changed: a business transaction must not inherit the 5 s timeout. */
    @Test
    void whatItChangesOnABorrowedConnectionIsSetBackBeforeItIsGivenBack() throws Exception {
        try (HikariDataSource manual = new HikariDataSource()) {
            manual.setJdbcUrl(schema.jdbcUrl());
            manual.setMaximumPoolSize(1);
            manual.setAutoCommit(false);
            List<String> changes = new CopyOnWriteArrayList<>();
            DataSource recording = proxy((method, args, target) -> {
                if (method.getName().equals("setNetworkTimeout")) {
                    changes.add("timeout " + args[1]);
                }
                else if (method.getName().equals("setAutoCommit")) {
                    changes.add("autoCommit " + args[0]);
                }
                else if (method.getName().equals("close")) {
                    changes.add("close");
                }
                return target.call();
            }, () -> { }, manual);
            int original;
            try (Connection connection = manual.getConnection()) {
                original = connection.getNetworkTimeout();
            }
            try (PostgresNotificationSender sender = new PostgresNotificationSender(recording, "test")) {
                sender.notifySoon(CHANNEL, "set-back");
                await().atMost(WAIT).until(() -> payloads().contains("set-back"));
                await().atMost(WAIT).until(() -> changes.contains("close"));
            }
            assertThat(changes).containsExactly("timeout " + PostgresNotificationSender.NETWORK_TIMEOUT.toMillis(),
                    "autoCommit true", "autoCommit false", "timeout " + original, "close");
        }
    }

    @Test
    void sendsAgainAfterAnOutageWarningOnceAndTellingWhenBack() {
        AtomicBoolean down = new AtomicBoolean();
        DataSource flaky = proxy((method, args, target) -> target.call(), () -> {
            if (down.get()) {
                throw new SQLException("Connection refused", "08001");
            }
        });
        try (PostgresNotificationSender sender = new PostgresNotificationSender(flaky, "test")) {
            sender.notifySoon(CHANNEL, "before");
            await().atMost(WAIT).until(() -> payloads().contains("before"));
            down.set(true);
            sender.notifySoon(CHANNEL, "during");
            await().atMost(WAIT).until(() -> this.logged.events().stream().anyMatch((e) -> e.getLevel() == Level.WARN));
            sender.notifySoon(CHANNEL, "during-2");
            down.set(false);
            await().atMost(WAIT).until(() -> payloads().containsAll(Set.of("during", "during-2")));
            assertThat(this.logged.events().stream().filter((event) -> event.getLevel() == Level.WARN)).hasSize(1);
            await().atMost(WAIT)
                .until(() -> this.logged.events().stream().filter((e) -> e.getLevel() == Level.INFO).count() == 1);
        }
    }

    @Test
    void aRefusedPairIsIsolatedDroppedAndLoggedWithoutBlockingTheOthers() {
        CountDownLatch gate = new CountDownLatch(1);
        DataSource refusingPoison = proxy((method, args, target) -> {
            if (method.getName().equals("createArrayOf") && List.of((Object[]) args[1]).contains("poison")) {
                throw new SQLException("invalid byte sequence", "22021");
            }
            return target.call();
        }, () -> assertThat(gate.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue());
        try (PostgresNotificationSender sender = new PostgresNotificationSender(refusingPoison, "test")) {
            sender.notifySoon(CHANNEL, "first");
            await().atMost(WAIT).until(() -> sender.pending() == 0 && sender.isRunning());
            for (String payload : List.of("a", "b", "poison", "c", "d")) {
                sender.notifySoon(CHANNEL, payload);
            }
            gate.countDown();
            await().atMost(WAIT).until(() -> payloads().containsAll(Set.of("first", "a", "b", "c", "d")));
            await().atMost(WAIT).until(() -> sender.dropped() == 1);
            sender.notifySoon(CHANNEL, "later");
            await().atMost(WAIT).until(() -> payloads().contains("later"));
            assertThat(payloads()).doesNotContain("poison");
            assertThat(this.logged.events().stream()
                .filter((e) -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains("poison"))).hasSize(1);
        }
    }

    @Test
    void anInterruptDuringTheBackOffDoesNotEndTheSender() throws Exception {
        AtomicBoolean down = new AtomicBoolean(true);
        DataSource flaky = proxy((method, args, target) -> target.call(), () -> {
            if (down.get()) {
                throw new SQLException("Connection refused", "08001");
            }
        });
        try (PostgresNotificationSender sender = new PostgresNotificationSender(flaky, "test")) {
            sender.notifySoon(CHANNEL, "during");
            await().atMost(WAIT).until(() -> this.logged.events().stream().anyMatch((e) -> e.getLevel() == Level.WARN));
            sender.thread().interrupt();
            down.set(false);
            sender.notifySoon(CHANNEL, "after");
            await().atMost(WAIT).until(() -> payloads().containsAll(Set.of("during", "after")));
            assertThat(sender.dropped()).isZero();
        }
    }

    @Test
    void aSenderThreadEndedByAnErrorIsStartedAgainByTheNextNotification() throws Exception {
        AtomicBoolean fail = new AtomicBoolean(true);
        DataSource failingOnce = proxy((method, args, target) -> target.call(), () -> {
            if (fail.getAndSet(false)) {
                throw new StackOverflowError("test");
            }
        });
        try (PostgresNotificationSender sender = new PostgresNotificationSender(failingOnce, "test")) {
            sender.notifySoon(CHANNEL, "lost");
            // The thread ends with the error, rethrown: uncaught on purpose.
            await().dontCatchUncaughtExceptions().atMost(WAIT).until(() -> !sender.isRunning() && sender.dropped() == 1);
            assertThat(this.logged.events().stream().filter((e) -> e.getLevel() == Level.ERROR)).hasSize(1);
            sender.notifySoon(CHANNEL, "after");
            await().atMost(WAIT).until(() -> payloads().contains("after"));
        }
    }

    @Test
    void anInterruptedIdleSenderStillSends() throws Exception {
        try (PostgresNotificationSender sender = new PostgresNotificationSender(dataSource, "test")) {
            sender.notifySoon(CHANNEL, "first");
            await().atMost(WAIT).until(() -> payloads().contains("first"));
            sender.thread().interrupt();
            sender.notifySoon(CHANNEL, "second");
            await().atMost(WAIT).until(() -> payloads().contains("second"));
            assertThat(sender.isRunning()).isTrue();
        }
    }

    /**
     * The first pair is taken by the thread, which then waits for a connection; meanwhile the queue coalesces
     * duplicates and drops distinct pairs beyond its capacity, and the caller never waits.
     */
    @Test
    void aFullQueueCoalescesDuplicatesAndDropsNewPairsWithoutBlockingTheCaller() throws Exception {
        CountDownLatch open = new CountDownLatch(1);
        DataSource gated = gated(open);
        try (PostgresNotificationSender sender = new PostgresNotificationSender(gated, "test", 2)) {
            sender.notifySoon(CHANNEL, "first");
            await().atMost(WAIT).until(() -> sender.pending() == 0 && sender.isRunning());
            for (String payload : List.of("b", "c", "b", "c", "d", "b")) {
                sender.notifySoon(CHANNEL, payload);
            }
            assertThat(sender.pending()).isEqualTo(2);
            assertThat(sender.dropped()).isEqualTo(1);
            open.countDown();
            await().atMost(WAIT).until(() -> payloads().containsAll(Set.of("first", "b", "c")));
            await().atMost(WAIT).until(() -> sender.sent() == 3);
            assertThat(payloads()).doesNotContain("d");
        }
    }

    @Test
    void closeSendsWhatIsQueuedAndEndsTheThread() {
        PostgresNotificationSender sender = new PostgresNotificationSender(dataSource, "test");
        for (int i = 0; i < 20; i++) {
            sender.notifySoon(CHANNEL, "queued-" + i);
        }
        sender.close();
        assertThat(sender.sent()).isEqualTo(20);
        assertThat(sender.isRunning()).isFalse();
        sender.notifySoon(CHANNEL, "after-close");
        assertThat(sender.pending()).isZero();
        await().atMost(WAIT).until(() -> payloads().contains("queued-19"));
        sender.close();
    }

    @Test
    void closeGivesUpAtOnceWhileTheDatabaseCannotBeReached() {
        DataSource unreachable = refusing();
        PostgresNotificationSender sender = new PostgresNotificationSender(unreachable, "test");
        sender.notifySoon(CHANNEL, "lost");
        await().atMost(WAIT).until(() -> this.logged.events().stream().anyMatch((e) -> e.getLevel() == Level.WARN));
        long start = System.nanoTime();
        sender.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(PostgresNotificationSender.CLOSE_TIMEOUT);
        assertThat(sender.isRunning()).isFalse();
        assertThat(sender.dropped()).isEqualTo(1);
        assertThat(this.logged.events().stream().filter((event) -> event.getLevel() == Level.WARN)).hasSize(1);
    }

    @Test
    void badChannelsAndPayloadsFailNamingTheValue() {
        try (PostgresNotificationSender sender = new PostgresNotificationSender(dataSource, "test")) {
            assertThatIllegalArgumentException().isThrownBy(() -> sender.notifyAfterCommit("", "x"))
                .withMessageContaining("Channel ''");
            assertThatIllegalArgumentException().isThrownBy(() -> sender.notifyAfterCommit("  ", "x"))
                .withMessageContaining("Channel '  '");
            assertThatIllegalArgumentException().isThrownBy(() -> sender.notifySoon("Upper", "x"))
                .withMessageContaining("'Upper'");
            assertThatIllegalArgumentException().isThrownBy(() -> sender.notifySoon("a; drop table x", "x"))
                .withMessageContaining("'a; drop table x'");
            assertThatIllegalArgumentException().isThrownBy(() -> sender.notifySoon("x".repeat(64), "x"))
                .withMessageContaining("at most 63");
            assertThatIllegalArgumentException().isThrownBy(() -> sender.notifySoon(CHANNEL, "é".repeat(4000)))
                .withMessageContaining("8000 bytes").withMessageContaining(CHANNEL);
            assertThatIllegalArgumentException().isThrownBy(() -> sender.notifySoon(CHANNEL, "a\0b"))
                .withMessageContaining("NUL").withMessageContaining("a\\0b").withMessageContaining(CHANNEL);
            assertThat(sender.isRunning()).isFalse();
        }
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new PostgresNotificationSender(dataSource, "test", 0))
            .withMessageContaining("was 0");
    }

    /** The test database, whose connections wait until the latch opens. */
    private static DataSource gated(CountDownLatch open) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] { DataSource.class },
                (proxy, method, args) -> {
                    if (method.getName().equals("getConnection")) {
                        assertThat(open.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                    }
                    try {
                        return method.invoke(dataSource, args);
                    }
                    catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                });
    }

    /** What a proxied connection does with a call, given the real call. */
    private interface ConnectionCall {

        Object call(java.lang.reflect.Method method, Object[] args, Callable<Object> target) throws Throwable;

    }

    /** A hook run before each connection is borrowed. */
    private interface BeforeBorrow {

        void run() throws Throwable;

    }

    /** The test database, running a hook before each borrow and passing each connection call through another. */
    private static DataSource proxy(ConnectionCall call, BeforeBorrow beforeBorrow) {
        return proxy(call, beforeBorrow, dataSource);
    }

    private static DataSource proxy(ConnectionCall call, BeforeBorrow beforeBorrow, DataSource real) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] { DataSource.class },
                (proxy, method, args) -> {
                    if (!method.getName().equals("getConnection")) {
                        return invoke(method, real, args);
                    }
                    beforeBorrow.run();
                    Connection connection = real.getConnection();
                    return Proxy.newProxyInstance(Connection.class.getClassLoader(),
                            new Class<?>[] { Connection.class }, (p, m, a) -> call.call(m, a, () -> {
                                try {
                                    return invoke(m, connection, a);
                                }
                                catch (Exception ex) {
                                    throw ex;
                                }
                                catch (Throwable ex) {
                                    throw new IllegalStateException(ex);
                                }
                            }));
                });
    }

    private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        }
        catch (InvocationTargetException ex) {
            throw ex.getCause();
        }
    }

    private static DataSource refusing() {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] { DataSource.class },
                (proxy, method, args) -> {
                    if (method.getName().equals("getConnection")) {
                        throw new java.sql.SQLException("Connection refused");
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
