package dev.quark.samples.bank.probe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.messaging.runtime.Partitioner;
import dev.quark.samples.bank.probe.ProbeQueue.Received;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.server.RedisTestServer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two bank nodes, each a JVM started from the sample's executable jar with the profiles {@code postgres} and
 * {@code outbox-probe}, share one outbox in a PostgreSQL schema of this run alone; both dispatch, each holding half
 * of the partitions, to a RabbitMQ queue of this run with publisher confirms. The test commits numbered messages in
 * transactions (a quarter of them rolled back), consumes the queue, and kills one node with {@code SIGKILL} while its
 * partitions still hold a backlog. It checks, in the consumer's view:
 * <ul>
 * <li>normal operation (both nodes alive): every committed message exactly once, in order per key;</li>
 * <li>across the kill: every committed message at least once, none of a rolled-back transaction, no duplicate
 * received before the kill, order per key kept (each key's numbers never go down: a redelivery repeats the message
 * in flight when the node died, right after its first delivery, at most once per key), and the survivor took over
 * the dead node's partitions once their leases expired.</li>
 * </ul>
 * Every delivery waits {@value #DELIVERY_DELAY_MILLIS} ms before it publishes (the probe's
 * {@code delivery-delay}, a slow destination): the backlog lasts seconds and each of the victim's partitions has a
 * delivery in flight when it is killed, mostly before its publish (a dispatcher that marked messages delivered before
 * publishing them would lose those), one right after its confirm (the message the consumer just received, which the
 * survivor delivers again). Node logs are in {@code target/node-logs/<run>}.
 * <p>
 * Needs PostgreSQL ({@code QUARK_TEST_POSTGRES_URL}, else Testcontainers or an embedded server), for the Redis
 * variant Redis ({@code QUARK_TEST_REDIS_URL}, else the same), and RabbitMQ ({@code QUARK_TEST_RABBITMQ_URL}, else
 * 127.0.0.1:5672); without one the test is skipped, and with {@code CI=true} it fails.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class OutboxCrashProcessTests {

    /** How long the nodes may take to start, both together: two JVMs starting at once on two busy cores. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(150);

    /**
     * How long a dead node holds its partitions: short, so that the survivor takes them over soon, and long enough
     * that a live node stalled a few seconds on a busy machine (two JVMs, the servers and builds on two cores) keeps
     * them: the no-duplicate checks of normal operation hold only while no lease is lost.
     */
    private static final Duration LEASE_DURATION = Duration.ofSeconds(6);

    /** The committed messages of the victim's partitions not yet received when it is killed, at least. */
    private static final int MIN_BACKLOG = 8;

    private static final long DELIVERY_DELAY_MILLIS = 50;

    /** How soon every committed message must have arrived: the lease, the backlog, and room for a busy machine. */
    private static final Duration DELIVERY_BOUND = Duration.ofSeconds(60);

    private static final int PARTITIONS = 16;

    /** Messages per probe transaction. */
    private static final int MESSAGES_PER_TRANSACTION = 5;

    /** Transactions per key while the node is killed. */
    private static final int TRANSACTIONS_PER_KEY = 8;

    private final String run = Long.toHexString(System.currentTimeMillis()) + "-" + ProcessHandle.current().pid();

    private final List<BankProcess> nodes = Collections.synchronizedList(new ArrayList<>());

    /** The messages committed, by key, in the order their transactions committed. */
    private final Map<String, List<Long>> committed = Collections.synchronizedMap(new LinkedHashMap<>());

    /** Whether the probe's messages go in transactions (PostgreSQL), some of which roll back. */
    private boolean transactional = true;

    /** The (key, number) pairs of the messages of rolled-back transactions. */
    private final Set<String> rolledBack = Collections.synchronizedSet(new HashSet<>());

    @AfterEach
    void killNodes() {
        List.copyOf(this.nodes).forEach(BankProcess::close);
    }

    @Test
    void aDispatcherKilledMidDeliveryLosesNoCommittedMessageDeliversNoneRolledBackAndKeepsOrderPerKey()
            throws Exception {
        Path jar = jar();
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(OutboxCrashProcessTests.class)) {
            killMidDelivery(jar, List.of("spring.profiles.active=postgres,outbox-probe",
                    "spring.datasource.url=" + schema.jdbcUrl(), "spring.datasource.username="));
        }
    }

    /**
     * The same on Redis ({@code quark.backend=redis}, a key prefix of this run alone, deleted after it): the outbox,
     * its partitions' leases and the wake-ups in Redis. There is no transaction to roll back: each message is stored
     * when its {@code enqueue} returns, so "committed" below means enqueued.
     */
    @Test
    void onRedisADispatcherKilledMidDeliveryLosesNoEnqueuedMessageAndKeepsOrderPerKey() throws Exception {
        Path jar = jar();
        RedisTestServer redis = RedisTestServer.get();
        String prefix = redis.uniqueKeyPrefix(OutboxCrashProcessTests.class);
        this.transactional = false;
        try {
            killMidDelivery(jar, List.of("spring.profiles.active=redis,outbox-probe",
                    "spring.data.redis.url=" + redis.url(), "quark.redis.key-prefix=" + prefix));
        }
        finally {
            redis.deleteKeys(prefix);
        }
    }

    private static Path jar() {
        String built = System.getProperty("quark.sample.bank.jar");
        assumeTrue(built != null, "the process tests run with Failsafe in verify, which sets quark.sample.bank.jar");
        Path jar = Path.of(built);
        assertThat(jar).as("the sample's executable jar (built by package, before integration-test)").isRegularFile();
        return jar;
    }

    private void killMidDelivery(Path jar, List<String> backend) throws Exception {
        Path logs = Path.of(System.getProperty("quark.sample.bank.logs", "target/node-logs")).resolve(this.run);
        Files.createDirectories(logs);
        List<String> keys = oneKeyPerPartition();
        try (ProbeQueue queue = ProbeQueue.open(ProbeQueue.brokerUrl(), "bank.outbox-probe." + this.run)) {
            List<String> properties = new ArrayList<>(backend);
            properties.addAll(List.of("bank.outbox-probe.rabbitmq-url=" + ProbeQueue.brokerUrl(),
                    "bank.outbox-probe.queue=" + queue.name(),
                    "quark.messaging.lease-duration=" + LEASE_DURATION.toMillis() + "ms",
                    "bank.outbox-probe.delivery-delay=" + DELIVERY_DELAY_MILLIS + "ms",
                    "quark.messaging.poll-interval=100ms",
                    "spring.main.banner-mode=off"));
            long started = System.nanoTime();
            BankProcess victim = start(jar, "node-a", properties, logs);
            BankProcess survivor = start(jar, "node-b", properties, logs);
            long startDeadline = System.nanoTime() + START_TIMEOUT.toNanos();
            victim.awaitOutboxUp(startDeadline, START_TIMEOUT);
            survivor.awaitOutboxUp(startDeadline, START_TIMEOUT);
            Map<BankProcess, Set<Integer>> split = awaitPartitionsSplit(victim, survivor);
            log("2 nodes serving after " + millisSince(started) + " ms, partitions " + split);

            // normal operation: both nodes deliver (each key has a partition of its own, half of them on each node)
            int before = commitWithoutKill(keys, victim, survivor);
            List<Received> normal = awaitAllCommitted(queue, "normal operation", survivor);
            assertThat(awaitPartitionsSplit(victim, survivor)).as("partitions after normal operation").isEqualTo(split);
            assertThat(normal).as("messages received in normal operation").hasSize(before);
            assertThat(duplicates(normal)).as("duplicates in normal operation").isEmpty();
            assertOrderPerKey(normal);
            log("normal operation: " + before + " committed messages received exactly once, in order per key");

            // the kill: the survivor commits while the victim's partitions hold a backlog
            Set<String> victimKeys = keysOf(keys, split.get(victim));
            int received = queue.received().size();
            ExecutorService committers = Executors.newFixedThreadPool(4);
            List<Future<?>> commits = new ArrayList<>();
            for (String key : keys) {
                commits.add(committers.submit(() -> commitTransactions(survivor, key, TRANSACTIONS_PER_KEY)));
            }
            committers.shutdown();
            await("the victim's partitions deliver part of a backlog").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> {
                    List<Received> now = queue.received();
                    int backlog = committedPairs(victimKeys).size() - countOf(now, victimKeys);
                    return countOf(now.subList(received, now.size()), victimKeys) >= 5 && backlog >= MIN_BACKLOG;
                });
            Set<String> committedBeforeKill = committedPairs(victimKeys);
            victim.kill();
            long killedAt = System.nanoTime();
            List<Received> receivedAtKill = queue.received();
            int receivedBeforeKill = receivedAtKill.size();
            Set<String> backlogAtKill = new TreeSet<>(committedBeforeKill);
            receivedAtKill.forEach((message) -> backlogAtKill.remove(pair(message)));
            log("killed " + victim + " after " + (receivedBeforeKill - received) + " messages of this phase, "
                    + backlogAtKill.size() + " of its committed messages not yet received");
            for (Future<?> commit : commits) {
                commit.get(60, TimeUnit.SECONDS);
            }
            assertThat(backlogAtKill).as("messages of the victim's partitions committed before it was killed and not "
                    + "received by then: the kill must come mid-delivery, before its backlog went").isNotEmpty();

            List<Received> all = awaitAllCommitted(queue, "after the kill", survivor);
            long recovered = millisSince(killedAt);
            List<Received> afterKill = all.subList(receivedBeforeKill, all.size());
            assertThat(countOf(afterKill, victimKeys)).as("messages of the victim's partitions received after the kill")
                .isPositive();
            assertThat(duplicates(all.subList(0, receivedBeforeKill))).as("duplicates received before the kill")
                .isEmpty();
            Map<String, Integer> duplicates = duplicates(all);
            assertThat(duplicates.keySet()).as("keys with a message received twice: only the victim's")
                .allMatch((pair) -> victimKeys.contains(pair.substring(0, pair.indexOf('#'))));
            assertThat(duplicates.values()).as("copies of a message").allMatch((copies) -> copies == 2);
            Map<String, Long> duplicatedPerKey = new HashMap<>();
            duplicates.keySet().forEach((pair) -> duplicatedPerKey.merge(pair.substring(0, pair.indexOf('#')), 1L,
                    Long::sum));
            assertThat(duplicatedPerKey.values()).as("messages redelivered per key: at most the one in flight")
                .allMatch((count) -> count == 1);
            assertOrderPerKey(all);
            JsonNode health = survivor.outboxHealth().path("details");
            assertThat(health.path("pending").asLong()).as("pending messages left: %s", health).isZero();
            assertThat(health.path("deadLetters").asLong()).as("dead letters: %s", health).isZero();
            assertThat(survivor.partitions()).as("the survivor's partitions").hasSize(PARTITIONS);
            int total = this.committed.values().stream().mapToInt(List::size).sum();
            log("after the kill: " + total + " committed messages all received (" + all.size() + " deliveries, "
                    + duplicates.size() + " redelivered), " + this.rolledBack.size()
                    + " rolled-back ones never; the last " + recovered + " ms after the kill; whole run "
                    + millisSince(started) + " ms");
        }
        finally {
            // Before the queue and the schema or keys go: live nodes would log a flood of errors, and one inside a
            // transaction would hold up the schema's drop.
            killNodes();
        }
    }

    /**
     * Commits, on both nodes in turn, two transactions of every key and rolls back one between them (without
     * transactions, enqueues all three).
     * @return how many messages were committed
     */
    private int commitWithoutKill(List<String> keys, BankProcess first, BankProcess second) throws Exception {
        int count = 0;
        for (int i = 0; i < keys.size(); i++) {
            BankProcess node = (i % 2 == 0) ? first : second;
            String key = keys.get(i);
            commit(node, key, 3, false);
            commit(node, key, 3, true);
            commit(node, key, 3, false);
            count += this.transactional ? 6 : 9;
        }
        return count;
    }

    private Void commitTransactions(BankProcess node, String key, int transactions) throws Exception {
        for (int i = 0; i < transactions; i++) {
            commit(node, key, MESSAGES_PER_TRANSACTION, i % 4 == 1);
        }
        return null;
    }

    /**
     * Runs one transaction of the next numbers of a key and records what it committed or rolled back.
     */
    private void commit(BankProcess node, String key, int count, boolean rollbackAsked) throws Exception {
        boolean rollback = rollbackAsked && this.transactional;
        List<Long> numbers = this.committed.computeIfAbsent(key, (k) -> Collections.synchronizedList(new ArrayList<>()));
        long first = numbers.size() + rolledBackOf(key) + 1;
        node.transaction(key, first, count, rollback);
        for (long n = first; n < first + count; n++) {
            if (rollback) {
                this.rolledBack.add(key + "#" + n);
            }
            else {
                numbers.add(n);
            }
        }
    }

    private long rolledBackOf(String key) {
        synchronized (this.rolledBack) {
            return this.rolledBack.stream().filter((pair) -> pair.startsWith(key + "#")).count();
        }
    }

    /**
     * Waits until every committed message was received, then checks that nothing else was: no message of a
     * rolled-back transaction, no number never committed.
     */
    private List<Received> awaitAllCommitted(ProbeQueue queue, String phase, BankProcess node) {
        Set<String> expected = new TreeSet<>();
        this.committed.forEach((key, numbers) -> List.copyOf(numbers).forEach((n) -> expected.add(key + "#" + n)));
        AtomicReference<Set<String>> missing = new AtomicReference<>(expected);
        try {
            await("every committed message received (" + phase + ")").atMost(DELIVERY_BOUND)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    Set<String> left = new TreeSet<>(expected);
                    queue.received().forEach((message) -> left.remove(pair(message)));
                    missing.set(left);
                    return left.isEmpty();
                });
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError(missing.get().size() + " committed messages not received " + phase + " within "
                    + DELIVERY_BOUND + ": " + missing.get() + "\n" + node.logTail(40), ex);
        }
        List<Received> received = queue.received();
        assertThat(received).as("messages of rolled-back transactions received (%s)", phase)
            .noneMatch((message) -> this.rolledBack.contains(pair(message)));
        assertThat(received).as("messages received that were never committed (%s)", phase)
            .allMatch((message) -> expected.contains(pair(message)));
        return received;
    }

    /**
     * Checks that the numbers of each key never go down in the order received: a redelivery repeats the message it
     * follows (the one in flight when a node died), never an older one.
     */
    private static void assertOrderPerKey(List<Received> received) {
        Map<String, List<Long>> perKey = new LinkedHashMap<>();
        received.forEach((message) -> perKey.computeIfAbsent(message.key(), (k) -> new ArrayList<>())
            .add(message.sequence()));
        perKey.forEach((key, numbers) -> assertThat(numbers).as("numbers of key %s in the order received", key)
            .isSorted());
    }

    /**
     * Returns the messages received more than once, as {@code key#number}, with how often each was received.
     */
    private static Map<String, Integer> duplicates(List<Received> received) {
        Map<String, Integer> copies = new LinkedHashMap<>();
        received.forEach((message) -> copies.merge(pair(message), 1, Integer::sum));
        copies.values().removeIf((count) -> count == 1);
        return copies;
    }

    /** The committed messages of some keys so far, as {@code key#number}. */
    private Set<String> committedPairs(Set<String> keys) {
        Set<String> pairs = new TreeSet<>();
        for (String key : keys) {
            List<Long> numbers = this.committed.get(key);
            if (numbers != null) {
                List.copyOf(numbers).forEach((n) -> pairs.add(key + "#" + n));
            }
        }
        return pairs;
    }

    private static int countOf(List<Received> received, Set<String> keys) {
        return (int) received.stream().filter((message) -> keys.contains(message.key())).count();
    }

    private static String pair(Received message) {
        return message.key() + "#" + message.sequence();
    }

    /**
     * Returns sixteen keys, the n-th hashing to partition n, so that every partition, thus both nodes, has work.
     */
    private List<String> oneKeyPerPartition() {
        Partitioner partitioner = new Partitioner(PARTITIONS);
        String[] keys = new String[PARTITIONS];
        int found = 0;
        for (int i = 0; found < PARTITIONS && i < 100_000; i++) {
            String key = "account-" + i;
            int partition = partitioner.partition(key);
            if (keys[partition] == null) {
                keys[partition] = key;
                found++;
            }
        }
        assertThat(found).as("partitions with a key").isEqualTo(PARTITIONS);
        return List.of(keys);
    }

    private static Set<String> keysOf(List<String> keys, Set<Integer> partitions) {
        Set<String> of = new TreeSet<>();
        partitions.forEach((partition) -> of.add(keys.get(partition)));
        return of;
    }

    private BankProcess start(Path jar, String name, List<String> properties, Path logs) {
        BankProcess node = BankProcess.start(jar, name, properties, logs);
        this.nodes.add(node);
        return node;
    }

    /**
     * Waits until the two nodes hold all partitions between them, each about half.
     */
    private Map<BankProcess, Set<Integer>> awaitPartitionsSplit(BankProcess first, BankProcess second) {
        AtomicReference<Map<BankProcess, Set<Integer>>> split = new AtomicReference<>(Map.of());
        try {
            await("the partitions split between both nodes").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    Set<Integer> a = first.partitions();
                    Set<Integer> b = second.partitions();
                    split.set(Map.of(first, a, second, b));
                    Set<Integer> union = new HashSet<>(a);
                    union.addAll(b);
                    return a.size() == PARTITIONS / 2 && b.size() == PARTITIONS / 2 && union.size() == PARTITIONS;
                });
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError("the partitions did not split between both nodes: " + split.get(), ex);
        }
        return split.get();
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private static void log(String message) {
        System.out.println("[OutboxCrashProcessTests] " + message);
    }
}
