package dev.quark.samples.bank.probe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.FeedPosition;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.eventsourcing.jdbc.JdbcEventStore;
import dev.quark.jdbc.TablePrefix;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two bank nodes, each a JVM started from the sample's executable jar with the profiles {@code postgres} and
 * {@code subscription-probe}, share one event store in a PostgreSQL schema of this run alone, and each declares the
 * probe's subscription on the global feed; one follows it, the other stands by. The test appends events (from its own
 * JVM, straight into the store), and kills the follower with {@code SIGKILL} while it works through them (the probe
 * handles an event every {@value #HANDLE_DELAY_MILLIS} ms). It checks, from the probe's table of handled events and
 * from the checkpoint sampled every {@value #SAMPLE_MILLIS} ms throughout:
 * <ul>
 * <li>the other node takes the subscription over within {@link #TAKEOVER_BOUND} of the kill (the lease, about
 * {@link #LEASE_DURATION}, expires first) and resumes with the event right after the checkpoint the dead node left;</li>
 * <li>every event is handled at least once, none is skipped, and at most the one in flight when the node died is
 * handled twice; each node handles in feed order;</li>
 * <li>the checkpoint never goes back, and ends at the last event.</li>
 * </ul>
 * Node logs are in {@code target/node-logs/<run>}. Needs PostgreSQL ({@code QUARK_TEST_POSTGRES_URL}, else
 * Testcontainers or an embedded server).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SubscriptionTakeoverProcessTests {

    private static final String SUBSCRIPTION = "bank.subscription-probe";

    /** How long the nodes may take to start, both together: two JVMs starting at once on two busy cores. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(150);

    /**
     * How long a dead node holds the subscription: short, so that the other takes over soon, and long enough that a
     * live node stalled a few seconds on a busy machine keeps it.
     */
    private static final Duration LEASE_DURATION = Duration.ofSeconds(6);

    /** From the kill to the survivor's first handled event: the lease, its poll interval, and room for a busy machine. */
    private static final Duration TAKEOVER_BOUND = Duration.ofSeconds(30);

    private static final long HANDLE_DELAY_MILLIS = 20;

    private static final long SAMPLE_MILLIS = 20;

    private static final int EVENTS = 300;

    /** Events the follower handles before it is killed, at least; and events left for the survivor, at least. */
    private static final int HANDLED_BEFORE_KILL = 40;

    private final String run = Long.toHexString(System.currentTimeMillis()) + "-" + ProcessHandle.current().pid();

    private final List<BankProcess> nodes = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void killNodes() {
        List.copyOf(this.nodes).forEach(BankProcess::close);
    }

    @Test
    void theStandingByNodeTakesOverFromTheCheckpointOfAFollowerKilledMidBacklogSkippingNothing() throws Exception {
        String built = System.getProperty("quark.sample.bank.jar");
        assumeTrue(built != null, "the process tests run with Failsafe in verify, which sets quark.sample.bank.jar");
        Path jar = Path.of(built);
        assertThat(jar).as("the sample's executable jar (built by package, before integration-test)").isRegularFile();
        Path logs = Path.of(System.getProperty("quark.sample.bank.logs", "target/node-logs")).resolve(this.run);
        Files.createDirectories(logs);
        try (PostgresTestSchema schema = PostgresTestServer.get()
            .createSchema(SubscriptionTakeoverProcessTests.class)) {
            try {
                takeOver(jar, logs, schema);
            }
            finally {
                // Before the schema goes: a live node inside a transaction would hold up its drop.
                killNodes();
            }
        }
    }

    private void takeOver(Path jar, Path logs, PostgresTestSchema schema) throws Exception {
        List<String> properties = List.of("spring.profiles.active=postgres,subscription-probe",
                "spring.datasource.url=" + schema.jdbcUrl(), "spring.datasource.username=",
                "quark.eventstore.subscriptions.lease-duration=" + LEASE_DURATION.toMillis() + "ms",
                "quark.eventstore.subscriptions.poll-interval=100ms",
                "bank.subscription-probe.handle-delay=" + HANDLE_DELAY_MILLIS + "ms", "spring.main.banner-mode=off");
        long started = System.nanoTime();
        BankProcess first = start(jar, "node-a", properties, logs);
        BankProcess second = start(jar, "node-b", properties, logs);
        long startDeadline = System.nanoTime() + START_TIMEOUT.toNanos();
        first.awaitSubscriptionServed(SUBSCRIPTION, startDeadline, START_TIMEOUT);
        second.awaitSubscriptionServed(SUBSCRIPTION, startDeadline, START_TIMEOUT);
        BankProcess follower = awaitOneFollower(first, second);
        log("2 nodes serving after " + millisSince(started) + " ms; " + follower.name() + " follows " + SUBSCRIPTION);

        try (HikariDataSource dataSource = new HikariDataSource()) {
            dataSource.setJdbcUrl(schema.jdbcUrl());
            dataSource.setMaximumPoolSize(4);
            check(dataSource, follower, first == follower ? second : first, started);
        }
    }

    private void check(HikariDataSource dataSource, BankProcess follower, BankProcess survivor, long started)
            throws Exception {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        JdbcEventStore store = new JdbcEventStore(dataSource, new TablePrefix(TablePrefix.DEFAULT));
        List<FeedPosition> checkpoints = Collections.synchronizedList(new ArrayList<>());
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleWithFixedDelay(() -> store.checkpoint(SUBSCRIPTION).ifPresent(checkpoints::add), 0,
                SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
        try {
            Set<UUID> appended = new LinkedHashSet<>();
            for (int i = 0; i < EVENTS; i++) {
                UUID id = UUID.randomUUID();
                store.append("probe-" + this.run + "/" + (i % 8), List.of(new NewEvent(id, "Probed", 1, "{\"n\":" + i
                        + "}")), EventStore.ANY_VERSION);
                appended.add(id);
            }
            await("the follower handles part of the events").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> handledBy(jdbc, follower.name()) >= HANDLED_BEFORE_KILL);
            follower.kill();
            long killedAt = System.nanoTime();
            Optional<FeedPosition> checkpointAtKill = store.checkpoint(SUBSCRIPTION);
            int handledAtKill = handled(jdbc).size();
            assertThat(EVENTS - handledAtKill).as("events left when the follower was killed")
                .isGreaterThanOrEqualTo(HANDLED_BEFORE_KILL);
            log("killed " + follower + " after " + handledAtKill + " of " + EVENTS + " events, checkpoint "
                    + checkpointAtKill);

            awaitOrExplain("the survivor takes the subscription over", TAKEOVER_BOUND, survivor,
                    () -> handledBy(jdbc, survivor.name()) > 0);
            long tookOver = millisSince(killedAt);
            awaitOrExplain("every event handled", Duration.ofSeconds(60), survivor,
                    () -> distinctIds(handled(jdbc)).containsAll(appended));
            long done = millisSince(killedAt);
            sampler.shutdown();
            assertThat(sampler.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

            List<Handled> handled = handled(jdbc);
            assertThat(distinctIds(handled)).as("events handled: every appended one, nothing else").isEqualTo(appended);
            Map<UUID, Integer> copies = new HashMap<>();
            handled.forEach((h) -> copies.merge(h.eventId(), 1, Integer::sum));
            copies.values().removeIf((count) -> count == 1);
            assertThat(copies).as("events handled twice: at most the one in flight when the follower died")
                .hasSizeLessThanOrEqualTo(1)
                .allSatisfy((id, count) -> assertThat(count).isEqualTo(2));
            for (String node : List.of(follower.name(), survivor.name())) {
                assertThat(handled.stream().filter((h) -> h.node().equals(node)).map(Handled::position).toList())
                    .as("positions handled by %s, in the order handled", node)
                    .isSortedAccordingTo(Comparator.naturalOrder());
            }
            // PostgreSQL may still commit a checkpoint the node sent just before SIGKILL (it notices the client is
            // gone only at its next read or write of the socket): the survivor may resume one event later than the
            // checkpoint read right after the kill, never further.
            List<UUID> next = store.readAfter(checkpointAtKill.orElse(FeedPosition.START), 2).stream()
                .map(StoredEvent::eventId)
                .toList();
            Handled resumed = handled.stream().filter((h) -> h.node().equals(survivor.name())).findFirst().orElseThrow();
            assertThat(resumed.eventId()).as("the survivor's first event: the one after the dead node's checkpoint %s "
                    + "(or the one after that, if a checkpoint write was in flight at the kill)", checkpointAtKill)
                .isIn(next);
            List<FeedPosition> sampled = List.copyOf(checkpoints);
            assertThat(sampled).as("the checkpoint, sampled every %s ms", SAMPLE_MILLIS)
                .isNotEmpty()
                .isSortedAccordingTo(Comparator.naturalOrder());
            FeedPosition last = handled.stream().map(Handled::position).max(FeedPosition::compareTo).orElseThrow();
            assertThat(store.checkpoint(SUBSCRIPTION)).as("the checkpoint at the end").contains(last);
            assertThat(survivor.subscriptionState(SUBSCRIPTION)).isEqualTo("FOLLOWING");
            log("the survivor handled its first event " + tookOver + " ms after the kill and the last " + done
                    + " ms after it; " + handled.size() + " handlings of " + EVENTS + " events, " + copies.size()
                    + " twice; " + sampled.size() + " checkpoint samples, never back; whole run " + millisSince(started)
                    + " ms");
        }
        finally {
            sampler.shutdownNow();
        }
    }

    private static int handledBy(JdbcTemplate jdbc, String node) {
        Integer count = jdbc.queryForObject("select count(*) from " + SubscriptionProbeRecorder.TABLE + " where node = ?",
                Integer.class, node);
        return (count != null) ? count : 0;
    }

    /** The rows of the probe's table in the order they were written. */
    private static List<Handled> handled(JdbcTemplate jdbc) {
        return jdbc.query("select event_id, txid, seq, node from " + SubscriptionProbeRecorder.TABLE + " order by id",
                (row, number) -> new Handled(row.getObject(1, UUID.class), new FeedPosition(row.getLong(2),
                        row.getLong(3)), row.getString(4)));
    }

    private static Set<UUID> distinctIds(List<Handled> handled) {
        Set<UUID> ids = new LinkedHashSet<>();
        handled.forEach((h) -> ids.add(h.eventId()));
        return ids;
    }

    private BankProcess start(Path jar, String name, List<String> properties, Path logs) {
        BankProcess node = BankProcess.start(jar, name, properties, logs);
        this.nodes.add(node);
        return node;
    }

    /** Waits until exactly one of the nodes follows the subscription, and returns it. */
    private static BankProcess awaitOneFollower(BankProcess first, BankProcess second) throws Exception {
        AtomicReference<String> states = new AtomicReference<>("");
        try {
            await("one node follows " + SUBSCRIPTION).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    String a = first.subscriptionState(SUBSCRIPTION);
                    String b = second.subscriptionState(SUBSCRIPTION);
                    states.set(first.name() + " " + a + ", " + second.name() + " " + b);
                    return a.equals("FOLLOWING") != b.equals("FOLLOWING");
                });
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError("not exactly one node follows " + SUBSCRIPTION + ": " + states.get(), ex);
        }
        return first.subscriptionState(SUBSCRIPTION).equals("FOLLOWING") ? first : second;
    }

    private static void awaitOrExplain(String what, Duration bound, BankProcess node,
            java.util.concurrent.Callable<Boolean> condition) {
        try {
            await(what).atMost(bound).pollInterval(Duration.ofMillis(20)).until(condition);
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError(what + ": not within " + bound + "\n" + node.logTail(40), ex);
        }
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private static void log(String message) {
        System.out.println("[SubscriptionTakeoverProcessTests] " + message);
    }

    private record Handled(UUID eventId, FeedPosition position, String node) {
    }
}
