package dev.quark.messaging.store.redis;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.transaction.support.TransactionOperations;

import dev.quark.messaging.runtime.DefaultInbox;
import dev.quark.messaging.store.InboxStore;
import dev.quark.testkit.messaging.InboxStoreContractTests;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class RedisInboxStoreTests extends InboxStoreContractTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static RedisInboxStore store;

    private static StringRedisTemplate redis;

    @BeforeAll
    static void connect() {
        RedisTestServer server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisInboxStoreTests.class);
        connectionFactory = RedisTestConnections.connect(server);
        store = new RedisInboxStore(connectionFactory, prefix);
        redis = new StringRedisTemplate(connectionFactory);
    }

    @AfterAll
    static void disconnect() {
        if (redis != null) {
            Set<String> keys = redis.keys(prefix + "*");
            if (keys != null && !keys.isEmpty()) {
                redis.delete(keys);
            }
        }
        if (connectionFactory != null) {
            connectionFactory.destroy();
        }
    }

    @Override
    protected InboxStore store() {
        return store;
    }

    @Test
    void recordsAreMembersOfOneSortedSetThatKeepConsumerAndIdApart() {
        String consumer = newConsumer("layout");
        assertThat(store.recordsKey()).isEqualTo(prefix + "{inbox}:records");
        assertThat(store.record(consumer, "m-1", NOW)).isTrue();
        assertThat(redis.opsForZSet().score(store.recordsKey(), consumer.length() + ":" + consumer + "m-1"))
            .isEqualTo((double) NOW.toEpochMilli());
        assertThat(RedisInboxStore.member("ab", "c")).isNotEqualTo(RedisInboxStore.member("a", "bc"));
        assertThat(store.record("ab" + consumer, "c", NOW)).isTrue();
        assertThat(store.contains("a" + consumer, "bc")).isFalse();
    }

    @Test
    void ofRacingRecordsOfOneIdExactlyOneSucceeds() throws Exception {
        String consumer = newConsumer("race");
        List<Future<Boolean>> records = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 16; i++) {
                records.add(threads.submit(() -> store.record(consumer, "m-1", NOW)));
            }
        }
        long won = 0;
        for (Future<Boolean> record : records) {
            won += record.get() ? 1 : 0;
        }
        assertThat(won).isOne();
    }

    @Test
    void theInboxRunsAHandlerOnceAndAgainAfterItFailed() {
        DefaultInbox inbox = new DefaultInbox(store, TransactionOperations.withoutTransaction(), Clock.systemUTC());
        String consumer = newConsumer("billing");
        AtomicInteger runs = new AtomicInteger();
        assertThatIllegalStateException().isThrownBy(() -> inbox.process(consumer, "m-1", () -> {
            runs.incrementAndGet();
            throw new IllegalStateException("the handler failed");
        }));
        assertThat(store.contains(consumer, "m-1")).as("a failed handler's record is forgotten").isFalse();
        assertThat(inbox.process(consumer, "m-1", runs::incrementAndGet)).isTrue();
        assertThat(inbox.process(consumer, "m-1", runs::incrementAndGet)).as("a redelivery").isFalse();
        assertThat(runs).hasValue(2);
    }
}
