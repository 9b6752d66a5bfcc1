package dev.quark.lease.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseStore;
import dev.quark.testkit.lease.FencedRecords;
import dev.quark.testkit.lease.LeaseStoreContractTests;
import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class RedisLeaseStoreTests extends LeaseStoreContractTests {

    /** KEYS[1] = the record; ARGV[1] = the token. */
    private static final RedisScript<Long> STAMP = RedisFencing.script("""
            return quark_fence_stamp(KEYS[1], 'lease_token', ARGV[1]) and 1 or 0
            """, Long.class);

    /** KEYS[1] = the record; ARGV[1] = the token, ARGV[2] = the value. */
    private static final RedisScript<Long> WRITE = RedisFencing.script("""
            if not quark_fence_holds(KEYS[1], 'lease_token', ARGV[1]) then
                return 0
            end
            redis.call('HSET', KEYS[1], 'value', ARGV[2])
            return 1
            """, Long.class);

    /** KEYS[1] = the lease, KEYS[2] = the record; ARGV[1] = the token, ARGV[2] = the value. */
    private static final RedisScript<Long> WRITE_IF_LEASE_HOLDS = RedisFencing.script("""
            if not quark_lease_holds(KEYS[1], ARGV[1]) then
                return 0
            end
            redis.call('HSET', KEYS[2], 'value', ARGV[2])
            return 1
            """, Long.class);

    private static String prefix;

    private static LettuceConnectionFactory connectionFactory;

    private static RedisLeaseStore store;

    private static StringRedisTemplate redis;

    @AutoClose
    private static RedisTestArea area;

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onServer(RedisLeaseStoreTests.class));
    }

    /**
     * Runs the tests in a room on a Redis; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param room the factory and the key prefix, closed after the tests
     */
    static void use(RedisTestArea room) {
        area = room;
        prefix = room.prefix();
        connectionFactory = room.connectionFactory();
        store = new RedisLeaseStore(connectionFactory, prefix, Clock.systemUTC());
        redis = new StringRedisTemplate(connectionFactory);
    }

    @Override
    protected LeaseStore store() {
        return store;
    }

    @Override
    protected Clock clock() {
        return Clock.systemUTC();
    }

    @Override
    protected LeaseStore newStoreOnTheSameBackend() {
        return new RedisLeaseStore(connectionFactory, prefix, Clock.systemUTC());
    }

    @Override
    protected FencedRecords fencedRecords() {
        return new FencedRecords() {
            @Override
            public void create(String id, String value) {
                redis.opsForHash().put(recordKey(id), "value", value);
            }

            @Override
            public boolean stamp(String id, FencingToken token) {
                return redis.execute(STAMP, List.of(recordKey(id)), token.toString()) == 1L;
            }

            @Override
            public boolean write(String id, FencingToken token, String value) {
                return redis.execute(WRITE, List.of(recordKey(id)), token.toString(), value) == 1L;
            }

            @Override
            public String read(String id) {
                return (String) redis.opsForHash().get(recordKey(id), "value");
            }
        };
    }

    private static String recordKey(String id) {
        return prefix + "{lease}:record:" + id;
    }

    @Test
    void eachHeldLeaseIsOneExpiringHashUnderTheDocumentedKey() {
        String resource = newResource("job");
        Lease lease = store.tryAcquire(resource, OWNER, Duration.ofSeconds(30)).orElseThrow();
        String key = prefix + "{lease}:resource:" + resource;
        assertThat(store.leaseKey(resource)).isEqualTo(key);
        assertThat(redis.opsForHash().entries(key)).containsOnly(Map.entry("owner", OWNER),
                Map.entry("token", lease.token().toString()));
        assertThat(redis.getExpire(key)).isBetween(1L, 30L);
        assertThat(store.tokenCounterKey()).isEqualTo(prefix + "{lease}:token");
        assertThat(Long.parseLong(redis.opsForValue().get(store.tokenCounterKey()))).isGreaterThanOrEqualTo(lease.token().value());
        assertThat(redis.getExpire(store.tokenCounterKey())).as("the counter never expires").isEqualTo(-1L);
        store.release(lease);
        assertThat(redis.hasKey(key)).as("a released lease leaves no key").isFalse();
    }

    @Test
    void aLuaWriteCanRequireTheLeaseItself() {
        String resource = newResource("job");
        String record = recordKey(resource);
        Lease stale = store.tryAcquire(resource, OWNER, shortDuration()).orElseThrow();
        List<String> keys = List.of(store.leaseKey(resource), record);
        assertThat(redis.execute(WRITE_IF_LEASE_HOLDS, keys, stale.token().toString(), "in time")).isEqualTo(1L);
        awaitExpiry(stale);
        assertThat(redis.execute(WRITE_IF_LEASE_HOLDS, keys, stale.token().toString(), "expired")).isZero();
        Lease current = store.tryAcquire(resource, OTHER, Duration.ofSeconds(30)).orElseThrow();
        assertThat(redis.execute(WRITE_IF_LEASE_HOLDS, keys, stale.token().toString(), "stale")).isZero();
        assertThat(redis.execute(WRITE_IF_LEASE_HOLDS, keys, current.token().toString(), "current")).isEqualTo(1L);
        assertThat(redis.opsForHash().get(record, "value")).isEqualTo("current");
    }

    @Test
    void aHashThatIsNotALeaseIsReportedRatherThanReadAsFree() {
        String resource = newResource("foreign");
        redis.opsForHash().put(store.leaseKey(resource), "owner", "someone");
        assertThatIllegalStateException().isThrownBy(() -> store.holder(resource))
            .withMessageContaining(store.leaseKey(resource));
    }
}
