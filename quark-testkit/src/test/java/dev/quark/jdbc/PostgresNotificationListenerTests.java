package dev.quark.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import ch.qos.logback.classic.Level;
import com.zaxxer.hikari.HikariDataSource;
import dev.quark.LogCapture;
import dev.quark.jdbc.PostgresNotificationListener.Notifications;
import dev.quark.jdbc.PostgresNotificationListener.Subscription;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.server.TcpProxy;
import org.junit.jupiter.api.AfterAll;
import org.postgresql.ds.PGSimpleDataSource;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

class PostgresNotificationListenerTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    /**
     * Channel names of this run: notification channels are database-wide, and other JVMs' tests listen on the same
     * database at the same time.
     */
    private static final String RUN = "quark_test_" + Long.toHexString(System.nanoTime());

    private static final String FIRST = RUN + "_first";

    private static final String SECOND = RUN + "_second";

    private static final String ADDED = RUN + "_added";

    private static final String REMOVED = RUN + "_removed";

    /** A channel name in mixed case, listened on exactly; {@link #EXACT} is its folded form. */
    private static final String EXACT_CASED = "Quark_Test_" + RUN.substring("quark_test_".length()) + "_Exact";

    private static final String EXACT = EXACT_CASED.toLowerCase(Locale.ROOT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcClient jdbc;

    private final List<Notifications> first = new CopyOnWriteArrayList<>();

    private final List<Notifications> second = new CopyOnWriteArrayList<>();

    @AutoClose
    private LogCapture logged;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(PostgresNotificationListenerTests.class);
        dataSource = dataSource(schema.jdbcUrl());
        jdbc = JdbcClient.create(dataSource);
    }

    private static HikariDataSource dataSource(String url) {
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl(url);
        pool.setMaximumPoolSize(8);
        return pool;
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
    void captureLogs() {
        this.logged = LogCapture.of(PostgresNotificationListener.class, Level.INFO);
    }

    private PostgresNotificationListener listener() {
        return new PostgresNotificationListener(dataSource, "test")
            .listen(FIRST, this.first::add)
            .listen(SECOND, this.second::add);
    }

    private static void notify(String channel, String payload) {
        jdbc.sql("select pg_notify(?, ?)").params(channel, payload).query((row) -> { });
    }

    private static Set<String> payloads(List<Notifications> received) {
        return received.stream()
            .flatMap((notifications) -> notifications.payloads().stream())
            .collect(java.util.stream.Collectors.toSet());
    }

    @Test
    void deliversEachChannelsPayloadsToItsCallbackOncePerBatch() {
        try (PostgresNotificationListener listener = listener()) {
            listener.start();
            new TransactionTemplate(new DataSourceTransactionManager(dataSource)).executeWithoutResult((status) -> {
                JdbcClient inTransaction = JdbcClient.create(dataSource);
                for (String payload : List.of("a", "b", "a", "a", "b")) {
                    inTransaction.sql("select pg_notify(?, ?)").param(FIRST).param(payload).query((row) -> { });
                }
            });
            await().atMost(WAIT).until(() -> !this.first.isEmpty());
            assertThat(this.first).containsExactly(new Notifications(Set.of("a", "b"), false));
            assertThat(this.second).isEmpty();
            notify(SECOND, "");
            await().atMost(WAIT).until(() -> !this.second.isEmpty());
            assertThat(this.second).containsExactly(new Notifications(Set.of(""), false));
        }
    }

    @Test
    void aRolledBackNotificationReachesNobody() {
        try (PostgresNotificationListener listener = listener()) {
            listener.start();
            TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
            transactions.executeWithoutResult((status) -> {
                JdbcClient.create(dataSource).sql("select pg_notify(?, 'rolled-back')").param(FIRST).query((row) -> { });
                status.setRollbackOnly();
            });
            notify(FIRST, "committed");
            await().atMost(WAIT).until(() -> payloads(this.first).contains("committed"));
            assertThat(payloads(this.first)).containsExactly("committed");
        }
    }

    @Test
    void listensAgainAfterItsConnectionIsTerminatedAndTellsEveryCallbackOnce() {
        try (PostgresNotificationListener listener = listener()) {
            listener.start();
            int pid = listener.connectionPid().orElseThrow();
            assertThat(jdbc.sql("select pg_terminate_backend(?)").param(pid).query(Boolean.class).single()).isTrue();
            await().atMost(WAIT).until(() -> this.first.contains(new Notifications(Set.of(), true))
                    && this.second.contains(new Notifications(Set.of(), true)));
            assertThat(listener.connectionPid()).isNotEqualTo(OptionalInt.of(pid)).isPresent();
            notify(FIRST, "after");
            await().atMost(WAIT).until(() -> payloads(this.first).contains("after"));
            assertThat(this.first.stream().filter(Notifications::missed)).hasSize(1);
            assertThat(this.logged.events().stream().filter((event) -> event.getLevel() == Level.WARN)).hasSize(1);
            assertThat(this.logged.events().stream().filter((event) -> event.getLevel() == Level.INFO)).hasSize(1);
        }
    }

    /**
     * A connection that goes half-open (no reset reaches the client) looks like a quiet one to a thread that only
     * waits for notifications: the listener makes the server answer now and then, and replaces a connection that does
     * not answer within the network timeout.
     */
    @Test
    void listensAgainWhenItsConnectionGoesHalfOpen() {
        try (TcpProxy proxy = proxyToServer(); HikariDataSource proxied = dataSource(proxiedUrl(proxy))) {
            // One idle connection, validated quickly: the pool does not check many stalled idle connections at length
            // before it opens a new one, so that listening again fits the wait on a loaded machine.
            proxied.setMinimumIdle(1);
            proxied.setValidationTimeout(250);
            PostgresNotificationListener listener = new PostgresNotificationListener(proxied, "test")
                .listen(FIRST, this.first::add)
                .validation(Duration.ofMillis(500), Duration.ofSeconds(1));
            try {
                listener.start();
                proxy.stall();
                await().atMost(WAIT).until(() -> this.first.stream().anyMatch(Notifications::missed));
                notify(FIRST, "after");
                await().atMost(WAIT).until(() -> payloads(this.first).contains("after"));
            }
            finally {
                listener.close();
            }
            assertThat(listener.isRunning()).isFalse();
        }
    }

    @Test
    void aListenerStartedWhileTheDatabaseIsUnreachableListensOnceItIsBack() {
        try (TcpProxy proxy = proxyToServer(); HikariDataSource proxied = dataSource(proxiedUrl(proxy))) {
            proxied.setConnectionTimeout(250);
            proxy.cut();
            PostgresNotificationListener listener = new PostgresNotificationListener(proxied, "test")
                .listen(FIRST, this.first::add);
            try {
                listener.start();
                assertThat(listener.connectionPid()).isEmpty();
                proxy.restore();
                await().atMost(WAIT).until(() -> this.first.stream().anyMatch(Notifications::missed));
                notify(FIRST, "after");
                await().atMost(WAIT).until(() -> payloads(this.first).contains("after"));
                assertThat(this.logged.events().stream().filter((event) -> event.getLevel() == Level.WARN)).hasSize(1);
            }
            finally {
                listener.close();
            }
        }
    }

    /**
     * A callback that breaks the thread on every call (here with a {@link VirtualMachineError}, even on the call that
     * says notifications may have been missed) does not make the listener loop: each new thread connects after a
     * pause twice as long as the last (from 50 ms here, 100 ms by default). Once that callback is gone, the other
     * callbacks are notified again; a close during a pause ends everything at once.
     */
    @Test
    void aCallbackThatKeepsBreakingTheThreadMakesTheListenerBackOff() {
        String failing = "quark_test_" + Long.toHexString(System.nanoTime()) + "_failing";
        String other = "quark_test_" + Long.toHexString(System.nanoTime()) + "_other";
        List<Long> calls = new CopyOnWriteArrayList<>();
        PostgresNotificationListener listener = new PostgresNotificationListener(dataSource, "test");
        Duration firstPause = Duration.ofMillis(50);
        listener.firstPause(firstPause);
        Subscription breaking = listener.subscribe(failing, (notifications) -> {
            calls.add(System.nanoTime());
            throw new InternalError("test: breaks the thread");
        });
        Subscription subscription = listener.subscribe(other, this.first::add);
        try (listener) {
            listener.startOrFail();
            notify(failing, "break");
            await("five calls, four restarts").atMost(WAIT).until(() -> calls.size() >= 5);
            for (int restart = 1; restart <= 4; restart++) {
                long pause = firstPause.toMillis() << (restart - 1);
                assertThat(Duration.ofNanos(calls.get(restart) - calls.get(restart - 1)))
                    .as("the pause before restart %d", restart)
                    .isGreaterThanOrEqualTo(Duration.ofMillis(pause * 9 / 10));
            }
            assertThat(breaking.isOpen()).isTrue();
            assertThat(subscription.isOpen()).isTrue();
            assertThat(listener.isRunning()).isTrue();
            breaking.close();
            long missed = this.first.stream().filter(Notifications::missed).count();
            await("listening again").atMost(Duration.ofSeconds(20))
                .until(() -> this.first.stream().filter(Notifications::missed).count() > missed);
            notify(other, "again");
            await("again").atMost(WAIT).until(() -> payloads(this.first).contains("again"));
            assertThat(this.logged.events()).filteredOn((event) -> event.getLevel() == Level.ERROR)
                .hasSizeGreaterThanOrEqualTo(5)
                .allSatisfy((event) -> assertThat(event.getFormattedMessage()).contains("stopped on an error"));
        }
        assertThat(listener.isRunning()).isFalse();
        assertThat(listener.isClosed()).isTrue();
        assertThat(subscription.isOpen()).isFalse();
    }

    @Test
    void aCloseDuringThePauseAfterABrokenThreadEndsItAtOnce() {
        String failing = "quark_test_" + Long.toHexString(System.nanoTime()) + "_broken";
        List<Long> calls = new CopyOnWriteArrayList<>();
        PostgresNotificationListener listener = new PostgresNotificationListener(dataSource, "test");
        listener.firstPause(Duration.ofSeconds(30));
        Subscription subscription = listener.subscribe(failing, (notifications) -> {
            calls.add(System.nanoTime());
            throw new InternalError("test: breaks the thread");
        });
        int before = dataSource.getHikariPoolMXBean().getActiveConnections();
        listener.startOrFail();
        notify(failing, "break");
        await("broken").atMost(WAIT).until(() -> !calls.isEmpty() && listener.connectionPid().isEmpty());
        assertThat(listener.isRunning()).as("a new thread waits to listen again").isTrue();
        await("the connection went back").atMost(WAIT)
            .until(() -> dataSource.getHikariPoolMXBean().getActiveConnections() == before);
        long closing = System.nanoTime();
        listener.close();
        assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(Duration.ofSeconds(5));
        assertThat(listener.isRunning()).isFalse();
        assertThat(subscription.isOpen()).isFalse();
        assertThat(calls).hasSize(1);
    }

    /**
     * The back-off after broken threads keeps doubling when the errors come back after each pause: the time a thread
     * listened counts from its connection, so a pause of {@link PostgresNotificationListener#MAX_PAUSE} before it does
     * not reset the next pause to the first one.
     */
    @Test
    void theRestartPauseDoublesUpToTheMaximumAndStartsAgainOnlyAfterListeningLongerThanIt() {
        Duration first = Duration.ofMillis(100);
        Duration max = Duration.ofSeconds(30);
        assertThat(PostgresNotificationListener.restartPause(null, Duration.ZERO, first, max)).isEqualTo(first);
        assertThat(PostgresNotificationListener.restartPause(first, Duration.ZERO, first, max))
            .isEqualTo(Duration.ofMillis(200));
        assertThat(PostgresNotificationListener.restartPause(Duration.ofMillis(25_600), Duration.ofSeconds(1), first,
                max)).isEqualTo(max);
        assertThat(PostgresNotificationListener.restartPause(max, Duration.ofMillis(50), first, max))
            .as("errors coming back right after a maximal pause").isEqualTo(max);
        assertThat(PostgresNotificationListener.restartPause(max, max, first, max)).isEqualTo(max);
        assertThat(PostgresNotificationListener.restartPause(max, max.plusMillis(1), first, max))
            .as("after listening longer than the maximum").isEqualTo(first);
    }

    /**
     * A callback that breaks the thread on every call does not keep the other channels' callbacks from being called:
     * they are told of notifications of the same poll and that they may have missed some after each restart.
     */
    @Test
    void aCallbackBreakingTheThreadLeavesTheOtherChannelsCallbacksCalled() {
        String failing = "quark_test_" + Long.toHexString(System.nanoTime()) + "_vm_first";
        String other = "quark_test_" + Long.toHexString(System.nanoTime()) + "_vm_second";
        PostgresNotificationListener listener = new PostgresNotificationListener(dataSource, "test");
        Subscription breaking = listener.subscribe(failing, (notifications) -> {
            throw new InternalError("test: breaks the thread");
        });
        Subscription subscription = listener.subscribe(other, this.first::add);
        try (listener) {
            listener.startOrFail();
            assertThat(breaking.awaitListening(WAIT) && subscription.awaitListening(WAIT)).isTrue();
            jdbc.sql("select pg_notify(?, 'a'), pg_notify(?, 'b')").params(failing, other).query((row) -> { });
            await("the other channel's callback told after the error").atMost(WAIT)
                .until(() -> payloads(this.first).contains("b")
                        && this.first.stream().filter(Notifications::missed).count() >= 2);
        }
    }

    /**
     * A channel added during the pause after a broken thread does not cut that pause short (a callback that keeps
     * breaking the thread would otherwise be retried at once each time an area subscribes); it is listened on once
     * the pause is over.
     */
    @Test
    void aChannelAddedDuringThePauseAfterABrokenThreadWaitsForThePause() {
        String failing = "quark_test_" + Long.toHexString(System.nanoTime()) + "_pausing";
        String added = "quark_test_" + Long.toHexString(System.nanoTime()) + "_added";
        List<Long> calls = new CopyOnWriteArrayList<>();
        PostgresNotificationListener listener = new PostgresNotificationListener(dataSource, "test");
        // Long enough that the channel is added, and seen not listening for a while, well within the pause.
        listener.firstPause(Duration.ofSeconds(3));
        listener.subscribe(failing, (notifications) -> {
            if (calls.isEmpty()) {
                calls.add(System.nanoTime());
                throw new InternalError("test: breaks the thread once");
            }
        });
        try (listener) {
            listener.startOrFail();
            notify(failing, "break");
            await("broken").atMost(WAIT).until(() -> !calls.isEmpty() && listener.connectionPid().isEmpty());
            Subscription subscription = listener.subscribe(added, this.first::add);
            assertThat(subscription.awaitListening(Duration.ofMillis(1500))).as("not listening during the pause")
                .isFalse();
            assertThat(subscription.awaitListening(Duration.ofSeconds(20))).as("listening after the pause").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - calls.get(0)))
                .isGreaterThanOrEqualTo(Duration.ofMillis(2700));
        }
    }

    /**
     * When giving the connection back fails with an unchecked exception, the listener still closes and ends its
     * subscriptions.
     */
    @Test
    void aCloseWhoseConnectionFailsToGoBackStillEndsTheSubscriptions() {
        DataSource failingRelease = new DelegatingDataSource(dataSource) {
            @Override
            public Connection getConnection() throws SQLException {
                Connection connection = super.getConnection();
                return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                        new Class<?>[] { Connection.class }, (proxy, method, args) -> {
                            Object result;
                            try {
                                result = method.invoke(connection, args);
                            }
                            catch (InvocationTargetException ex) {
                                throw ex.getCause();
                            }
                            if (method.getName().equals("close")) {
                                throw new IllegalStateException("test: giving the connection back fails");
                            }
                            return result;
                        });
            }
        };
        PostgresNotificationListener listener = new PostgresNotificationListener(failingRelease, "test");
        Subscription subscription = listener.subscribe(FIRST, this.first::add);
        listener.startOrFail();
        assertThat(subscription.awaitListening(WAIT)).isTrue();
        listener.close();
        await("the thread ended").atMost(WAIT).until(() -> !listener.isRunning());
        assertThat(listener.isClosed()).isTrue();
        assertThat(subscription.isOpen()).as("ended by the close").isFalse();
    }

    @Test
    void closeGivesTheConnectionBackNotListeningAndEndsTheThread() {
        int before = dataSource.getHikariPoolMXBean().getActiveConnections();
        PostgresNotificationListener listener = listener();
        listener.start();
        assertThat(listener.isRunning()).isTrue();
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before + 1);
        listener.close();
        assertThat(listener.isRunning()).isFalse();
        assertThat(listener.connectionPid()).isEmpty();
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before);
        assertThat(jdbc.sql("select count(*) from pg_listening_channels()").query(Long.class).single())
            .as("the connection went back to the pool without listening").isZero();
        listener.close();
    }

    @Test
    void channelsAreNamesWithOneCallbackEachThroughListen() {
        PostgresNotificationListener listener = new PostgresNotificationListener(dataSource, "test");
        assertThatIllegalArgumentException().isThrownBy(() -> listener.listen("Upper", (notifications) -> { }))
            .withMessageContaining("'Upper'");
        assertThatIllegalArgumentException().isThrownBy(() -> listener.listen("a; drop table x", (n) -> { }));
        assertThatIllegalArgumentException().isThrownBy(() -> listener.listen("x".repeat(64), (n) -> { }));
        assertThatIllegalArgumentException().isThrownBy(() -> listener.subscribe("Upper", (n) -> { }));
        listener.listen(FIRST, this.first::add);
        assertThatIllegalArgumentException().isThrownBy(() -> listener.listen(FIRST, (n) -> { }))
            .withMessageContaining("has a callback already");
        try (listener) {
            listener.start();
            assertThatIllegalStateException().isThrownBy(listener::start);
        }
        assertThatIllegalStateException().as("closed").isThrownBy(() -> listener.listen(SECOND, (n) -> { }))
            .withMessageContaining("was closed");
    }

    @Test
    void aChannelAddedWhileRunningReceivesOnceItListens() {
        try (PostgresNotificationListener listener = new PostgresNotificationListener(dataSource, "test")) {
            listener.start();
            int pid = listener.connectionPid().orElseThrow();
            Subscription subscription = listener.subscribe(FIRST, this.first::add);
            assertThat(subscription.awaitListening(WAIT)).isTrue();
            notify(FIRST, "added");
            await().atMost(WAIT).until(() -> payloads(this.first).contains("added"));
            // listen() does not wait for the LISTEN: notify until it is in place.
            listener.listen(SECOND, this.second::add);
            await().atMost(WAIT).until(() -> {
                notify(SECOND, "added too");
                return payloads(this.second).contains("added too");
            });
            assertThat(listener.connectionPid()).as("on the same connection").hasValue(pid);
            assertThat(listener.channels()).containsExactly(FIRST, SECOND);
            assertThat(this.first).noneMatch(Notifications::missed);
        }
    }

    @Test
    void closingOneSubscriptionLeavesTheChannelsOtherCallbacksAndTheOtherChannelsReceiving() {
        List<Notifications> alsoFirst = new CopyOnWriteArrayList<>();
        try (PostgresNotificationListener listener = new PostgresNotificationListener(dataSource, "test")) {
            Subscription one = listener.subscribe(FIRST, this.first::add);
            Subscription two = listener.subscribe(FIRST, alsoFirst::add);
            Subscription other = listener.subscribe(SECOND, this.second::add);
            listener.start();
            assertThat(one.awaitListening(WAIT) && two.awaitListening(WAIT) && other.awaitListening(WAIT)).isTrue();
            one.close();
            notify(FIRST, "to the second callback");
            await().atMost(WAIT).until(() -> payloads(alsoFirst).contains("to the second callback"));
            assertThat(this.first).as("a closed subscription is not called").isEmpty();
            assertThat(listener.channels()).containsExactlyInAnyOrder(FIRST, SECOND);
            two.close();
            assertThat(listener.channels()).containsExactly(SECOND);
            // Delivered in the order sent: once the second channel's arrives, the first's would have come before.
            notify(FIRST, "to nobody");
            notify(SECOND, "still listened");
            await().atMost(WAIT).until(() -> payloads(this.second).contains("still listened"));
            assertThat(payloads(alsoFirst)).doesNotContain("to nobody");
            assertThat(other.isOpen()).isTrue();
            assertThat(two.isOpen()).isFalse();
            assertThat(two.awaitListening(Duration.ZERO)).isFalse();
            two.close();
        }
        assertThat(this.logged.events().stream().filter((event) -> event.getLevel() == Level.WARN)).isEmpty();
    }

    /**
     * An Error thrown by one area's callback (an AssertionError of a test double, a LinkageError) used to end the
     * thread: every area's notifications stopped and the connection was never given back.
     */
    @Test
    void aCallbackThrowingAnErrorLeavesTheOtherSubscriptionsReceiving() {
        List<Notifications> alsoFirst = new CopyOnWriteArrayList<>();
        try (PostgresNotificationListener listener = new PostgresNotificationListener(dataSource, "test")) {
            Subscription failing = listener.subscribe(FIRST, (notifications) -> {
                throw new AssertionError("failing callback");
            });
            Subscription two = listener.subscribe(FIRST, alsoFirst::add);
            Subscription other = listener.subscribe(SECOND, this.second::add);
            listener.start();
            assertThat(failing.awaitListening(WAIT) && two.awaitListening(WAIT) && other.awaitListening(WAIT)).isTrue();
            notify(FIRST, "one");
            await("the other callback of the channel").atMost(WAIT).until(() -> payloads(alsoFirst).contains("one"));
            notify(FIRST, "two");
            notify(SECOND, "other");
            await("after the error").atMost(WAIT)
                .until(() -> payloads(alsoFirst).contains("two") && payloads(this.second).contains("other"));
            assertThat(listener.isRunning()).isTrue();
            assertThat(failing.isOpen()).isTrue();
            assertThat(this.logged.events().stream().filter((event) -> event.getLevel() == Level.WARN)).isNotEmpty()
                .allMatch((event) -> event.getFormattedMessage().contains("A callback of the test notifications"));
        }
    }

    /**
     * A channel added while the listener pauses after a failure to connect is listened on as soon as the database
     * answers, not after the pause (up to {@link PostgresNotificationListener#MAX_PAUSE}): the membership's watch
     * waits only {@link PostgresNotificationListener#VALIDATION_TIMEOUT} for its LISTEN.
     */
    @Test
    void aChannelAddedWhileTheListenerPausesIsListenedOnceTheDatabaseAnswers() {
        try (TcpProxy proxy = proxyToServer(); HikariDataSource proxied = dataSource(proxiedUrl(proxy))) {
            // Long enough for a new connection on a loaded machine (250 ms failed CI runs), short beside the bound below.
            proxied.setConnectionTimeout(2_000);
            PostgresNotificationListener listener = new PostgresNotificationListener(proxied, "test")
                .listen(FIRST, this.first::add);
            listener.firstPause(Duration.ofSeconds(30));
            try {
                listener.startOrFail();
                proxy.cut();
                await("connection lost").atMost(WAIT).until(() -> listener.connectionPid().isEmpty());
                proxy.restore();
                Subscription subscription = listener.subscribe(SECOND, this.second::add);
                assertThat(subscription.awaitListening(Duration.ofSeconds(15))).as("listening before the pause ends")
                    .isTrue();
                notify(SECOND, "after");
                await("after").atMost(WAIT).until(() -> payloads(this.second).contains("after"));
            }
            finally {
                listener.close();
            }
        }
    }

    @Test
    void unlistenRemovesAChannelWithAllItsCallbacks() {
        try (PostgresNotificationListener listener = listener()) {
            listener.start();
            Subscription more = listener.subscribe(FIRST, this.second::add);
            assertThat(listener.unlisten(FIRST)).isTrue();
            assertThat(listener.unlisten(FIRST)).isFalse();
            assertThat(more.isOpen()).isFalse();
            listener.listen(FIRST, this.first::add);
            assertThat(listener.channels()).containsExactlyInAnyOrder(FIRST, SECOND);
        }
    }

    @Test
    void aReconnectListensAgainOnEveryChannelIncludingThoseAddedWhileRunning() {
        List<Notifications> added = new CopyOnWriteArrayList<>();
        try (PostgresNotificationListener listener = listener()) {
            listener.start();
            Subscription subscription = listener.subscribe(ADDED, added::add);
            assertThat(subscription.awaitListening(WAIT)).isTrue();
            listener.subscribe(REMOVED, (n) -> { }).close();
            int pid = listener.connectionPid().orElseThrow();
            assertThat(jdbc.sql("select pg_terminate_backend(?)").param(pid).query(Boolean.class).single()).isTrue();
            await().atMost(WAIT).until(() -> added.stream().anyMatch(Notifications::missed)
                    && this.first.stream().anyMatch(Notifications::missed)
                    && this.second.stream().anyMatch(Notifications::missed));
            assertThat(listener.connectionPid()).isNotEqualTo(OptionalInt.of(pid)).isPresent();
            notify(ADDED, "after");
            notify(FIRST, "after");
            notify(SECOND, "after");
            await().atMost(WAIT).until(() -> payloads(added).contains("after") && payloads(this.first).contains("after")
                    && payloads(this.second).contains("after"));
            assertThat(added.stream().filter(Notifications::missed)).hasSize(1);
        }
    }

    @Test
    void aChannelAddedWhileTheConnectionIsDownIsListenedOnTheNextOne() {
        try (TcpProxy proxy = proxyToServer(); HikariDataSource proxied = dataSource(proxiedUrl(proxy))) {
            proxied.setConnectionTimeout(250);
            PostgresNotificationListener listener = new PostgresNotificationListener(proxied, "test")
                .listen(FIRST, this.first::add);
            try {
                listener.startOrFail();
                proxy.cut();
                await().atMost(WAIT).until(() -> listener.connectionPid().isEmpty());
                Subscription subscription = listener.subscribe(SECOND, this.second::add);
                assertThat(subscription.awaitListening(Duration.ofMillis(300))).as("no connection").isFalse();
                proxy.restore();
                assertThat(subscription.awaitListening(WAIT)).isTrue();
                await().atMost(WAIT).until(() -> this.second.stream().anyMatch(Notifications::missed));
                notify(SECOND, "after");
                await().atMost(WAIT).until(() -> payloads(this.second).contains("after"));
            }
            finally {
                listener.close();
            }
        }
    }

    @Test
    void aChannelRegisteredExactlyKeepsItsCase() {
        try (PostgresNotificationListener listener = new PostgresNotificationListener(dataSource, "test")
            .listenExactly(EXACT_CASED, this.first::add)
            .listen(SECOND, this.second::add)) {
            listener.startOrFail();
            notify(EXACT, "folded");
            notify(EXACT_CASED, "exact");
            notify(SECOND, "plain");
            await().atMost(WAIT).until(() -> payloads(this.first).contains("exact") && !this.second.isEmpty());
            assertThat(payloads(this.first)).as("a channel of another case is another channel").containsOnly("exact");
            assertThat(payloads(this.second)).containsOnly("plain");
        }
    }

    @Test
    void exactChannelsAreNotBlankWithoutNulAndAtMost63Bytes() {
        PostgresNotificationListener listener = new PostgresNotificationListener(dataSource, "test");
        assertThatIllegalArgumentException().isThrownBy(() -> listener.listenExactly(" ", (n) -> { }))
            .withMessageContaining("must not be blank");
        assertThatIllegalArgumentException().isThrownBy(() -> listener.listenExactly("a\0b", (n) -> { }))
            .withMessageContaining("NUL");
        assertThatIllegalArgumentException().isThrownBy(() -> listener.listenExactly("\u00e9".repeat(32), (n) -> { }))
            .withMessageContaining("at most 63 bytes");
        listener.listenExactly("Quark \"Test\" " + "x".repeat(49), this.first::add);
        assertThatIllegalArgumentException().isThrownBy(() -> listener.listenExactly("Quark \"Test\" " + "x".repeat(49),
                (n) -> { }))
            .withMessageContaining("has a callback already");
        try (listener) {
            listener.startOrFail();
            notify("Quark \"Test\" " + "x".repeat(49), "quoted");
            await().atMost(WAIT).until(() -> payloads(this.first).contains("quoted"));
            assertThatIllegalStateException().isThrownBy(listener::startOrFail);
        }
    }

    @Test
    void startOrFailThrowsWhenItCannotListenAndHoldsNothing() {
        PGSimpleDataSource nobody = new PGSimpleDataSource();
        nobody.setUrl("jdbc:postgresql://127.0.0.1:1/test?connectTimeout=5");
        PostgresNotificationListener listener = new PostgresNotificationListener(nobody, "test")
            .listen(FIRST, this.first::add);
        try (listener) {
            assertThatIllegalStateException().isThrownBy(listener::startOrFail)
                .withMessageContaining("Could not listen for test notifications on [" + FIRST + "]")
                .withCauseInstanceOf(SQLException.class);
            assertThat(listener.isRunning()).isFalse();
            assertThat(this.logged.events()).as("the caller reports the failure").isEmpty();
            assertThatIllegalStateException().as("may be tried again").isThrownBy(listener::startOrFail)
                .withMessageContaining("Could not listen");
        }
        assertThat(this.first).isEmpty();
    }

    private static TcpProxy proxyToServer() {
        Matcher url = serverUrl();
        return TcpProxy.start(url.group(1), (url.group(2) != null) ? Integer.parseInt(url.group(2)) : 5432);
    }

    private static String proxiedUrl(TcpProxy proxy) {
        return "jdbc:postgresql://" + proxy.host() + ":" + proxy.port() + "/" + serverUrl().group(3);
    }

    private static Matcher serverUrl() {
        Matcher url = Pattern.compile("jdbc:postgresql://([^:/]+)(?::(\\d+))?/(.*)").matcher(schema.jdbcUrl());
        assertThat(url.matches()).as(schema.jdbcUrl()).isTrue();
        return url;
    }
}
