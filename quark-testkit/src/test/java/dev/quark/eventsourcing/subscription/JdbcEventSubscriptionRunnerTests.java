package dev.quark.eventsourcing.subscription;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.eventsourcing.EventDeadLetter;
import dev.quark.eventsourcing.EventHandler;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.EventSubscriptionDefinition;
import dev.quark.eventsourcing.FeedPosition;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.eventsourcing.jdbc.JdbcEventStore;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.testkit.lease.DelegatingLeaseStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Runners on real PostgreSQL, as two nodes would run them: the feed and checkpoints in {@link JdbcEventStore}, the
 * leases in {@link JdbcLeaseStore}, background threads in real time. Each test follows the streams of its own (the
 * schema's feed holds the other tests' events too). The lease is 30 seconds where no takeover is tested, so that a
 * renewal stalled by a loaded machine does not hand a subscription over (which may deliver an event twice, as
 * documented); only the takeover test uses a short one, and asserts what holds under any hand-over: no event skipped,
 * each node in feed order.
 */
@Timeout(180)
class JdbcEventSubscriptionRunnerTests {

    private static final Duration LEASE = Duration.ofSeconds(30);

    private static final Duration SHORT_LEASE = Duration.ofSeconds(4);

    private static final Duration WAIT = Duration.ofSeconds(90);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcEventStore store;

    private static JdbcLeaseStore leases;

    private final String run = "run-" + UUID.randomUUID();

    private final List<EventSubscriptionRunner> runners = new ArrayList<>();

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcEventSubscriptionRunnerTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(16);
        TablePrefix prefix = new TablePrefix(TablePrefix.DEFAULT);
        JdbcEventStore.migration(prefix).apply(dataSource);
        JdbcLeaseStore.migration(prefix).apply(dataSource);
        store = new JdbcEventStore(dataSource, prefix);
        leases = new JdbcLeaseStore(dataSource, prefix, Clock.systemUTC());
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
    void closeRunners() {
        this.runners.forEach(EventSubscriptionRunner::close);
    }

    private EventSubscriptionRunner start(String owner, EventSubscriptionDefinition definition) {
        return start(owner, definition, EventSubscriptionMetrics.NONE, LEASE);
    }

    private EventSubscriptionRunner start(String owner, EventSubscriptionDefinition definition,
            EventSubscriptionMetrics metrics, Duration lease) {
        return start(owner, definition, metrics, lease, leases);
    }

    private EventSubscriptionRunner start(String owner, EventSubscriptionDefinition definition,
            EventSubscriptionMetrics metrics, Duration lease, LeaseStore leaseStore) {
        EventSubscriptionRunner runner = EventSubscriptionRunner.builder(store.feed().orElseThrow(), leaseStore,
                List.of(definition))
            .owner(this.run + "-" + owner)
            .pollInterval(Duration.ofMillis(50))
            .leaseDuration(lease)
            .backoff(new SubscriptionBackoff(Duration.ofMillis(200), Duration.ofSeconds(1)))
            .metrics(metrics)
            .build();
        this.runners.add(runner);
        runner.start();
        return runner;
    }

    /** Records this run's events with the node that handled them; ignores the other tests'. */
    private EventHandler recording(String node, List<Handled> handled) {
        return (event) -> {
            if (event.stream().startsWith(this.run)) {
                handled.add(new Handled(node, event));
            }
        };
    }

    private void append(String stream, int events) {
        for (int i = 0; i < events; i++) {
            store.append(this.run + "/" + stream, List.of(new NewEvent(UUID.randomUUID(), "Noted", 1, "{}")),
                    EventStore.ANY_VERSION);
        }
    }

    private static void assertEachOnceInFeedOrder(List<Handled> handled) {
        List<StoredEvent> events = handled.stream().map(Handled::event).toList();
        assertThat(events).extracting(StoredEvent::eventId).doesNotHaveDuplicates();
        assertThat(events).extracting(StoredEvent::position).isSortedAccordingTo(Comparator.naturalOrder());
    }

