package dev.quark.jdbc;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import ch.qos.logback.classic.Level;
import com.zaxxer.hikari.HikariDataSource;
import dev.quark.LogCapture;
import dev.quark.jdbc.PostgresNotificationListener.Notifications;
import dev.quark.jdbc.PostgresNotificationListener.Subscription;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.LazyConnectionDataSourceProxy;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * The shared listener of each data source: areas that subscribe on one data source share one connection, areas on
 * another get one of their own, and closing one area's wake-ups leaves the others' channels listened.
 */
class PostgresNotificationListenersTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static final String RUN = Long.toHexString(System.nanoTime());

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static HikariDataSource other;

    private static JdbcClient jdbc;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(PostgresNotificationListenersTests.class);
        dataSource = pool();
        other = pool();
        jdbc = JdbcClient.create(dataSource);
        // Hikari starts its pool on the first connection.
        jdbc.sql("select 1").query(Integer.class).single();
        JdbcClient.create(other).sql("select 1").query(Integer.class).single();
    }

    private static HikariDataSource pool() {
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl(schema.jdbcUrl());
        pool.setMaximumPoolSize(4);
        return pool;
    }

    @AfterAll
    static void disconnect() {
        for (HikariDataSource pool : new HikariDataSource[] { dataSource, other }) {
            if (pool != null) {
                pool.close();
            }
        }
        if (schema != null) {
            schema.close();
        }
    }

    private static void notify(String channel, String payload) {
        jdbc.sql("select pg_notify(?, ?)").params(channel, payload).query((row) -> { });
    }

    @Test
    void wakeUpsOnOneDataSourceShareOneConnectionAndOnAnotherGetTheirOwn() {
        List<Notifications> jobs = new CopyOnWriteArrayList<>();
        List<Notifications> tasks = new CopyOnWriteArrayList<>();
        List<Notifications> elsewhere = new CopyOnWriteArrayList<>();
        List<DataSource> opened = new CopyOnWriteArrayList<>();
        int before = dataSource.getHikariPoolMXBean().getActiveConnections();
        PostgresNotificationListeners listeners = new PostgresNotificationListeners("test", opened::add);
        assertThat(listeners.listeners()).as("nothing held before an area subscribes").isEmpty();
        PostgresWakeUps jobWakeUps = PostgresWakeUps.sharedListener(listeners, dataSource, "quark_test_jobs", jobs::add);
        PostgresWakeUps taskWakeUps = PostgresWakeUps.sharedListener(listeners, dataSource, "quark_test_tasks",
                tasks::add);
        PostgresWakeUps otherWakeUps = PostgresWakeUps.sharedListener(listeners, other, "quark_test_jobs",
                elsewhere::add);
        try (listeners) {
            jobWakeUps.start();
            taskWakeUps.start();
            otherWakeUps.start();
            assertThat(listeners.listeners()).hasSize(2);
            assertThat(opened).containsExactly(dataSource, other);
            assertThat(jobWakeUps.listener()).isSameAs(taskWakeUps.listener()).isNotSameAs(otherWakeUps.listener());
            assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before + 1);
            notify("quark_test_jobs", "job");
            notify("quark_test_tasks", "task");
            await().atMost(WAIT).until(() -> !jobs.isEmpty() && !tasks.isEmpty() && !elsewhere.isEmpty());
            assertThat(jobs).containsExactly(new Notifications(Set.of("job"), false));
            assertThat(elsewhere).containsExactly(new Notifications(Set.of("job"), false));

            jobWakeUps.close();
            assertThat(jobWakeUps.isRunning()).isFalse();
            assertThat(taskWakeUps.isRunning()).isTrue();
            assertThat(taskWakeUps.listener().channels()).containsExactly("quark_test_tasks");
            notify("quark_test_jobs", "job after");
            notify("quark_test_tasks", "task after");
            await().atMost(WAIT).until(() -> tasks.size() == 2);
            assertThat(jobs).hasSize(1);
            assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before + 1);
        }
        assertThat(taskWakeUps.isRunning()).isFalse();
        assertThat(otherWakeUps.isRunning()).isFalse();
        assertThat(listeners.listeners()).isEmpty();
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before);
    }

    /**
     * Spring's wrappers of one pool (a transaction-aware proxy, a lazy-connection proxy, a wrapper of a wrapper) share
     * the pool's listener and its one connection; the pool itself asked for later gets the same listener.
     */
    @Test
    void wrappersOfOnePoolShareItsListenerAndItsOneConnection() {
        List<DataSource> opened = new CopyOnWriteArrayList<>();
        int before = dataSource.getHikariPoolMXBean().getActiveConnections();
        DataSource transactionAware = new TransactionAwareDataSourceProxy(dataSource);
        try (PostgresNotificationListeners listeners = new PostgresNotificationListeners("test", opened::add)) {
            PostgresNotificationListener first = listeners.listener(transactionAware);
            assertThat(listeners.listener(new LazyConnectionDataSourceProxy(dataSource))).isSameAs(first);
            assertThat(listeners.listener(new DelegatingDataSource(new DelegatingDataSource(dataSource))))
                .isSameAs(first);
            assertThat(listeners.listener(dataSource)).isSameAs(first);
            assertThat(listeners.listener(other)).isNotSameAs(first);
            assertThat(opened).as("one opening per pool, with the data source first asked for")
                .containsExactly(transactionAware, other);
            List<Notifications> received = new CopyOnWriteArrayList<>();
            assertThat(first.subscribe("quark_test_" + RUN + "_wrapped", received::add).awaitListening(WAIT))
                .isTrue();
            assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before + 1);
            notify("quark_test_" + RUN + "_wrapped", "through a wrapper");
            await().atMost(WAIT).until(() -> !received.isEmpty());
        }
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before);
    }

    @Test
    void aListenerClosedOrEndedIsReplaced() {
        try (PostgresNotificationListeners listeners = new PostgresNotificationListeners("test")) {
            PostgresNotificationListener first = listeners.listener(dataSource);
            assertThat(listeners.listener(dataSource)).isSameAs(first);
            first.close();
            PostgresNotificationListener second = listeners.listener(dataSource);
            assertThat(second).isNotSameAs(first);
            assertThat(second.isRunning()).isTrue();
            assertThat(listeners.listeners()).containsExactly(second);
            List<Notifications> received = new CopyOnWriteArrayList<>();
            PostgresWakeUps wakeUps = PostgresWakeUps.sharedListener(listeners, dataSource, "quark_test_replaced",
                    received::add);
            wakeUps.start();
            assertThat(wakeUps.listener()).isSameAs(second);
            notify("quark_test_replaced", "again");
            await("on the new listener").atMost(WAIT).until(() -> !received.isEmpty());
        }
    }

    /**
     * A listener closed by one of its own callbacks keeps its thread until the callback returns: the registry must not
     * hand it out meanwhile (a subscription on it would be refused), but a new one.
     */
    @Test
    void aListenerClosedWhileItsThreadStillEndsIsReplacedAtOnce() throws InterruptedException {
        String closing = channel("closing");
        String after = channel("after");
        CountDownLatch closedInside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Notifications> received = new CopyOnWriteArrayList<>();
        try (PostgresNotificationListeners listeners = new PostgresNotificationListeners("test")) {
            PostgresNotificationListener first = listeners.listener(dataSource);
            Subscription closer = first.subscribe(closing, (notifications) -> {
                if (notifications.payloads().contains("close")) {
                    first.close();
                    closedInside.countDown();
                    awaitQuietly(release);
                }
            });
            assertThat(closer.awaitListening(WAIT)).isTrue();
            notify(closing, "close");
            assertThat(closedInside.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            try {
                assertThat(first.isRunning()).as("its thread still ends").isTrue();
                PostgresNotificationListener second = listeners.listener(dataSource);
                assertThat(second).isNotSameAs(first);
                Subscription subscription = second.subscribe(after, received::add);
                assertThat(subscription.awaitListening(WAIT)).isTrue();
                assertThat(listeners.listeners()).containsExactly(second);
            }
            finally {
                release.countDown();
            }
            notify(after, "on the new listener");
            await("on the new listener").atMost(WAIT)
                .until(() -> received.contains(new Notifications(Set.of("on the new listener"), false)));
            await("the first listener's thread ended").atMost(WAIT).until(() -> !first.isRunning());
        }
    }

    /**
     * A {@link VirtualMachineError} in one area's callback ends the listener's thread; the registry's listener goes
     * on with a new thread: every area stays subscribed, is told once that it may have missed notifications, and gets
     * what is notified afterwards, on one connection as before.
     */
    @Test
    void afterACallbackKillsTheListenersThreadEveryAreaIsNotifiedAgain() {
        String jobsChannel = channel("jobs");
        String tasksChannel = channel("tasks");
        List<Notifications> jobs = new CopyOnWriteArrayList<>();
        List<Notifications> tasks = new CopyOnWriteArrayList<>();
        LogCapture logged = LogCapture.of(PostgresNotificationListener.class);
        int before = dataSource.getHikariPoolMXBean().getActiveConnections();
        try (PostgresNotificationListeners listeners = new PostgresNotificationListeners("test")) {
            PostgresWakeUps jobWakeUps = PostgresWakeUps.sharedListener(listeners, dataSource, jobsChannel,
                    (notifications) -> {
                        jobs.add(notifications);
                        if (notifications.payloads().contains("die")) {
                            throw new InternalError("test: the callback breaks the thread");
                        }
                    });
            PostgresWakeUps taskWakeUps = PostgresWakeUps.sharedListener(listeners, dataSource, tasksChannel,
                    tasks::add);
            jobWakeUps.start();
            taskWakeUps.start();
            PostgresNotificationListener listener = listeners.listener(dataSource);
            notify(jobsChannel, "die");
            await("both areas told they may have missed notifications").atMost(WAIT)
                .until(() -> jobs.contains(Notifications.MISSED) && tasks.contains(Notifications.MISSED));
            assertThat(logged.events()).filteredOn((event) -> event.getLevel() == Level.ERROR).singleElement()
                .satisfies((event) -> assertThat(event.getFormattedMessage()).contains("stopped on an error")
                    .contains(jobsChannel).contains(tasksChannel));
            assertThat(jobWakeUps.isRunning()).isTrue();
            assertThat(taskWakeUps.isRunning()).isTrue();
            assertThat(listeners.listener(dataSource)).isSameAs(listener);
            notify(jobsChannel, "job after");
            notify(tasksChannel, "task after");
            await("both areas notified again").atMost(WAIT)
                .until(() -> jobs.contains(new Notifications(Set.of("job after"), false))
                        && tasks.contains(new Notifications(Set.of("task after"), false)));
            assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).as("one connection, none leaked")
                .isEqualTo(before + 1);
        }
        finally {
            logged.close();
        }
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before);
    }

    /** A channel of this run: channels are database-wide, and other JVMs' tests use the same database. */
    private static String channel(String name) {
        return "quark_test_" + RUN + "_" + name;
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
     * The shared listener's thread may be late to LISTEN (busy in another area's callback): the wake-ups' start does
     * not wait for ever, and their callback is told it may have missed notifications once the LISTEN is done.
     */
    @Test
    void wakeUpsThatDoNotListenInTimeAreToldTheyMayHaveMissedNotifications() {
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Notifications> received = new CopyOnWriteArrayList<>();
        LogCapture logged = LogCapture.of(PostgresWakeUps.class);
        try (PostgresNotificationListeners listeners = new PostgresNotificationListeners("test")) {
            PostgresNotificationListener listener = listeners.listener(dataSource);
            Subscription blocking = listener.subscribe("quark_test_busy", (notifications) -> {
                busy.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(blocking.awaitListening(WAIT)).isTrue();
            notify("quark_test_busy", "block");
            await("the listener's thread busy").atMost(WAIT).until(() -> busy.getCount() == 0);
            PostgresWakeUps wakeUps = PostgresWakeUps.sharedListener(listeners, dataSource, "quark_test_late",
                    received::add);
            try {
                wakeUps.start();
                assertThat(logged.events()).singleElement()
                    .satisfies((event) -> assertThat(event.getLevel()).isEqualTo(Level.WARN))
                    .satisfies((event) -> assertThat(event.getFormattedMessage()).contains("quark_test_late"));
                assertThat(received).isEmpty();
            }
            finally {
                release.countDown();
            }
            await("told it missed").atMost(WAIT).until(() -> received.contains(new Notifications(Set.of(), true)));
            notify("quark_test_late", "later");
            await("later").atMost(WAIT).until(() -> received.contains(new Notifications(Set.of("later"), false)));
        }
        finally {
            release.countDown();
            logged.close();
        }
    }

    @Test
    void sharedWakeUpsCheckTheirChannelName() {
        try (PostgresNotificationListeners listeners = new PostgresNotificationListeners("test")) {
            assertThatIllegalArgumentException()
                .isThrownBy(() -> PostgresWakeUps.sharedListener(listeners, dataSource, "Quark-Jobs", (n) -> { }))
                .withMessageContaining("Quark-Jobs");
            assertThat(listeners.listeners()).as("nothing opened").isEmpty();
        }
    }

    @Test
    void wakeUpsOfTheirOwnHoldAConnectionOfTheirOwn() {
        List<Notifications> received = new CopyOnWriteArrayList<>();
        int before = dataSource.getHikariPoolMXBean().getActiveConnections();
        try (PostgresWakeUps wakeUps = PostgresWakeUps.ownListener(dataSource, "test", "quark_test_own",
                received::add)) {
            wakeUps.start();
            assertThat(wakeUps.isRunning()).isTrue();
            assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before + 1);
            notify("quark_test_own", "own");
            await().atMost(WAIT).until(() -> !received.isEmpty());
        }
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before);
    }
}
