package dev.quark.messaging.store.redis;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.transaction.support.TransactionOperations;

import dev.quark.messaging.runtime.DefaultInbox;
import dev.quark.testkit.server.RedisTestArea;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * The Redis inbox whose handler's writes go with the message's record in one script: exactly once, all or nothing.
 * Every key carries the inbox's hash tag, so that the tests run on a Redis Cluster too
 * ({@link RedisClusterAtomicInboxTests}).
 */
class RedisAtomicInboxTests {

    @AutoClose
    static RedisTestArea area;

    static RedisInboxStore store;

    static RedisAtomicInbox inbox;

    static StringRedisTemplate redis;

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onServer(RedisAtomicInboxTests.class));
    }

    static void use(RedisTestArea room) {
        area = room;
        store = new RedisInboxStore(room.connectionFactory(), room.prefix());
        inbox = new RedisAtomicInbox(store, Clock.systemUTC());
        redis = new StringRedisTemplate(room.connectionFactory());
    }

    @Test
    void theWritesAndTheRecordAreMadeOnceAndARedeliveryWritesNothing() {
        String consumer = consumer("billing");
        String account = key("account");
        String events = key("events");
        AtomicInteger runs = new AtomicInteger();
        for (int delivery = 0; delivery < 3; delivery++) {
            boolean processed = inbox.process(consumer, "m-1", (writes) -> {
                runs.incrementAndGet();
                writes.hashIncrement(account, "balance", 25)
                    .hashPut(account, "last", "m-1")
                    .streamAdd(events, Map.of("type", "billed", "amount", "25"));
            });
            assertThat(processed).as("delivery %d", delivery).isEqualTo(delivery == 0);
        }
        assertThat(runs).as("a recorded message's handler does not run").hasValue(1);
        assertThat(redis.opsForHash().entries(account)).containsOnly(Map.entry("balance", "25"),
                Map.entry("last", "m-1"));
        assertThat(redis.opsForStream().size(events)).isOne();
        assertThat(store.contains(consumer, "m-1")).isTrue();
    }

    @Test
    void everyKindOfWriteIsMadeInOrder() {
        String consumer = consumer("kinds");
        String text = key("text");
        String expiring = key("expiring");
        String counter = key("counter");
        String members = key("members");
        String ranked = key("ranked");
        String list = key("list");
        String gone = key("gone");
        redis.opsForValue().set(gone, "old");
        assertThat(inbox.process(consumer, "m-1", (writes) -> writes.set(text, "a")
            .set(expiring, "b", Duration.ofMinutes(5))
            .set(counter, "5")
            .increment(counter, 2)
            .setAdd(members, "x")
            .sortedSetAdd(ranked, "y", 1.5)
            .listRightPush(list, "first")
            .listRightPush(list, "second")
            .delete(gone)
            .expire(text, Duration.ofMinutes(10)))).isTrue();
        assertThat(redis.opsForValue().get(text)).isEqualTo("a");
        assertThat(redis.getExpire(text, TimeUnit.SECONDS)).isBetween(500L, 600L);
        assertThat(redis.getExpire(expiring, TimeUnit.SECONDS)).isBetween(200L, 300L);
        assertThat(redis.opsForValue().get(counter)).isEqualTo("7");
        assertThat(redis.opsForSet().members(members)).containsExactly("x");
        assertThat(redis.opsForZSet().score(ranked, "y")).isEqualTo(1.5);
        assertThat(redis.opsForList().range(list, 0, -1)).containsExactly("first", "second");
        assertThat(redis.hasKey(gone)).isFalse();
    }

    @Test
    void aHandlerThatThrowsWritesAndRecordsNothingAndItsRedeliveryRunsIt() {
        String consumer = consumer("failing");
        String counter = key("counter");
        assertThatIllegalStateException().isThrownBy(() -> inbox.process(consumer, "m-1", (writes) -> {
            writes.increment(counter, 1);
            throw new IllegalStateException("the handler failed");
        })).withMessage("the handler failed");
        assertThat(redis.hasKey(counter)).isFalse();
        assertThat(store.contains(consumer, "m-1")).isFalse();
        assertThat(inbox.process(consumer, "m-1", (writes) -> writes.increment(counter, 1))).isTrue();
        assertThat(redis.opsForValue().get(counter)).isEqualTo("1");
    }

    @Test
    void aWriteThatWouldFailOnWhatItsKeyHoldsRefusesEveryWriteAndTheRecord() {
        String consumer = consumer("refused");
        String written = key("written");
        String text = key("text");
        redis.opsForValue().set(text, "not a hash");
        assertThatIllegalStateException()
            .isThrownBy(() -> inbox.process(consumer, "m-1",
                    (writes) -> writes.set(written, "x").hashPut(text, "field", "value")))
            .withMessageContaining("'" + consumer + "'")
            .withMessageContaining("'m-1'")
            .withMessageContaining("HSET " + text + ": the key holds a string, not a hash");
        assertThat(redis.hasKey(written)).as("the write before the refused one").isFalse();
        assertThat(redis.opsForValue().get(text)).isEqualTo("not a hash");
        assertThat(store.contains(consumer, "m-1")).isFalse();
        assertThat(inbox.process(consumer, "m-1",
                (writes) -> writes.set(written, "x").hashPut(key("hash"), "field", "value"))).isTrue();
        assertThat(redis.opsForValue().get(written)).isEqualTo("x");
    }

    @Test
    void incrementsAreCheckedAgainstTheValuesTheWritesBeforeThemLeave() {
        String consumer = consumer("increments");
        String text = key("text");
        String counter = key("counter");
        String hash = key("hash");
        redis.opsForValue().set(text, "abc");
        redis.opsForHash().put(hash, "name", "n");
        assertThatIllegalStateException()
            .isThrownBy(() -> inbox.process(consumer, "m-1", (writes) -> writes.increment(text, 1)))
            .withMessageContaining("INCRBY " + text + ": the value is not a 64-bit integer");
        assertThatIllegalStateException()
            .isThrownBy(() -> inbox.process(consumer, "m-2",
                    (writes) -> writes.set(counter, "x").increment(counter, 1)))
            .withMessageContaining("INCRBY " + counter);
        assertThat(redis.hasKey(counter)).isFalse();
        assertThatIllegalStateException()
            .isThrownBy(() -> inbox.process(consumer, "m-3", (writes) -> writes.hashIncrement(hash, "name", 1)))
            .withMessageContaining("HINCRBY " + hash + " name: the field is not a 64-bit integer");
        assertThat(inbox.process(consumer, "m-4", (writes) -> writes.delete(text)
            .increment(text, 3)
            .delete(hash)
            .hashIncrement(hash, "name", 4)
            .set(counter, "-2")
            .increment(counter, 1))).as("a deleted key counts as 0, a value set before as itself").isTrue();
        assertThat(redis.opsForValue().get(text)).isEqualTo("3");
        assertThat(redis.opsForHash().get(hash, "name")).isEqualTo("4");
        assertThat(redis.opsForValue().get(counter)).isEqualTo("-1");
        assertThat(store.contains(consumer, "m-1")).isFalse();
        assertThat(store.contains(consumer, "m-2")).isFalse();
        assertThat(store.contains(consumer, "m-3")).isFalse();
    }

    @Test
    void valuesRedisDoesNotReadAsIntegersAreRefusedAndSumsAreCheckedExactlyAgainst64Bits() {
        String consumer = consumer("integers");
        String list = key("list");
        String padded = key("padded");
        String negativeZero = key("negative-zero");
        String hash = key("hash");
        String big = key("big");
        String low = key("low");
        redis.opsForValue().set(padded, "007");
        redis.opsForValue().set(negativeZero, "-0");
        redis.opsForHash().put(hash, "padded", "01");
        redis.opsForHash().put(hash, "top", "9223372036854775807");
        redis.opsForValue().set(big, "9223372036854775806");
        redis.opsForValue().set(low, "-9223372036854775807");
        Map<String, java.util.function.Consumer<RedisInboxWrites>> refused = new java.util.LinkedHashMap<>();
        refused.put("INCRBY " + padded + ": the value is not a 64-bit integer", (writes) -> writes.increment(padded, 1));
        refused.put("INCRBY " + negativeZero + ": the value is not a 64-bit integer",
                (writes) -> writes.increment(negativeZero, 1));
        refused.put("HINCRBY " + hash + " padded: the field is not a 64-bit integer",
                (writes) -> writes.hashIncrement(hash, "padded", 1));
        refused.put("HINCRBY " + hash + " top: the sum overflows", (writes) -> writes.hashIncrement(hash, "top", 1));
        refused.put("INCRBY " + big + ": the sum overflows", (writes) -> writes.increment(big, 1).increment(big, 1));
        refused.put("INCRBY " + low + ": the sum overflows", (writes) -> writes.increment(low, -2));
        refused.put("INCRBY " + list + "-counter: the sum overflows", (writes) -> writes
            .set(list + "-counter", "9223372036854775000")
            .increment(list + "-counter", 808));
        int message = 0;
        for (Map.Entry<String, java.util.function.Consumer<RedisInboxWrites>> write : refused.entrySet()) {
            String messageId = "m-" + (++message);
            assertThatIllegalStateException().as(write.getKey())
                .isThrownBy(() -> inbox.process(consumer, messageId, (writes) -> {
                    writes.listRightPush(list, messageId);
                    write.getValue().accept(writes);
                }))
                .withMessageContaining(write.getKey());
            assertThat(store.contains(consumer, messageId)).isFalse();
        }
        assertThat(redis.hasKey(list)).as("no write before a refused one").isFalse();
        assertThat(redis.hasKey(list + "-counter")).isFalse();
        assertThat(inbox.process(consumer, "m-ok", (writes) -> writes.increment(big, 1)
            .increment(low, -1)
            .hashIncrement(hash, "top", -9_223_372_036_854_775_807L)
            .set(list, "1000000000000000000")
            .increment(list, 1)
            .set(padded, "-999999999")
            .increment(padded, -1)
            .increment(negativeZero + "-fresh", Long.MIN_VALUE))).isTrue();
        assertThat(redis.opsForValue().get(big)).isEqualTo("9223372036854775807");
        assertThat(redis.opsForValue().get(low)).isEqualTo("-9223372036854775808");
        assertThat(redis.opsForHash().get(hash, "top")).isEqualTo("0");
        assertThat(redis.opsForValue().get(list)).isEqualTo("1000000000000000001");
        assertThat(redis.opsForValue().get(padded)).isEqualTo("-1000000000");
        assertThat(redis.opsForValue().get(negativeZero + "-fresh")).isEqualTo("-9223372036854775808");
    }

    @Test
    void theInboxsOwnKeysAreRefused() {
        String consumer = consumer("own-keys");
        String written = key("written");
        for (String own : List.of(store.recordsKey(), store.tokensKey())) {
            assertThatIllegalArgumentException()
                .isThrownBy(() -> inbox.process(consumer, "m-1", (writes) -> writes.set(written, "x").delete(own)))
                .withMessageContaining("its own key '" + own + "'");
        }
        assertThat(redis.hasKey(written)).isFalse();
        assertThat(store.contains(consumer, "m-1")).isFalse();
    }

    @Test
    void ofConcurrentDeliveriesOfOneMessageExactlyOneWrites() throws Exception {
        String consumer = consumer("race");
        String counter = key("counter");
        CountDownLatch allRunning = new CountDownLatch(8);
        List<Future<Boolean>> deliveries = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 8; i++) {
                deliveries.add(threads.submit(() -> inbox.process(consumer, "m-1", (writes) -> {
                    allRunning.countDown();
                    try {
                        allRunning.await(10, TimeUnit.SECONDS);
                    }
                    catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                    writes.increment(counter, 1);
                })));
            }
        }
        int processed = 0;
        for (Future<Boolean> delivery : deliveries) {
            processed += delivery.get() ? 1 : 0;
        }
        assertThat(processed).isOne();
        assertThat(redis.opsForValue().get(counter)).isEqualTo("1");
    }

    @Test
    void itSharesItsRecordsWithTheInboxOfTheSameStore() {
        String consumer = consumer("shared");
        DefaultInbox plain = new DefaultInbox(store, TransactionOperations.withoutTransaction(), Clock.systemUTC());
        assertThat(plain.process(consumer, "m-1", () -> {
        })).isTrue();
        AtomicInteger runs = new AtomicInteger();
        assertThat(inbox.process(consumer, "m-1", (writes) -> runs.incrementAndGet())).isFalse();
        assertThat(runs).hasValue(0);
        assertThat(inbox.process(consumer, "m-2", (writes) -> writes.set(key("x"), "1"))).isTrue();
        assertThat(plain.process(consumer, "m-2", runs::incrementAndGet)).isFalse();
        assertThat(runs).hasValue(0);
        while (store.deleteBefore(Instant.now().plusSeconds(1), 1000) > 0) {
            // retention drains every record, other tests' included
        }
        assertThat(store.contains(consumer, "m-2")).as("retention deletes its records too").isFalse();
    }

    @Test
    void aScriptWhoseReplyIsLostIsRunAgainWithItsTokenSoItsWritesAreMadeOnce() {
        String consumer = consumer("lost-reply");
        String counter = key("counter");
        RedisAtomicInbox losing = new ReplyLosingInbox(1);
        assertThat(losing.process(consumer, "m-1", (writes) -> writes.increment(counter, 1)))
            .as("applied, its reply lost, then answered by the run again")
            .isTrue();
        assertThat(redis.opsForValue().get(counter)).isEqualTo("1");
        RedisAtomicInbox losingTwice = new ReplyLosingInbox(2);
        assertThatExceptionOfType(QueryTimeoutException.class)
            .isThrownBy(() -> losingTwice.process(consumer, "m-2", (writes) -> writes.increment(counter, 1)))
            .satisfies((ex) -> assertThat(ex.getSuppressed()).hasSize(1));
        assertThat(redis.opsForValue().get(counter)).as("applied once: the outcome the caller cannot know")
            .isEqualTo("2");
        assertThat(inbox.process(consumer, "m-2", (writes) -> writes.increment(counter, 1))).isFalse();
    }

    @Test
    void badInputIsRefusedNamingIt() {
        assertThatIllegalArgumentException().isThrownBy(() -> inbox.process(" ", "m-1", (writes) -> {
        })).withMessageContaining("consumer");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> inbox.process(consumer("bad"), "m-1", (writes) -> writes.set("k", "v", Duration.ZERO)))
            .withMessageContaining("1 ms to 36500 days")
            .withMessageContaining("was PT0S");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> inbox.process(consumer("bad"), "m-1",
                    (writes) -> writes.expire("k", Duration.ofMillis(Long.MAX_VALUE))))
            .withMessageContaining("for a key that lives for ever, set none");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> inbox.process(consumer("bad"), "m-1", (writes) -> writes.streamAdd("k", Map.of())))
            .withMessageContaining("'k' has 1 to 1000 fields, had 0");
        Map<String, String> tooMany = new java.util.HashMap<>();
        for (int i = 0; i <= 1000; i++) {
            tooMany.put("f" + i, "v");
        }
        assertThatIllegalArgumentException()
            .isThrownBy(() -> inbox.process(consumer("bad"), "m-1", (writes) -> writes.streamAdd("k", tooMany)))
            .withMessageContaining("had 1001");
        assertThatIllegalArgumentException()
            .isThrownBy(
                    () -> inbox.process(consumer("bad"), "m-1", (writes) -> writes.sortedSetAdd("k", "m", Double.NaN)))
            .withMessageContaining("finite");
    }

    static String consumer(String name) {
        return name + "-" + UUID.randomUUID();
    }

    static String key(String name) {
        return area.prefix() + "{inbox}:test:" + name + ":" + UUID.randomUUID();
    }

    /** Runs the script, then loses its reply, the first {@code losses} times. */
    private static final class ReplyLosingInbox extends RedisAtomicInbox {

        private final AtomicInteger losses;

        ReplyLosingInbox(int losses) {
            super(store, Clock.systemUTC());
            this.losses = new AtomicInteger(losses);
        }

        @Override
        List<?> run(Script script) {
            List<?> outcome = super.run(script);
            if (this.losses.getAndDecrement() > 0) {
                throw new QueryTimeoutException("Redis command timed out (test: reply lost after " + outcome + ")");
            }
            return outcome;
        }
    }
}