    /** At least once: every event handled, each node's handling in feed order (a hand-over may repeat an event). */
    private static void assertNoneSkippedEachNodeInFeedOrder(List<Handled> handled, int events) {
        assertThat(handled.stream().map((h) -> h.event().eventId()).distinct()).hasSize(events);
        for (String node : handled.stream().map(Handled::node).distinct().toList()) {
            assertThat(handled.stream().filter((h) -> h.node().equals(node)).map((h) -> h.event().position()))
                .isSortedAccordingTo(Comparator.naturalOrder());
        }
    }

    private static long distinct(List<Handled> handled) {
        return handled.stream().map((h) -> h.event().eventId()).distinct().count();
    }

    @Test
    void twoNodesOnOneSubscriptionHandleEveryEventOnceInFeedOrder() throws Exception {
        String name = this.run + "-projection";
        List<Handled> handled = new CopyOnWriteArrayList<>();
        start("node-1", EventSubscriptionDefinition.of(name, recording("node-1", handled)).withBatchSize(16));
        start("node-2", EventSubscriptionDefinition.of(name, recording("node-2", handled)).withBatchSize(16));
        ExecutorService appenders = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> appends = new ArrayList<>();
            for (int appender = 0; appender < 4; appender++) {
                int first = appender * 2;
                appends.add(appenders.submit(() -> {
                    for (int i = 0; i < 25; i++) {
                        append("s" + (first + (i % 2)), 1);
                    }
                }));
            }
            for (Future<?> append : appends) {
                append.get(60, TimeUnit.SECONDS);
            }
        }
        finally {
            appenders.shutdownNow();
        }
        append("last", 1);
        await().atMost(WAIT).until(() -> handled.stream().anyMatch((h) -> h.event().stream().endsWith("/last")));

