package dev.quark.durabletasks.store.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.durabletasks.ActivityContext;
import dev.quark.durabletasks.DurableTaskClient;
import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.OrchestrationContext;
import dev.quark.durabletasks.OrchestrationState;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.ScheduleOptions;
import dev.quark.durabletasks.client.InstanceUpdates;
import dev.quark.durabletasks.client.StoreDurableTaskClient;
import dev.quark.durabletasks.payload.JacksonPayloadConverter;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.RowLeases;
import dev.quark.durabletasks.worker.DurableTaskWorker;
import dev.quark.jdbc.PostgresNotificationListener;
import dev.quark.jdbc.PostgresNotificationSender;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.FencingToken;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Durable-task nodes sharing one PostgreSQL store: a worker that polls every 30 seconds and listens to the store's
 * notifications ({@link PostgresDurableTaskWakeUps}), and another node that schedules work and raises events. The
 * worker polls once when it starts, so work it finishes within seconds afterwards was claimed because a notification
 * woke it.
 */
class JdbcDurableTaskWakeUpsTests {

    /**
     * A table prefix of this run's own: notification channels are named after the tables and are database-wide, not
     * per schema, so with the default prefix another JVM's tests on the same database would wake these workers.
     */
    private static final TablePrefix PREFIX = new TablePrefix("qw" + Long.toString(System.nanoTime() & 0xffffffffL, 36)
            + "_");

    private static final Duration LONG_POLL = Duration.ofSeconds(30);

    private static final Duration WAKE_UP = Duration.ofSeconds(5);

    /** How soon after it comes due work runs: a generous bound for a loaded machine, far below the 30 s poll. */
    private static final Duration ON_TIME = Duration.ofMillis(1000);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    /** The worker's looks at the store's next visible work that returned. */
    private final AtomicInteger looks = new AtomicInteger();

    private final List<AutoCloseable> started = new ArrayList<>();

