package dev.quark.eventsourcing.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.quark.eventsourcing.ConcurrencyException;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.Snapshot;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.testkit.eventsourcing.EventStoreContractTests;
import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class RedisEventStoreTests extends EventStoreContractTests {

    private static String prefix;

    private static LettuceConnectionFactory connectionFactory;

    private static RedisEventStore store;

    @AutoClose
    private static RedisTestArea area;

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onServer(RedisEventStoreTests.class));
    }

    /**
     * Runs the tests in a room on a Redis; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param room the factory and the key prefix, closed after the tests
     */
    static void use(RedisTestArea room) {
        area = room;
        prefix = room.prefix();
        connectionFactory = room.connectionFactory();
        store = new RedisEventStore(connectionFactory, prefix);
    }

    @Override
    protected EventStore store() {
        return store;
    }

    @Override
    protected void deleteSnapshotByHand(String stream) {
        new StringRedisTemplate(connectionFactory).delete(store.redisKey(stream) + ":snapshot");
    }

    @Test
    void eachStreamIsARedisStreamWhoseEntryIdsAreTheVersions() {
        String stream = newStream();
        NewEvent opened = new NewEvent(UUID.randomUUID(), "Opened", 2, "{\"owner\":\"Ada\"}");
        store.append(stream, List.of(opened, event("Deposited", "{}")), 0);
        String key = prefix + "events:{" + stream + "}";
        assertThat(store.redisKey(stream)).isEqualTo(key);
        StringRedisTemplate redis = new StringRedisTemplate(connectionFactory);
        var entries = redis.opsForStream().range(key, org.springframework.data.domain.Range.unbounded());
        assertThat(entries).extracting((entry) -> entry.getId().getValue()).containsExactly("1-0", "2-0");
        assertThat(entries.get(0).getValue()).containsEntry("id", opened.eventId().toString())
            .containsEntry("type", "Opened")
            .containsEntry("schema", "2")
            .containsEntry("payload", "{\"owner\":\"Ada\"}");
        assertThat(redis.opsForHash().entries(key + ":ids")).containsEntry(opened.eventId().toString(), "1")
            .containsEntry("version", "2")
            .hasSize(3);
    }

    @Test
    void anAppendReadsTheRecordedVersionAndFallsBackToTheStreamsHeadWhenItIsMissingOrBehind() {
        String stream = newStream();
        String ids = store.redisKey(stream) + ":ids";
        StringRedisTemplate redis = new StringRedisTemplate(connectionFactory);
        store.append(stream, List.of(event("Opened", "{}"), event("Deposited", "{}")), 0);
        redis.opsForHash().delete(ids, "version");
        assertThat(store.append(stream, List.of(event("Deposited", "{}")), 2).version())
            .as("a stream last appended to by an earlier version, without the field")
            .isEqualTo(3);
        assertThat(redis.opsForHash().get(ids, "version")).isEqualTo("3");

        redis.opsForHash().put(ids, "version", "1");
        assertThatExceptionOfType(ConcurrencyException.class)
            .as("the field behind the stream, as an earlier version's append leaves it")
            .isThrownBy(() -> store.append(stream, List.of(event("Deposited", "{}")), 1))
            .satisfies((ex) -> assertThat(ex.getActualVersion()).isEqualTo(3));
        assertThat(store.append(stream, List.of(event("Deposited", "{}")), 3).version()).isEqualTo(4);
        redis.opsForHash().put(ids, "version", "2");
        assertThat(store.append(stream, List.of(event("Deposited", "{}"), event("Deposited", "{}")),
                EventStore.ANY_VERSION).version()).isEqualTo(6);
        assertThat(store.read(stream, 1, 100)).extracting(StoredEvent::version).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(redis.opsForHash().get(ids, "version")).isEqualTo("6");
    }

    @Test
    void aStreamTruncatedThroughItsLastEventKeepsAnEmptyRedisStreamWhoseLastIdIsItsVersion() {
        String stream = newStream();
        store.append(stream, List.of(event("Opened", "{}"), event("Deposited", "{}")), 0);
        store.saveSnapshot(stream, new Snapshot(2, "{}"));
        store.truncateStream(stream, 2);
        String key = store.redisKey(stream);
        StringRedisTemplate redis = new StringRedisTemplate(connectionFactory);
        assertThat(redis.opsForStream().size(key)).isZero();
        assertThat(redis.hasKey(key)).isTrue();
        assertThat(redis.opsForHash().keys(key + ":ids")).as("only the version is left").containsExactly("version");
        assertThat(store.version(stream)).isEqualTo(2);
        store.append(stream, List.of(event("Deposited", "{}")), 2);
        var entries = redis.opsForStream().range(key, org.springframework.data.domain.Range.unbounded());
        assertThat(entries).extracting((entry) -> entry.getId().getValue()).containsExactly("3-0");
    }

    @Test
    void aTruncationDeletesBatchesOfTheConfiguredSizeUpToTheVersionAndKeepsTheRest() {
        RedisEventStore batched = new RedisEventStore(connectionFactory, prefix, 3);
        assertThat(batched.truncationBatch()).isEqualTo(3);
        for (int batch : new int[] { 1, 3, 4, 8, 100 }) {
            String stream = newStream();
            List<NewEvent> events = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                events.add(event("Deposited", "{\"n\":" + (i + 1) + "}"));
            }
            RedisEventStore store = new RedisEventStore(connectionFactory, prefix, batch);
            store.append(stream, events, 0);
            store.saveSnapshot(stream, new Snapshot(8, "{}"));

            assertThat(store.truncateStream(stream, 8, 10)).as("batch " + batch).isEqualTo(8);

            assertThat(store.read(stream, 1, 100)).extracting(StoredEvent::version).containsExactly(9L, 10L);
            assertThat(new StringRedisTemplate(connectionFactory).opsForHash().size(store.redisKey(stream) + ":ids"))
                .as("two ids and the version")
                .isEqualTo(3);
            assertThat(store.truncateStream(stream, 8, 10)).isZero();
            assertThat(store.append(stream, List.of(events.get(9)), 0).duplicate()).isTrue();
        }
    }

    @Test
    @Timeout(120)
    void aLongStreamIsTruncatedInBatchesThatReadersSeeOnlyAsAStartCoveredByTheSnapshot() throws Exception {
        String stream = newStream();
        int total = 20_000;
        for (int from = 0; from < total; from += 1000) {
            List<NewEvent> events = new ArrayList<>();
            for (int i = from; i < from + 1000; i++) {
                events.add(event("Deposited", "{\"n\":" + (i + 1) + "}"));
            }
            store.append(stream, events, from);
        }
        store.saveSnapshot(stream, new Snapshot(total - 5, "{}"), total);
        RedisEventStore batched = new RedisEventStore(connectionFactory, prefix, 500);
        AtomicBoolean done = new AtomicBoolean();
        Set<Long> starts = ConcurrentHashMap.newKeySet();
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
            while (!done.get()) {
                List<StoredEvent> first = batched.read(stream, 1, 1);
                long start = first.get(0).version();
                long snapshot = batched.loadSnapshot(stream).orElseThrow().version();
                assertThat(start - 1).as("a start the snapshot covers").isLessThanOrEqualTo(snapshot);
                starts.add(start);
            }
        });
        try {
            assertThat(batched.truncateStream(stream, total - 5, total)).isEqualTo(total - 5);
        }
        finally {
            done.set(true);
        }
        reader.get(30, TimeUnit.SECONDS);
        assertThat(starts).as("starts seen while truncating").isNotEmpty()
            .allSatisfy((start) -> assertThat((start - 1) % 500 == 0 || start - 1 == total - 5)
                .as("start %d: after a whole batch, or after the truncated version", start)
                .isTrue());
        assertThat(store.read(stream, 1, 100)).extracting(StoredEvent::version)
            .containsExactly(19_996L, 19_997L, 19_998L, 19_999L, 20_000L);
        assertThat(new StringRedisTemplate(connectionFactory).opsForHash().size(store.redisKey(stream) + ":ids"))
            .as("five ids and the version")
            .isEqualTo(6);
        assertThat(store.version(stream)).isEqualTo(total);
        assertThat(store.append(stream, List.of(event("Deposited", "{}")), total).version()).isEqualTo(total + 1);
    }

    @Test
    void aTruncationBatchOutOfRangeIsRefusedNamingIt() {
        assertThatIllegalArgumentException().isThrownBy(() -> new RedisEventStore(connectionFactory, prefix, 0))
            .withMessageContaining("1 to 10000")
            .withMessageContaining("was 0");
        assertThatIllegalArgumentException().isThrownBy(() -> new RedisEventStore(connectionFactory, prefix, 10_001))
            .withMessageContaining("was 10001");
        assertThat(store.truncationBatch()).isEqualTo(RedisEventStore.DEFAULT_TRUNCATION_BATCH);
    }

    @Test
    void thereIsNoGlobalFeed() {
        assertThat(store.feed()).isEmpty();
    }

    @Test
    void snapshotsAreAHashBesideTheStream() {
        String stream = newStream();
        store.append(stream, List.of(event("A", "{}"), event("B", "{}"), event("C", "{}")), 0);
        store.saveSnapshot(stream, new Snapshot(3, "{\"balance\":3}"));
        Map<Object, Object> hash = new StringRedisTemplate(connectionFactory).opsForHash()
            .entries(store.redisKey(stream) + ":snapshot");
        assertThat(hash).containsOnly(Map.entry("version", "3"), Map.entry("payload", "{\"balance\":3}"));
    }

    @Test
    void anEntryThatIsNotAQuarkEventIsReportedNamingTheKey() {
        String stream = newStream();
        new StringRedisTemplate(connectionFactory).opsForStream()
            .add(org.springframework.data.redis.connection.stream.StreamRecords.string(Map.of("payload", "{}"))
                .withStreamKey(store.redisKey(stream))
                .withId(org.springframework.data.redis.connection.stream.RecordId.of("1-0")));
        assertThatIllegalStateException().isThrownBy(() -> store.read(stream, 1, 10))
            .withMessageContaining(store.redisKey(stream))
            .withMessageContaining("'id'");
    }
}