        assertThat(handled).hasSize(101);
        assertEachOnceInFeedOrder(handled);
        assertThat(handled).extracting(Handled::node).containsOnly(handled.get(0).node());
        Map<String, Long> lastVersion = new ConcurrentHashMap<>();
        for (Handled each : handled) {
            Long before = lastVersion.put(each.event().stream(), each.event().version());
            assertThat(each.event().version()).isEqualTo((before == null) ? 1 : before + 1);
        }
    }

    @Test
    void whenTheFollowingNodeDiesTheOtherTakesOverWithinAboutTheLeaseAndResumesFromTheCheckpoint() {
        String name = this.run + "-projection";
        List<Handled> handled = new CopyOnWriteArrayList<>();
        EventSubscriptionRunner first = start("node-1",
                EventSubscriptionDefinition.of(name, recording("node-1", handled)), EventSubscriptionMetrics.NONE,
                SHORT_LEASE);
        EventSubscriptionRunner second = start("node-2",
                EventSubscriptionDefinition.of(name, recording("node-2", handled)), EventSubscriptionMetrics.NONE,
                SHORT_LEASE);
        append("s", 10);
        await().atMost(WAIT).until(() -> distinct(handled) == 10);
        // A stalled renewal may have handed the subscription over meanwhile: wait until one node follows it.
        await().atMost(WAIT).until(() -> (first.status(name).state() == SubscriptionState.FOLLOWING)
                != (second.status(name).state() == SubscriptionState.FOLLOWING));
        EventSubscriptionRunner follower = (first.status(name).state() == SubscriptionState.FOLLOWING) ? first
                : second;
        EventSubscriptionRunner survivor = (follower == first) ? second : first;
        String survivorNode = (survivor == first) ? "node-1" : "node-2";

        follower.halt();
        long haltedAt = System.nanoTime();
        append("s", 10);
        await().atMost(WAIT).until(() -> distinct(handled) == 20);
        Duration takeover = Duration.ofNanos(System.nanoTime() - haltedAt);

        assertNoneSkippedEachNodeInFeedOrder(handled, 20);
        List<Handled> afterHalt = handled.stream().filter((h) -> h.event().version() > 10).toList();
        assertThat(afterHalt).extracting(Handled::node).containsOnly(survivorNode);
        assertThat(afterHalt).extracting((h) -> h.event().version())
            .containsExactly(11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L, 20L);
        assertThat(survivor.status(name).state()).isEqualTo(SubscriptionState.FOLLOWING);
        // The lease expires SHORT_LEASE after its last renewal; the survivor asks every poll interval. Generous: a
        // loaded machine.
        assertThat(takeover).isLessThan(SHORT_LEASE.plusSeconds(40));
    }

    @Test
    void aHandlerFailingTwiceThenSucceedingHandlesTheEventOnceAfterTheBackOffWithNothingSkipped() {
        String name = this.run + "-projection";
        List<Handled> handled = new CopyOnWriteArrayList<>();
        List<Long> attemptsAt = new CopyOnWriteArrayList<>();
        AtomicInteger failuresLeft = new AtomicInteger(2);
        EventHandler recording = recording("node-1", handled);
        AtomicInteger failures = new AtomicInteger();
        EventSubscriptionMetrics metrics = new EventSubscriptionMetrics() {
            @Override
            public void failed(String subscription) {
                failures.incrementAndGet();
            }
        };
        start("node-1", EventSubscriptionDefinition.of(name, (event) -> {
            if (event.stream().startsWith(this.run) && event.version() == 2) {
                attemptsAt.add(System.nanoTime());
                if (failuresLeft.getAndDecrement() > 0) {
                    throw new IllegalStateException("projection table locked");
                }
            }
            recording.handle(event);
        }), metrics, LEASE);
        append("s", 3);
        await().atMost(WAIT).until(() -> handled.size() == 3);

        assertThat(handled).extracting((h) -> h.event().version()).containsExactly(1L, 2L, 3L);
        assertEachOnceInFeedOrder(handled);
        assertThat(attemptsAt).hasSize(3);
        assertThat(Duration.ofNanos(attemptsAt.get(1) - attemptsAt.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(Duration.ofNanos(attemptsAt.get(2) - attemptsAt.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        assertThat(failures).hasValue(2);
    }

    /**
     * Two nodes started one after the other on four subscriptions: the first takes all four, then hands two over to the
     * second, which counts itself in through its member slot; every event is handled by each subscription, none
     * skipped, each node's handling in feed order.
     */
    @Test
    void twoNodesSpreadFourSubscriptionsTwoEachWithNoEventSkipped() {
        List<String> names = List.of(this.run + "-a", this.run + "-b", this.run + "-c", this.run + "-d");
        Map<String, List<Handled>> handled = new ConcurrentHashMap<>();
        names.forEach((name) -> handled.put(name, new CopyOnWriteArrayList<>()));
        append("s", 20);
        for (String node : List.of("node-1", "node-2")) {
            EventSubscriptionRunner runner = EventSubscriptionRunner.builder(store.feed().orElseThrow(), leases,
                    names.stream().map((name) -> EventSubscriptionDefinition.of(name,
                            recording(node, handled.get(name)))).toList())
                .owner(this.run + "-" + node)
                .pollInterval(Duration.ofMillis(50))
                .leaseDuration(LEASE)
                .build();
            this.runners.add(runner);
            runner.start();
            if (node.equals("node-1")) {
                await().atMost(WAIT).until(() -> heldBy("node-1", names) == 4);
            }
        }
        await().atMost(WAIT).until(() -> heldBy("node-1", names) == 2 && heldBy("node-2", names) == 2);
        append("s", 20);
        await().atMost(WAIT).until(() -> handled.values().stream().allMatch((list) -> distinct(list) == 40));
        handled.values().forEach((list) -> assertNoneSkippedEachNodeInFeedOrder(list, 40));
        assertThat(heldBy("node-1", names)).as("still two each").isEqualTo(2);
        assertThat(heldBy("node-2", names)).isEqualTo(2);
    }

    private long heldBy(String node, List<String> names) {
        return names.stream()
            .filter((name) -> leases.holder(EventSubscriptionRunner.RESOURCE + name)
                .filter((holder) -> holder.owner().equals(this.run + "-" + node))
                .isPresent())
            .count();
    }

    /**
     * An event the handler fails on its maximum attempts in a row: dead-lettered on PostgreSQL in the statement that
     * moves the checkpoint past it, the next event handled, and the dead letter retried once the handler is fixed.
     */
    @Test
    void anEventItsHandlerKeepsFailingOnIsDeadLetteredThenRetriedAndTheOthersAreHandled() {
        String name = this.run + "-projection";
        List<Handled> handled = new CopyOnWriteArrayList<>();
        AtomicBoolean failing = new AtomicBoolean(true);
        EventHandler recording = recording("node-1", handled);
        EventSubscriptionRunner runner = start("node-1", EventSubscriptionDefinition.of(name, (event) -> {
            if (event.stream().startsWith(this.run) && event.version() == 2 && failing.get()) {
                throw new IllegalStateException("cannot project version 2");
            }
            recording.handle(event);
        }).withMaxAttempts(2));
        append("s", 3);
        await().atMost(WAIT).until(() -> handled.size() == 2);

        assertThat(handled).extracting((h) -> h.event().version()).containsExactly(1L, 3L);
        List<EventDeadLetter> letters = runner.deadLetters().list(name, 10);
        assertThat(letters).singleElement().satisfies((letter) -> {
            assertThat(letter.event().version()).isEqualTo(2);
            assertThat(letter.attempts()).isEqualTo(2);
            assertThat(letter.error()).isEqualTo("java.lang.IllegalStateException: cannot project version 2");
        });
        await().atMost(WAIT).until(() -> store.feed().orElseThrow().checkpoint(name)
            .filter((checkpoint) -> checkpoint.compareTo(handled.get(1).event().position()) >= 0)
            .isPresent());
        failing.set(false);
        assertThat(runner.deadLetters().retry(name, letters.getFirst().position())).isTrue();
        assertThat(handled).extracting((h) -> h.event().version()).containsExactly(1L, 3L, 2L);
        assertThat(runner.deadLetters().list(name, 10)).isEmpty();
    }

    /**
     * Two runners driven step by step on the test's thread, the leases and checkpoints on PostgreSQL (whose clock
     * judges the leases). Node 1 renews nothing (its scheduler drops the renewals) and its clock stands still, so it
     * believes in its lease long after the database let it expire: what a node paused past its lease whose clock was
     * set back would do. While it handles event 2, node 2 takes over and moves on.
     */
    @Test
    void aNodePausedPastItsLeaseCannotMoveTheCheckpointBackAndStopsFollowing() {
        String name = this.run + "-projection";
        List<Handled> handled = new CopyOnWriteArrayList<>();
        EventHandler second = recording("node-2", handled);
        EventSubscriptionRunner successor = EventSubscriptionRunner.builder(store.feed().orElseThrow(), leases,
                List.of(EventSubscriptionDefinition.of(name, second)))
            .owner(this.run + "-node-2")
            .leaseDuration(SHORT_LEASE)
            .build();
        this.runners.add(successor);
        EventHandler first = recording("node-1", handled);
        AtomicBoolean paused = new AtomicBoolean();
        EventSubscriptionRunner pausing = EventSubscriptionRunner.builder(store.feed().orElseThrow(), leases,
                List.of(EventSubscriptionDefinition.of(name, (event) -> {
                    first.handle(event);
                    if (event.stream().startsWith(this.run) && event.version() == 2 && !paused.getAndSet(true)) {
                        // The pause: the database lets node 1's lease expire, node 2 takes over and handles 2 and 3.
                        await().atMost(WAIT).until(() -> {
                            successor.followOnce(name);
                            return handled.stream().anyMatch((h) -> h.node().equals("node-2") && h.event().version() == 3);
                        });
                    }
                })))
            .owner(this.run + "-node-1")
            .leaseDuration(SHORT_LEASE)
            .clock(Clock.fixed(Instant.now(), ZoneOffset.UTC))
            .scheduler((at, task) -> () -> true)
            .build();
        this.runners.add(pausing);
        append("s", 3);
        await().atMost(WAIT).until(() -> {
            pausing.followOnce(name);
            return paused.get();
        });

        assertThat(handled).extracting((h) -> h.node() + " " + h.event().version())
            .containsExactly("node-1 1", "node-1 2", "node-2 2", "node-2 3");
        FeedPosition third = handled.getLast().event().position();
        assertThat(store.checkpoint(name)).as("node 2's checkpoint stands").contains(third);
        assertThat(pausing.status(name).state()).isEqualTo(SubscriptionState.STANDBY);
        assertThat(pausing.status(name).lastError()).contains("taken over");

        append("s", 1);
        pausing.followOnce(name);
        await().atMost(WAIT).until(() -> {
            successor.followOnce(name);
            return handled.size() == 5;
        });
        assertThat(handled).extracting((h) -> h.node() + " " + h.event().version())
            .containsExactly("node-1 1", "node-1 2", "node-2 2", "node-2 3", "node-2 4");
        assertThat(store.checkpoint(name)).contains(handled.getLast().event().position());
    }

    @Test
    void theStatementThatClearsAStampNamesTheStoresOwnCheckpointTable() {
        assertThat(new JdbcEventStore(dataSource, new TablePrefix("acme_")).clearCheckpointStamp("it's"))
            .isEqualTo("update acme_event_checkpoint set lease_token = null where subscription = 'it''s'");
    }

    /**
     * The lease store's tokens went back (here: the checkpoint stamped by a token a million above them): the node's
     * claim is refused while its lease is the store's current one, so it raises the store's tokens above the stamp
     * and follows on a new lease, each event handled once, the incident counted once.
     */
    @Test
    void aNodeWhoseLeaseStoresTokensWentBackRaisesThemAboveTheStampAndFollows() {
        String name = this.run + "-projection";
        long stamp = leases.tryAcquire(this.run + "-probe", "test", LEASE).orElseThrow().token().value() + 1_000_000;
        store.claimCheckpoint(name, new Lease(EventSubscriptionRunner.RESOURCE + name, "lost-store",
                new FencingToken(stamp), Instant.now().plus(LEASE)));
        append("s", 3);
        List<Handled> handled = new CopyOnWriteArrayList<>();
        List<String> tokensLost = new CopyOnWriteArrayList<>();
        EventSubscriptionMetrics metrics = new EventSubscriptionMetrics() {
            @Override
            public void fencingTokensLost(String subscription) {
                tokensLost.add(subscription);
            }
        };
        EventSubscriptionRunner runner = start("node-1", EventSubscriptionDefinition.of(name,
                recording("node-1", handled)), metrics, LEASE);
        await().atMost(WAIT).until(() -> handled.size() == 3);
        assertEachOnceInFeedOrder(handled);
        assertThat(runner.status(name).state()).isEqualTo(SubscriptionState.FOLLOWING);
        assertThat(tokensLost).containsExactly(name);
        assertThat(store.checkpointStamp(name).orElseThrow()).isGreaterThan(new FencingToken(stamp));
        append("s", 1);
        await().atMost(WAIT).until(() -> handled.size() == 4);
        assertEachOnceInFeedOrder(handled);
        assertThat(tokensLost).containsExactly(name);
    }

    /**
     * The lease store's tokens went back (here: the checkpoint stamped by a token far above them) and the store cannot
     * raise them: the node is fenced out, handles nothing, and follows again by itself once the stamp is cleared with
     * the statement its status gives.
     */
    @Test
    void aNodeFencedOutByTokensThatWentBackFollowsAgainOnceTheStampIsClearedByHand() throws Exception {
        String name = this.run + "-projection";
        store.claimCheckpoint(name, new Lease(EventSubscriptionRunner.RESOURCE + name, "lost-store",
                new FencingToken(Long.MAX_VALUE / 2), Instant.now().plus(LEASE)));
        append("s", 3);
        List<Handled> handled = new CopyOnWriteArrayList<>();
        LeaseStore cannotRaise = new DelegatingLeaseStore(leases) {
            @Override
            public void raiseTokensAbove(String resource, FencingToken token) {
                throw new UnsupportedOperationException("this store cannot raise its fencing tokens");
            }
        };
        EventSubscriptionRunner runner = start("node-1", EventSubscriptionDefinition.of(name,
                recording("node-1", handled)), EventSubscriptionMetrics.NONE, LEASE, cannotRaise);
        await().atMost(WAIT).until(() -> runner.status(name).state() == SubscriptionState.FENCED_OUT);
        assertThat(handled).isEmpty();
        String remedy = runner.status(name).lastError();
        assertThat(remedy).contains("update quark_event_checkpoint set lease_token = null");

        try (var connection = dataSource.getConnection(); var statement = connection.createStatement()) {
            assertThat(statement.executeUpdate(remedy.substring(remedy.indexOf("update ")))).isOne();
        }
        await().atMost(WAIT).until(() -> handled.size() == 3);
        assertEachOnceInFeedOrder(handled);
        assertThat(runner.status(name).state()).isEqualTo(SubscriptionState.FOLLOWING);
        assertThat(runner.status(name).lastError()).isNull();
    }

    private record Handled(String node, StoredEvent event) {
    }
}