    private final DurableTaskRegistry registry = DurableTaskRegistry.builder(new JacksonPayloadConverter())
        .activity("greet", String.class, (ActivityContext ctx, String name) -> "hello " + name)
        .orchestration("greeting", String.class, () -> (OrchestrationContext ctx, String name) -> {
            String greeting = ctx.callActivity("greet", name, String.class).await();
            return greeting + ", " + ctx.waitForExternalEvent("go", String.class).await();
        })
        .orchestration("later", String.class, () -> (OrchestrationContext ctx, String input) -> input)
        .orchestration("napping", String.class, () -> (OrchestrationContext ctx, String input) -> {
            ctx.createTimer(Duration.ofSeconds(2)).await();
            return input;
        })
        .build();

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcDurableTaskWakeUpsTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(16);
        JdbcLeaseStore.migration(PREFIX).apply(dataSource);
        JdbcDurableTaskStore.migration(PREFIX).apply(dataSource);
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

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : this.started.reversed()) {
            closeable.close();
        }
    }

    private JdbcDurableTaskStore store(boolean notifying) {
        PostgresNotificationSender sender = null;
        if (notifying) {
            sender = new PostgresNotificationSender(dataSource, "durabletasks");
            this.started.add(sender);
        }
        return new JdbcDurableTaskStore(dataSource, PREFIX, sender);
    }

    /** A node that schedules and raises events but runs no worker: it wakes nobody of its own. */
    private DurableTaskClient producer(boolean notifying) {
        return new StoreDurableTaskClient(store(notifying), new JacksonPayloadConverter(), Clock.systemUTC(),
                (DurableTaskRegistry) null, () -> {
                }, new InstanceUpdates());
    }

    /**
     * Starts the worker node, listening to the store's notifications, and waits for the poll of its start and the look
     * at the store that follows it, so that no poll of the start finds what a test writes next.
     */
    private DurableTaskClient consumer() {
        JdbcDurableTaskStore store = store(true);
        DurableTaskStore counting = (DurableTaskStore) Proxy.newProxyInstance(DurableTaskStore.class.getClassLoader(),
                new Class<?>[] { DurableTaskStore.class, RowLeases.class }, (proxy, method, args) -> {
                    if (method.getName().equals("rowLeases")) {
                        return Optional.of(proxy);
                    }
                    try {
                        return method.invoke(store, args);
                    }
                    catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                    finally {
                        if (method.getName().equals("nextVisibleAfter")) {
                            this.looks.incrementAndGet();
                        }
                    }
                });
        DurableTaskWorker worker = DurableTaskWorker
            .builder(counting, new JdbcLeaseStore(dataSource, PREFIX, Clock.systemUTC()), this.registry)
            .owner("consumer")
            .pollInterval(LONG_POLL)
            .shutdownTimeout(Duration.ofSeconds(5))
            .build();
        this.started.add(worker);
        PostgresDurableTaskWakeUps wakeUps = new PostgresDurableTaskWakeUps(dataSource, store.channel(), worker::wake);
        this.started.add(wakeUps);
        wakeUps.start();
        worker.start();
        // The look starts once the poll's claims were made.
        await("the start's poll and look").atMost(WAKE_UP).until(() -> this.looks.get() > 0);
        return new StoreDurableTaskClient(counting, new JacksonPayloadConverter(), Clock.systemUTC(), this.registry,
                worker::wake, new InstanceUpdates());
    }

    private static boolean hasStatus(DurableTaskClient client, String id, OrchestrationStatus status) {
        return client.getState(id).map(OrchestrationState::status).orElse(null) == status;
    }

    @Test
    void workScheduledAndEventsRaisedOnAnotherNodeWakeTheWorkerAtOnce() {
        DurableTaskClient worker = consumer();
        DurableTaskClient producer = producer(true);
        String id = producer.schedule("greeting", "ada");
        await().atMost(WAKE_UP).until(() -> worker.getHistory(id).stream()
            .anyMatch((event) -> event instanceof dev.quark.durabletasks.history.TaskCompleted));
        producer.raiseEvent(id, "go", "bye");
        await().atMost(WAKE_UP).until(() -> hasStatus(worker, id, OrchestrationStatus.COMPLETED));
        assertThat(producer.getState(id).orElseThrow().readOutput(String.class)).isEqualTo("hello ada, bye");
    }

    /**
     * The other node's store tells of the instance it created to start later; the worker, finding no work yet, asks
     * the store when work becomes visible and polls then.
     */
    @Test
    void anInstanceScheduledOnAnotherNodeToStartLaterStartsWhenItComesDueNotAtThePoll() {
        DurableTaskClient worker = consumer();
        Instant startAt = Instant.now().plusSeconds(2);
        String id = producer(true).schedule("later", "on time", new ScheduleOptions(null, startAt));
        await().atMost(WAKE_UP.plusSeconds(2)).until(() -> hasStatus(worker, id, OrchestrationStatus.COMPLETED));
        assertThat(worker.getState(id).orElseThrow().updatedAt()).isAfterOrEqualTo(startAt)
            .isBefore(startAt.plus(ON_TIME));
    }

    @Test
    void aDurableTimerFiresWhenItComesDueNotAtThePoll() {
        DurableTaskClient worker = consumer();
        String id = worker.schedule("napping", "rested");
        await().atMost(WAKE_UP.plusSeconds(2)).until(() -> hasStatus(worker, id, OrchestrationStatus.COMPLETED));
        Instant fireAt = worker.getHistory(id).stream()
            .filter(dev.quark.durabletasks.history.TimerCreated.class::isInstance)
            .map((event) -> ((dev.quark.durabletasks.history.TimerCreated) event).fireAt())
            .findFirst()
            .orElseThrow();
        assertThat(worker.getState(id).orElseThrow().updatedAt()).isAfterOrEqualTo(fireAt)
            .isBefore(fireAt.plus(ON_TIME));
    }

    /**
     * Another node's worker runs the step that creates the timer and stops: the commit of that step tells the
     * consumer, which finds the timer in the store and fires it when it comes due.
     */
    @Test
    void aDurableTimerCreatedOnAnotherNodeFiresWhenItComesDueNotAtThePoll() {
        DurableTaskClient worker = consumer();
        JdbcDurableTaskStore producerStore = store(true);
        DurableTaskWorker producerWorker = DurableTaskWorker
            .builder(producerStore, new JdbcLeaseStore(dataSource, PREFIX, Clock.systemUTC()), this.registry)
            .owner("producer")
            .pollInterval(LONG_POLL)
            .shutdownTimeout(Duration.ofSeconds(5))
            .build();
        this.started.add(producerWorker);
        DurableTaskClient producer = new StoreDurableTaskClient(producerStore, new JacksonPayloadConverter(),
                Clock.systemUTC(), this.registry, producerWorker::wake, new InstanceUpdates());
        producerWorker.start();
        String id = producer.schedule("napping", "rested elsewhere");
        await("the timer created on the other node").atMost(WAKE_UP).until(() -> worker.getHistory(id).stream()
            .anyMatch(dev.quark.durabletasks.history.TimerCreated.class::isInstance));
        producerWorker.close();
        Instant fireAt = worker.getHistory(id).stream()
            .filter(dev.quark.durabletasks.history.TimerCreated.class::isInstance)
            .map((event) -> ((dev.quark.durabletasks.history.TimerCreated) event).fireAt())
            .findFirst()
            .orElseThrow();
        await().atMost(WAKE_UP.plusSeconds(2)).until(() -> hasStatus(worker, id, OrchestrationStatus.COMPLETED));
        assertThat(worker.getState(id).orElseThrow().updatedAt()).isAfterOrEqualTo(fireAt)
            .isBefore(fireAt.plus(ON_TIME));
    }

    @Test
    void withoutNotificationsWorkScheduledOnAnotherNodeWaitsForThePoll() {
        DurableTaskClient worker = consumer();
        String id = producer(false).schedule("greeting", "grace");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
            .until(() -> hasStatus(worker, id, OrchestrationStatus.PENDING));
    }

    @Test
    void theStoreNotifiesItsChannelNamedAfterItsTables() {
        JdbcDurableTaskStore store = store(true);
        assertThat(store.channel()).isEqualTo(PREFIX.table("durable_work").toLowerCase(java.util.Locale.ROOT));
        assertThat(store.notifying()).isTrue();
        assertThat(new JdbcDurableTaskStore(dataSource, PREFIX).notifying()).isFalse();
    }

    /** A worker stopping gives its instance back: the other workers are told at once. */
    @Test
    void anInstanceGivenBackNotifiesTheOtherWorkers() {
        String id = producer(false).schedule("greeting", "given back");
        JdbcDurableTaskStore store = store(true);
        FencingToken token = new FencingToken(1_000_000);
        assertThat(store.claimInstance(id, token, Instant.now())).isPresent();
        List<PostgresNotificationListener.Notifications> received = new CopyOnWriteArrayList<>();
        PostgresNotificationListener listener = new PostgresNotificationListener(dataSource, "test")
            .listen(store.channel(), received::add);
        this.started.add(listener);
        listener.start();
        store.releaseInstance(id, new FencingToken(999_999));
        store.releaseInstance(id, token);
        await().atMost(WAKE_UP).until(() -> received.stream().anyMatch((n) -> !n.payloads().isEmpty()));
        assertThat(store.notifying()).isTrue();
    }

    /**
     * A poison instance, given back and claimed again in a loop, notifies the other workers once per interval, not
     * once per release: the first release at once, the rest of the interval once at its end.
     */
    @Test
    void releasesInALoopNotifyOncePerInterval() {
        String id = producer(false).schedule("greeting", "poison");
        PostgresNotificationSender sender = new PostgresNotificationSender(dataSource, "durabletasks");
        this.started.add(sender);
        JdbcDurableTaskStore store = new JdbcDurableTaskStore(dataSource, PREFIX, sender, Duration.ofSeconds(3));
        List<PostgresNotificationListener.Notifications> received = new CopyOnWriteArrayList<>();
        PostgresNotificationListener listener = new PostgresNotificationListener(dataSource, "test")
            .listen(store.channel(), (notifications) -> {
                if (!notifications.payloads().isEmpty()) {
                    received.add(notifications);
                }
            });
        this.started.add(listener);
        listener.startOrFail();
        long start = System.nanoTime();
        FencingToken first = new FencingToken(2_000_000);
        assertThat(store.claimInstance(id, first, Instant.now())).isPresent();
        store.releaseInstance(id, first);
        await().atMost(WAKE_UP).until(() -> received.size() == 1);
        for (int i = 1; i <= 10; i++) {
            FencingToken token = new FencingToken(2_000_000 + i);
            assertThat(store.claimInstance(id, token, Instant.now())).isPresent();
            store.releaseInstance(id, token);
        }
        await().atMost(WAKE_UP).until(() -> received.size() == 2);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> received.size() == 2);
    }
}
