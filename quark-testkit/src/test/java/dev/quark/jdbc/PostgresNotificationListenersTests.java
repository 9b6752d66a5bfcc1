package dev.quark.jdbc;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.PostgresNotificationListener.Notifications;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shared listener of each data source: areas that subscribe on one data source share one connection, areas on
 * another get one of their own, and closing one area's wake-ups leaves the others' channels listened.
 */
class PostgresNotificationListenersTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

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
