package dev.quark.durabletasks.store.redis;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.durabletasks.ActivityContext;
import dev.quark.durabletasks.ActivityOptions;
import dev.quark.durabletasks.DurableTaskClient;
import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.OrchestrationContext;
import dev.quark.durabletasks.OrchestrationState;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.ScheduleOptions;
import dev.quark.durabletasks.client.InstanceUpdates;
import dev.quark.durabletasks.client.StoreDurableTaskClient;
import dev.quark.durabletasks.history.EventRaised;
import dev.quark.durabletasks.history.OrchestratorStarted;
import dev.quark.durabletasks.history.TaskCompleted;
import dev.quark.durabletasks.history.TaskScheduled;
import dev.quark.durabletasks.history.TimerCreated;
import dev.quark.durabletasks.payload.JacksonPayloadConverter;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.NewActivity;
import dev.quark.durabletasks.store.NewInstance;
import dev.quark.durabletasks.store.OrchestrationCommit;
import dev.quark.durabletasks.store.OrchestrationWorkItem;
import dev.quark.durabletasks.store.ReceivedMessage;
import dev.quark.durabletasks.store.TaskMessage;
import dev.quark.durabletasks.worker.DurableTaskWorker;
import dev.quark.lease.FencingToken;
import dev.quark.lease.redis.RedisLeaseStore;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.types.RedisClientInfo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * Two durable-task nodes sharing one Redis store: a consumer whose worker polls every 30 seconds and subscribes to
 * the store's channel ({@link RedisDurableTaskWakeUps}), and a producer that schedules work and raises events (a node
 * without a worker, or with one of its own). The consumer polls once when it starts, so work it runs within seconds
 * afterwards was claimed because a notice woke it.
 */
class RedisDurableTaskWakeUpsTests {

    private static final Duration LONG_POLL = Duration.ofSeconds(30);

    private static final Duration WAKE_UP = Duration.ofSeconds(5);

    /** How soon after it comes due work runs on the other node: a generous bound for a loaded machine. */
    private static final Duration ON_TIME = Duration.ofMillis(1000);

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static StringRedisTemplate redis;

    private static RedisLeaseStore leases;

    private final AtomicInteger claims = new AtomicInteger();

    /** The consumer's looks at the store's next visible work that returned. */
    private final AtomicInteger looks = new AtomicInteger();

    private final List<AutoCloseable> started = new ArrayList<>();

    private final DurableTaskRegistry registry = DurableTaskRegistry.builder(new JacksonPayloadConverter())
        .activity("greet", String.class, (ActivityContext ctx, String name) -> "hello " + name)
        .orchestration("greeting", String.class, () -> (OrchestrationContext ctx, String name) -> {
            String greeting = ctx.callActivity("greet", name, String.class).await();
            return greeting + ", " + ctx.waitForExternalEvent("go", String.class).await();
        })
        .orchestration("echo", String.class, () -> (OrchestrationContext ctx, String input) -> input)
        .orchestration("napping", String.class, () -> (OrchestrationContext ctx, String input) -> {
            ctx.createTimer(Duration.ofSeconds(2)).await();
            return input;
        })
        .build();

