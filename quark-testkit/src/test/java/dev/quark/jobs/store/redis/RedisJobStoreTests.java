package dev.quark.jobs.store.redis;

import java.time.Clock;
import java.util.Set;
import java.util.TreeSet;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobId;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.NewJob;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.redis.RedisLeaseStore;
import dev.quark.testkit.jobs.JobStoreContractTests;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;

class RedisJobStoreTests extends JobStoreContractTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static RedisJobStore store;

    private static RedisLeaseStore leases;

    private static StringRedisTemplate redis;

    private static Runnable deleteKeys;

    @BeforeAll
    static void connect() {
        RedisTestServer server = RedisTestServer.get();
        String keys = server.uniqueKeyPrefix(RedisJobStoreTests.class);
        use(RedisTestConnections.connect(server), keys, () -> server.deleteKeys(keys));
    }

    /**
     * Runs the tests on a connection factory; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param factory the started factory, destroyed after the tests
     * @param keyPrefix the prefix of the tests' keys
     * @param cleanUp deletes the tests' keys after them
     */
    static void use(LettuceConnectionFactory factory, String keyPrefix, Runnable cleanUp) {
        prefix = keyPrefix;
        connectionFactory = factory;
        deleteKeys = cleanUp;
        store = new RedisJobStore(connectionFactory, prefix);
        leases = new RedisLeaseStore(connectionFactory, prefix, Clock.systemUTC());
        redis = new StringRedisTemplate(connectionFactory);
    }

    @AfterAll
    static void disconnect() {
        if (connectionFactory != null) {
            connectionFactory.destroy();
            connectionFactory = null;
        }
        if (deleteKeys != null) {
            deleteKeys.run();
            deleteKeys = null;
        }
    }

    @Override
    protected JobStore store() {
        return store;
    }

    @Override
    protected LeaseStore leaseStore() {
        return leases;
    }

    @Test
    void metadataThatIsNotAJsonObjectOfStringsDoesNotBlockTheClaimOfItsJob() {
        String type = newType("bad-metadata");
        JobId number = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(number, type, "{}", null, NOW, NOW));
        JobId mixed = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(mixed, type, "{}", null, NOW, NOW));
        redis.opsForHash().put(store.jobKey(number), "metadata", "42");
        redis.opsForHash().put(store.jobKey(mixed), "metadata", "{\"tenant\":\"acme\",\"count\":3,\"gone\":null}");
        assertThat(store.find(number).orElseThrow().metadata()).isEmpty();
        java.util.List<dev.quark.jobs.store.ClaimedJob> claimed = store.claimDue(claim(OWNER, 10, NOW, type),
                leases(OWNER, LONG));
        assertThat(claimed).extracting((c) -> c.job().id()).containsExactlyInAnyOrder(number, mixed);
        assertThat(claimed).filteredOn((c) -> c.job().id().equals(mixed))
            .singleElement()
            .satisfies((c) -> assertThat(c.job().metadata()).containsOnly(java.util.Map.entry("tenant", "acme"),
                    java.util.Map.entry("count", "3")));
    }

    @Test
    void aJobIsAHashIndexedByDueTimeStatusAndType() {
        String type = newType("layout");
        JobId id = JobId.next(Clock.systemUTC());
        Job job = store.enqueue(new NewJob(id, type, "{}", "layout-" + type, NOW, NOW.plusMillis(1500))).job();
        String tagged = prefix + "{jobs}:";
        assertThat(store.jobKey(id)).isEqualTo(tagged + "job:" + id);
        assertThat(redis.opsForHash().entries(tagged + "job:" + id)).containsEntry("type", type)
            .containsEntry("status", "SCHEDULED")
            .containsEntry("due_at", job.dueAt().toString())
            .containsEntry("idempotency_key", "layout-" + type);
        assertThat(redis.opsForZSet().score(tagged + "due:" + type, id.toString()))
            .isEqualTo((double) NOW.plusMillis(1500).toEpochMilli());
        assertThat(redis.opsForZSet().score(tagged + "status:SCHEDULED:type:" + type, id.toString())).isZero();
        assertThat(redis.opsForValue().get(tagged + "key:layout-" + type)).isEqualTo(id.toString());
        assertThat(new TreeSet<>(redis.keys(tagged + "*"))).allSatisfy((key) -> assertThat(key).startsWith(tagged));
    }
}
