package dev.quark.eventsourcing.redis;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.Snapshot;
import dev.quark.testkit.eventsourcing.EventStoreContractTests;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class RedisEventStoreTests extends EventStoreContractTests {

    private static RedisTestServer server;

    private static String prefix;

    private static LettuceConnectionFactory connectionFactory;

    private static RedisEventStore store;

    @BeforeAll
    static void connect() {
        server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisEventStoreTests.class);
        connectionFactory = RedisTestConnections.connect(server);
        store = new RedisEventStore(connectionFactory, prefix);
    }

    @AfterAll
    static void disconnect() {
        if (connectionFactory != null) {
            connectionFactory.destroy();
        }
        if (server != null && prefix != null) {
            server.deleteKeys(prefix);
        }
    }

    @Override
    protected EventStore store() {
        return store;
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
        assertThat(redis.opsForHash().entries(key + ":ids")).containsEntry(opened.eventId().toString(), "1");
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
        assertThat(redis.opsForHash().size(key + ":ids")).isZero();
        assertThat(store.version(stream)).isEqualTo(2);
        store.append(stream, List.of(event("Deposited", "{}")), 2);
        var entries = redis.opsForStream().range(key, org.springframework.data.domain.Range.unbounded());
        assertThat(entries).extracting((entry) -> entry.getId().getValue()).containsExactly("3-0");
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