    @BeforeAll
    static void connect() {
        RedisTestServer server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisDurableTaskWakeUpsTests.class);
        connectionFactory = RedisTestConnections.connect(server);
        redis = new StringRedisTemplate(connectionFactory);
        leases = new RedisLeaseStore(connectionFactory, prefix, Clock.systemUTC());
    }

    @AfterAll
    static void disconnect() {
        if (redis != null) {
            RedisTestServer.get().deleteKeys(prefix);
        }
        if (connectionFactory != null) {
            connectionFactory.destroy();
        }
    }

    @BeforeEach
    void emptyTheStore() {
        RedisTestServer.get().deleteKeys(prefix);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : this.started.reversed()) {
            closeable.close();
        }
    }

    private static RedisDurableTaskStore store(boolean notifying) {
        return new RedisDurableTaskStore(connectionFactory, prefix, notifying);
    }

    /** A node that schedules and raises events but runs no worker: it wakes nobody of its own. */
    private static DurableTaskClient producer(boolean notifying) {
        return new StoreDurableTaskClient(store(notifying), new JacksonPayloadConverter(), Clock.systemUTC(),
                (DurableTaskRegistry) null, () -> {
                }, new InstanceUpdates());
    }

    private DurableTaskWorker worker(DurableTaskStore store, String owner) {
        DurableTaskWorker worker = DurableTaskWorker.builder(store, leases, this.registry)
            .owner(owner)
            .pollInterval(LONG_POLL)
            .shutdownTimeout(Duration.ofSeconds(5))
            .build();
        this.started.add(worker);
        return worker;
    }

    /**
     * Starts the consumer node's worker, counting its looks for due instances, subscribed to the store's notices, and
     * waits for its subscription, the poll of its start and the look at the next visible work that follows it.
     */
    private Consumer consumer() {
        RedisDurableTaskStore store = store(true);
        DurableTaskStore counting = (DurableTaskStore) Proxy.newProxyInstance(DurableTaskStore.class.getClassLoader(),
                new Class<?>[] { DurableTaskStore.class }, (proxy, method, args) -> {
                    try {
                        return method.invoke(store, args);
                    }
                    catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                    finally {
                        // Counted once it looked, so that work written afterwards is not found by that look.
                        if (method.getName().equals("dueInstances")) {
                            this.claims.incrementAndGet();
                        }
                        if (method.getName().equals("nextVisibleAfter")) {
                            this.looks.incrementAndGet();
                        }
                    }
                });
        DurableTaskWorker worker = worker(counting, "consumer");
        RedisDurableTaskWakeUps wakeUps = RedisDurableTaskWakeUps.of(store, worker::wake, worker::wakeAt);
        this.started.add(wakeUps);
        // Subscribed first: the worker's start is then its one poll (the confirmation's wake-up, before it started,
        // does nothing), so that no poll of the start comes after the work a test writes next.
        wakeUps.start();
        await().atMost(WAKE_UP).until(wakeUps::isSubscribed);
        worker.start();
        await().atMost(WAKE_UP).until(() -> this.claims.get() > 0 && this.looks.get() > 0);
        DurableTaskClient client = new StoreDurableTaskClient(counting, new JacksonPayloadConverter(),
                Clock.systemUTC(), this.registry, worker::wake, new InstanceUpdates());
        return new Consumer(client, store, wakeUps);
    }

    private record Consumer(DurableTaskClient client, RedisDurableTaskStore store, RedisDurableTaskWakeUps wakeUps) {
    }

    private static boolean hasStatus(DurableTaskClient client, String id, OrchestrationStatus status) {
        return client.getState(id).map(OrchestrationState::status).orElse(null) == status;
    }

    /** Asserts that the instance completed on time: within {@link #ON_TIME} of the instant it could first run. */
    private static void awaitCompletedOnTime(DurableTaskClient client, String id, Instant dueAt) {
        await(id + " completed").atMost(WAKE_UP.plus(Duration.between(Instant.now(), dueAt)))
            .until(() -> hasStatus(client, id, OrchestrationStatus.COMPLETED));
        assertThat(client.getState(id).orElseThrow().updatedAt()).isAfterOrEqualTo(dueAt.minusMillis(1))
            .isBefore(dueAt.plus(ON_TIME));
    }

    @Test
    void anInstanceScheduledOnAnotherNodeRunsOnThisNodesWorkerWithinASecond() {
        Consumer consumer = consumer();
        Instant scheduled = Instant.now();
        String id = producer(true).schedule("echo", "at once");
        awaitCompletedOnTime(consumer.client(), id, scheduled);
        assertThat(consumer.client().getState(id).orElseThrow().readOutput(String.class)).isEqualTo("at once");
    }

    @Test
    void anEventRaisedOnAnotherNodeWakesThisNodesWorkerWithinASecond() {
        Consumer consumer = consumer();
        DurableTaskClient producer = producer(true);
        String id = producer.schedule("greeting", "ada");
        await().atMost(WAKE_UP).until(() -> consumer.client().getHistory(id).stream()
            .anyMatch(TaskCompleted.class::isInstance));
        await("waiting for the event").atMost(WAKE_UP).until(() -> consumer.client().getHistory(id).stream()
            .filter(OrchestratorStarted.class::isInstance)
            .count() >= 2);
        Instant raised = Instant.now();
        producer.raiseEvent(id, "go", "bye");
        awaitCompletedOnTime(consumer.client(), id, raised);
        assertThat(producer.getState(id).orElseThrow().readOutput(String.class)).isEqualTo("hello ada, bye");
    }

    /** The notice of an instance to start later carries its time: the consumer polls then, not at its next poll. */
    @Test
    void anInstanceScheduledOnAnotherNodeToStartLaterStartsWhenItComesDueNotAtThePoll() {
        Consumer consumer = consumer();
        Instant startAt = Instant.now().plusSeconds(2);
        String id = producer(true).schedule("echo", "on time", new ScheduleOptions(null, startAt));
        awaitCompletedOnTime(consumer.client(), id, startAt);
    }

    /**
     * Another node's worker runs the step that creates the timer and stops: the commit's notice carries the timer's
     * time, and the consumer fires it then. The instance is scheduled without a notice, waking only the producer's
     * worker, so that the consumer cannot run that step itself (and fire the timer it created).
     */
    @Test
    void aDurableTimerCreatedOnAnotherNodeFiresWhenItComesDueNotAtThePoll() {
        Consumer consumer = consumer();
        RedisDurableTaskStore producerStore = store(true);
        DurableTaskWorker producerWorker = worker(producerStore, "producer");
        producerWorker.start();
        String id = new StoreDurableTaskClient(store(false), new JacksonPayloadConverter(), Clock.systemUTC(),
                this.registry, producerWorker::wake, new InstanceUpdates()).schedule("napping", "rested elsewhere");
        await("the timer created").atMost(WAKE_UP).until(() -> consumer.client().getHistory(id).stream()
            .anyMatch(TimerCreated.class::isInstance));
        producerWorker.close();
        Instant fireAt = consumer.client().getHistory(id).stream()
            .filter(TimerCreated.class::isInstance)
            .map((event) -> ((TimerCreated) event).fireAt())
            .findFirst()
            .orElseThrow();
        awaitCompletedOnTime(consumer.client(), id, fireAt);
    }

    @Test
    void withoutNotificationsWorkScheduledOnAnotherNodeWaitsForThePoll() {
        Consumer consumer = consumer();
        String id = producer(false).schedule("echo", "unheard");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
            .until(() -> hasStatus(consumer.client(), id, OrchestrationStatus.PENDING));
    }

    @Test
    void theStorePublishesOnAChannelOfItsKeyPrefix() {
        RedisDurableTaskStore store = store(true);
        assertThat(store.channel()).isEqualTo(prefix + "{durabletasks}:work");
        assertThat(store.notifying()).isTrue();
        assertThat(store(false).notifying()).isFalse();
        assertThat(new RedisDurableTaskStore(connectionFactory, prefix).notifying()).isFalse();
        assertThat(store.origin()).isNotEqualTo(store(true).origin()).doesNotContain(" ");
    }

    /**
     * What a notifying store publishes, heard by wake-ups that skip nothing: its origin for work due now, its origin
     * and the time for work visible later unless a notice of earlier work is ahead, nothing for an activity's
     * completion or a write that did not happen.
     */
    @Test
    void theStorePublishesWorkDueNowAndTheEarliestWorkDueLater() {
        RedisDurableTaskStore store = new RedisDurableTaskStore(connectionFactory, prefix, true,
                Clock.fixed(NOW, ZoneOffset.UTC));
        List<String> heard = new CopyOnWriteArrayList<>();
        RedisDurableTaskWakeUps wakeUps = new RedisDurableTaskWakeUps(connectionFactory, store.channel(), "",
                () -> heard.add("now"), (at) -> heard.add(at.toString()));
        this.started.add(wakeUps);
        wakeUps.start();
        await().atMost(WAKE_UP).until(wakeUps::isSubscribed);
        await().atMost(WAKE_UP).until(() -> heard.equals(List.of("now")));
        heard.clear();

        store.create(new NewInstance("now", "echo", null, null, NOW, NOW));
        store.create(new NewInstance("in-10s", "echo", null, null, NOW, NOW.plusSeconds(10)));
        store.create(new NewInstance("in-20s", "echo", null, null, NOW, NOW.plusSeconds(20)));
        store.create(new NewInstance("now", "echo", null, null, NOW, NOW.plusSeconds(1)));
        store.create(new NewInstance("in-5s", "echo", null, null, NOW, NOW.plusSeconds(5).plusNanos(1)));
        store.send(new TaskMessage("now", TaskMessage.ANY_EXECUTION, new EventRaised(NOW, "go", null), NOW));
        store.send(new TaskMessage("missing", TaskMessage.ANY_EXECUTION, new EventRaised(NOW, "go", null), NOW));
        store.send(new TaskMessage("now", TaskMessage.ANY_EXECUTION, new EventRaised(NOW, "late", null),
                NOW.plusSeconds(3)));

        FencingToken token = new FencingToken(1);
        OrchestrationWorkItem item = store.claimInstance("now", token, NOW).orElseThrow();
        NewActivity call = new NewActivity("now", 1, 1, "greet", "\"ada\"", ActivityOptions.DEFAULTS, NOW);
        store.commit(new OrchestrationCommit("now", token, 0,
                List.of(new OrchestratorStarted(NOW), new TaskScheduled(NOW, 1, "greet", "\"ada\"")),
                item.messages().stream().map(ReceivedMessage::id).toList(), OrchestrationStatus.RUNNING, null, null,
                false, null, List.of(), List.of(), List.of(call), NOW));
        FencingToken attempt = new FencingToken(2);
        assertThat(store.claimActivity(call.id(), attempt, NOW)).isPresent();
        assertThat(store.retryActivity(call.id(), attempt, 2, NOW.plusSeconds(2))).isTrue();
        FencingToken again = new FencingToken(3);
        assertThat(store.claimActivity(call.id(), again, NOW.plusSeconds(2))).isPresent();
        assertThat(store.retryActivity(call.id(), again, 3, NOW)).isTrue();
        FencingToken last = new FencingToken(4);
        assertThat(store.claimActivity(call.id(), last, NOW)).isPresent();
        assertThat(store.completeActivity(call.id(), last, new TaskMessage("now", 1,
                new TaskCompleted(NOW, 1, "\"hello\""), NOW))).isTrue();
        store.create(new NewInstance("marker", "echo", null, null, NOW, NOW));

        await().atMost(WAKE_UP).until(() -> heard.size() >= 9);
        // In any order: the wake-ups run each notice on a thread of their own.
        assertThat(heard).containsExactlyInAnyOrder("now", NOW.plusSeconds(10).toString(), NOW.plusMillis(5001).toString(),
                "now", NOW.plusSeconds(3).toString(), "now", NOW.plusSeconds(2).toString(), "now", "now");
    }

    @Test
    void aNodeSkipsItsOwnStoresNoticesButHearsTheOtherNodes() {
        RedisDurableTaskStore own = store(true);
        AtomicInteger woken = new AtomicInteger();
        RedisDurableTaskWakeUps wakeUps = RedisDurableTaskWakeUps.of(own, woken::incrementAndGet,
                (at) -> woken.incrementAndGet());
        this.started.add(wakeUps);
        wakeUps.start();
        await().atMost(WAKE_UP).until(() -> wakeUps.isSubscribed() && woken.get() == 1);
        own.create(new NewInstance("own", "echo", null, null, Instant.now(), Instant.now()));
        own.create(new NewInstance("own-later", "echo", null, null, Instant.now(), Instant.now().plusSeconds(60)));
        store(true).create(new NewInstance("other", "echo", null, null, Instant.now(), Instant.now()));
        await().atMost(WAKE_UP).until(() -> woken.get() == 2);
        assertThat(wakeUps.notices()).isEqualTo(1);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(1)).until(() -> woken.get() == 2);
    }

    @Test
    void theWorkerPollsOnceAndIsWokenAgainAfterTheSubscribedConnectionIsKilled() {
        Set<String> before = subscribedClients();
        Consumer consumer = consumer();
        Set<String> ours = new HashSet<>(subscribedClients());
        ours.removeAll(before);
        assertThat(ours).as("the wake-ups' subscribed connection").hasSize(1);
        int claimsBefore = this.claims.get();
        int subscriptions = consumer.wakeUps().subscriptions();
        String address = ours.iterator().next();
        int colon = address.lastIndexOf(':');
        redis.execute((RedisConnection connection) -> {
            connection.serverCommands().killClient(address.substring(0, colon),
                    Integer.parseInt(address.substring(colon + 1)));
            return null;
        });
        await("subscribed again").atMost(Duration.ofSeconds(15))
            .until(() -> consumer.wakeUps().subscriptions() > subscriptions);
        await("polled once for what was missed").atMost(WAKE_UP).until(() -> this.claims.get() > claimsBefore);
        Instant scheduled = Instant.now();
        String id = producer(true).schedule("echo", "after the reconnect");
        awaitCompletedOnTime(consumer.client(), id, scheduled);
    }

    @Test
    void blankChannelsAndOriginsWithSpacesAreRefused() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new RedisDurableTaskWakeUps(connectionFactory, " ", "", () -> {
            }, (at) -> {
            }))
            .withMessageContaining("channel");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new RedisDurableTaskWakeUps(connectionFactory, "c", "a b", () -> {
            }, (at) -> {
            }))
            .withMessageContaining("'a b'");
    }

    /** The addresses (host:port) of the clients of the server subscribed to a channel. */
    private static Set<String> subscribedClients() {
        Set<String> ids = new HashSet<>();
        List<RedisClientInfo> clients = redis.execute(
                (RedisConnection connection) -> connection.serverCommands().getClientList());
        for (RedisClientInfo client : (clients != null) ? clients : List.<RedisClientInfo>of()) {
            Long channels = client.getChannelSubscribtions();
            if (channels != null && channels > 0 && client.getAddressPort() != null) {
                ids.add(client.getAddressPort());
            }
        }
        return ids;
    }
}
