package dev.quark.messaging.store.redis;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Level;
import dev.quark.LogCapture;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.transaction.support.TransactionOperations;

import dev.quark.messaging.runtime.DefaultInbox;
import dev.quark.messaging.store.InboxStore;
import dev.quark.testkit.messaging.InboxStoreContractTests;
import dev.quark.testkit.server.RedisTestArea;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class RedisInboxStoreTests extends InboxStoreContractTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static RedisInboxStore store;

    private static StringRedisTemplate redis;

    @AutoClose
    private static RedisTestArea area;

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onServer(RedisInboxStoreTests.class));
    }

    /**
     * Runs the tests in a room on a Redis; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param room the factory and the key prefix, closed after the tests
     */
    static void use(RedisTestArea room) {
        area = room;
        prefix = room.prefix();
        connectionFactory = room.connectionFactory();
        store = new RedisInboxStore(connectionFactory, prefix);
        redis = new StringRedisTemplate(connectionFactory);
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

    @Test
    void aRecordWhoseReplyIsLostIsRetriedWithItsTokenSoTheHandlerRunsExactlyOnce() {
        RedisInboxStore losing = new ReplyLosingStore(1);
        DefaultInbox inbox = new DefaultInbox(losing, TransactionOperations.withoutTransaction(), Clock.systemUTC());
        String consumer = newConsumer("lost-reply");
        AtomicInteger runs = new AtomicInteger();
        assertThat(inbox.process(consumer, "m-1", runs::incrementAndGet)).as("the record applied, its reply lost")
            .isTrue();
        assertThat(inbox.process(consumer, "m-1", runs::incrementAndGet)).as("the broker's redelivery").isFalse();
        assertThat(runs).hasValue(1);
        assertThat(store.contains(consumer, "m-1")).isTrue();
    }

    @Test
    void aRecordWhoseRetryFailsTooIsThrownWithBothFailures() {
        RedisInboxStore losing = new ReplyLosingStore(2);
        String consumer = newConsumer("lost-twice");
        assertThatExceptionOfType(QueryTimeoutException.class).isThrownBy(() -> losing.record(consumer, "m-1", NOW))
            .satisfies((ex) -> assertThat(ex.getSuppressed()).hasSize(1));
        assertThat(store.contains(consumer, "m-1")).as("applied: the outcome the caller cannot know").isTrue();
    }

    @Test
    void onlyTheSameClaimTokenIsAnsweredRecordedByMe() {
        String consumer = newConsumer("token");
        long at = NOW.toEpochMilli();
        assertThat(store.recordScript(consumer, "m-1", at, "token-a")).isEqualTo(1);
        assertThat(store.recordScript(consumer, "m-1", at, "token-a")).isEqualTo(2);
        assertThat(store.recordScript(consumer, "m-1", at, "token-b")).isZero();
        assertThat(store.record(consumer, "m-1", NOW)).isFalse();
        String member = RedisInboxStore.member(consumer, "m-1");
        assertThat(redis.opsForHash().get(store.tokensKey(), member)).isEqualTo("token-a");
        store.forget(consumer, "m-1");
        assertThat(redis.opsForHash().get(store.tokensKey(), member)).as("forgotten with its record").isNull();
        assertThat(store.recordScript(consumer, "m-1", at, "token-b")).isEqualTo(1);
    }

    @Test
    void retentionDeletesTheClaimTokensWithTheRecords() {
        String consumer = newConsumer("token-retention");
        assertThat(store.record(consumer, "m-1", NOW)).isTrue();
        String member = RedisInboxStore.member(consumer, "m-1");
        assertThat(redis.opsForHash().hasKey(store.tokensKey(), member)).isTrue();
        while (store.deleteBefore(NOW.plusMillis(1), 1000) > 0) {
            // drains every record before NOW, other tests' included
        }
        assertThat(store.contains(consumer, "m-1")).isFalse();
        assertThat(redis.opsForHash().hasKey(store.tokensKey(), member)).isFalse();
    }

    @Test
    void aForgettingThatFailsAfterTheHandlerFailedIsSuppressedAndLoggedAtWarn() {
        RedisInboxStore unforgetting = new RedisInboxStore(connectionFactory, prefix) {

            @Override
            public void forget(String consumer, String messageId) {
                throw new QueryTimeoutException("Redis command timed out (test)");
            }
        };
        DefaultInbox inbox = new DefaultInbox(unforgetting, TransactionOperations.withoutTransaction(),
                Clock.systemUTC());
        String consumer = newConsumer("unforgotten");
        LogCapture logged = LogCapture.of(DefaultInbox.class);
        try {
            assertThatIllegalStateException().isThrownBy(() -> inbox.process(consumer, "m-1", () -> {
                throw new IllegalStateException("the handler failed");
            })).satisfies((ex) -> assertThat(ex.getSuppressed()).singleElement()
                .isInstanceOf(QueryTimeoutException.class));
        }
        finally {
            logged.close();
        }
        assertThat(logged.events()).singleElement().satisfies((event) -> {
            assertThat(event.getLevel()).isEqualTo(Level.WARN);
            assertThat(event.getFormattedMessage()).contains("'m-1'", "'" + consumer + "'");
        });
        assertThat(store.contains(consumer, "m-1")).as("documented: it stays recorded").isTrue();
    }

    /** Runs the record script, then loses its reply, the first {@code losses} times. */
    private static final class ReplyLosingStore extends RedisInboxStore {

        private final AtomicInteger losses;

        ReplyLosingStore(int losses) {
            super(connectionFactory, prefix);
            this.losses = new AtomicInteger(losses);
        }

        @Override
        long recordScript(String consumer, String messageId, long atMillis, String token) {
            long outcome = super.recordScript(consumer, messageId, atMillis, token);
            if (this.losses.getAndDecrement() > 0) {
                throw new QueryTimeoutException("Redis command timed out (test: reply lost after outcome " + outcome
                        + ")");
            }
            return outcome;
        }
    }
}
