package dev.quark.messaging.runtime;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.quark.testkit.lease.DelegatingLeaseStore;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.lease.Lease;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.redis.RedisLeaseStore;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.OutboxMessage;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.StoredMessage;
import dev.quark.messaging.store.redis.RedisOutboxStore;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.server.RedisTestArea;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dispatchers on Redis, with the leases in Redis too: two running rounds at the same time deliver every message once
 * in key order; retries hold a key back in virtual time, and a dead letter frees it.
 */
@Timeout(120)
class RedisOutboxDispatcherTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    @AutoClose
    private static RedisTestArea redisArea;

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onServer(RedisOutboxDispatcherTests.class));
    }

    /**
     * Runs the tests in a room on a Redis; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param room the factory and the key prefix, closed after the tests
     */
    static void use(RedisTestArea room) {
        redisArea = room;
        prefix = room.prefix();
        connectionFactory = room.connectionFactory();
    }

    @Test
    void twoDispatchersRunningAtOnceDeliverEveryMessageOnceInKeyOrder() throws Exception {
        String area = prefix + "pair:";
        RedisOutboxStore store = new RedisOutboxStore(connectionFactory, area);
        RedisLeaseStore leases = new RedisLeaseStore(connectionFactory, area, Clock.systemUTC());
        RecordingPublisher toA = new RecordingPublisher("orders");
        RecordingPublisher toB = new RecordingPublisher("orders");
        Partitioner partitioner = new Partitioner(8);
        DefaultOutbox outbox = new DefaultOutbox(store, new Destinations(List.of(toA)),
                new MessageCodec(JsonMapper.shared()), partitioner, Clock.systemUTC());
        List<OutboxDispatcher> dispatchers = new ArrayList<>();
        for (String owner : List.of("redis-node-a", "redis-node-b")) {
            dispatchers.add(OutboxDispatcher
                .builder(store, leases, new Destinations(List.of(owner.endsWith("a") ? toA : toB)))
                .partitioner(partitioner)
                .owner(owner)
                .leaseDuration(Duration.ofSeconds(30))
                .build());
        }
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int round = 0; round < 2; round++) {
                dispatchers.forEach(OutboxDispatcher::runOnce);
            }
            assertThat(dispatchers.get(0).partitions()).hasSize(4);
            assertThat(dispatchers.get(1).partitions()).hasSize(4);
            for (int i = 0; i < 300; i++) {
                outbox.enqueue("orders", "key-" + (i % 30), "m" + i);
            }
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            for (OutboxDispatcher dispatcher : dispatchers) {
                loops.add(CompletableFuture.runAsync(() -> {
                    for (int round = 0; round < 200 && store.count(MessageStatus.PENDING) > 0; round++) {
                        dispatcher.runOnce();
                    }
                }, threads));
            }
            CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(100, TimeUnit.SECONDS);
            assertThat(store.count(MessageStatus.PENDING)).isZero();
            assertThat(store.count(MessageStatus.DELIVERED)).isEqualTo(300);
            assertThat(dispatchers.get(0).partitions()).doesNotContainAnyElementsOf(dispatchers.get(1).partitions());
        }
        finally {
            dispatchers.forEach(OutboxDispatcher::close);
        }
        List<OutboxMessage> all = new ArrayList<>(toA.received());
        all.addAll(toB.received());
        assertThat(all).hasSize(300).extracting(OutboxMessage::id).doesNotHaveDuplicates();
        assertThat(toA.received()).isNotEmpty();
        assertThat(toB.received()).isNotEmpty();
        assertInKeyOrder(toA.received());
        assertInKeyOrder(toB.received());
    }

    @Test
    void aFailingMessageHoldsItsKeyBackThroughItsRetriesAndItsDeadLetterFreesIt() {
        String area = prefix + "retry:";
        ManualClock clock = new ManualClock();
        RedisOutboxStore store = new RedisOutboxStore(connectionFactory, area);
        RedisLeaseStore leases = new RedisLeaseStore(connectionFactory, area, clock);
        RecordingPublisher orders = new RecordingPublisher("orders");
        orders.failWhile((message) -> message.payload().equals("\"first\""));
        Partitioner partitioner = new Partitioner(1);
        DefaultOutbox outbox = new DefaultOutbox(store, new Destinations(List.of(orders)),
                new MessageCodec(JsonMapper.shared()), partitioner, clock);
        OutboxDispatcher dispatcher = OutboxDispatcher.builder(store, leases, new Destinations(List.of(orders)))
            .partitioner(partitioner)
            .owner("redis-retrier")
            .maxAttempts(3)
            .backoff(new RetryBackoff(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(10)))
            .clock(clock)
            .build();
        try {
            MessageId first = outbox.enqueue("orders", "k", "first");
            outbox.enqueue("orders", "k", "second");
            outbox.enqueue("orders", "j", "other");
            dispatcher.runOnce();
            dispatcher.runOnce();
            assertThat(orders.payloads()).containsExactly("\"first\"", "\"other\"");
            clock.advance(Duration.ofMillis(999));
            dispatcher.runOnce();
            assertThat(orders.payloads()).as("the retry is not due yet").hasSize(2);
            clock.advance(Duration.ofMillis(1));
            dispatcher.runOnce();
            assertThat(orders.payloads()).containsExactly("\"first\"", "\"other\"", "\"first\"");
            clock.advance(Duration.ofSeconds(2));
            dispatcher.runOnce();
            StoredMessage dead = store.find(first).orElseThrow();
            assertThat(dead.status()).isEqualTo(MessageStatus.DEAD);
            assertThat(dead.attempts()).isEqualTo(3);
            assertThat(dead.lastError()).contains("broker refused \"first\"");
            assertThat(store.deadLetters(10)).extracting(StoredMessage::id).containsExactly(first);
            dispatcher.runOnce();
            assertThat(orders.payloads()).containsExactly("\"first\"", "\"other\"", "\"first\"", "\"first\"",
                    "\"second\"");
            assertThat(store.count(MessageStatus.PENDING)).isZero();
        }
        finally {
            dispatcher.close();
        }
    }

    @Test
    void aDispatcherClosedWhileItsRoundWaitsForARedisReplyLeavesNoLeaseForTheNextRunToWaitFor() throws Exception {
        String area = prefix + "restart:";
        RedisOutboxStore store = new RedisOutboxStore(connectionFactory, area);
        RedisLeaseStore leases = new RedisLeaseStore(connectionFactory, area, Clock.systemUTC());
        SlowFirstReply slow = new SlowFirstReply(leases);
        Partitioner partitioner = new Partitioner(8);
        RecordingPublisher orders = new RecordingPublisher("orders");
        OutboxDispatcher first = OutboxDispatcher.builder(store, slow, new Destinations(List.of(orders)))
            .partitioner(partitioner)
            .owner("first-run")
            .leaseDuration(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(50))
            .build();
        first.start();
        assertThat(slow.granted.await(20, TimeUnit.SECONDS)).as("the first round acquired its member slot").isTrue();
        first.close();

        OutboxDispatcher second = OutboxDispatcher.builder(store, leases, new Destinations(List.of(orders)))
            .partitioner(partitioner)
            .owner("second-run")
            .leaseDuration(Duration.ofSeconds(30))
            .build();
        try {
            DefaultOutbox outbox = new DefaultOutbox(store, new Destinations(List.of(orders)),
                    new MessageCodec(JsonMapper.shared()), partitioner, Clock.systemUTC());
            for (int i = 0; i < 40; i++) {
                outbox.enqueue("orders", "key-" + i, "m" + i);
            }
            second.runOnce();
            assertThat(second.partitions()).as("every partition now, not once the first run's leases expired")
                .hasSize(8);
            second.runOnce();
            assertThat(orders.received()).hasSize(40);
        }
        finally {
            second.close();
        }
    }

    /**
     * A lease store whose first grant reaches its caller late, as a Redis reply on its way: the lease exists in Redis
     * before the caller has it. Interrupted meanwhile, the call fails as Lettuce's does, and the lease is the store's
     * alone.
     */
    private static final class SlowFirstReply extends DelegatingLeaseStore {

        private final CountDownLatch granted = new CountDownLatch(1);

        private final AtomicBoolean first = new AtomicBoolean(true);

        SlowFirstReply(LeaseStore store) {
            super(store);
        }

        @Override
        public List<Lease> tryAcquireAny(Collection<String> resources, int max, String owner, Duration duration) {
            List<Lease> acquired = super.tryAcquireAny(resources, max, owner, duration);
            if (!acquired.isEmpty() && this.first.compareAndSet(true, false)) {
                this.granted.countDown();
                try {
                    Thread.sleep(2000);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for the reply", ex);
                }
            }
            return acquired;
        }
    }

    private static void assertInKeyOrder(List<OutboxMessage> received) {
        Map<String, List<Integer>> byKey = new HashMap<>();
        for (OutboxMessage message : received) {
            byKey.computeIfAbsent(message.key(), (key) -> new ArrayList<>())
                .add(Integer.parseInt(message.payload().replaceAll("[^0-9]", "")));
        }
        byKey.forEach((key, numbers) -> assertThat(numbers).as(key).isSorted());
    }
}
