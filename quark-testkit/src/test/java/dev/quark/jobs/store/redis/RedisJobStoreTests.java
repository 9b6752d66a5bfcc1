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
import dev.quark.testkit.server.RedisTestArea;
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

    private static RedisTestArea area;

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onServer(RedisJobStoreTests.class));
    }

    /**
     * Runs the tests in a room on a Redis; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param room the factory and the key prefix, closed after the tests
     */
    static void use(RedisTestArea room) {
        area = room;
        prefix = room.prefix();
        connectionFactory = room.connectionFactory();
        store = new RedisJobStore(connectionFactory, prefix);
        leases = new RedisLeaseStore(connectionFactory, prefix, Clock.systemUTC());
        redis = new StringRedisTemplate(connectionFactory);
    }

    @AfterAll
    static void disconnect() {
        if (area != null) {
            area.close();
            area = null;
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
    void aHashWithoutATimeoutOrWithOneThatIsNotAPositiveNumberIsClaimedWithoutOne() {
        String type = newType("bad-timeout");
        JobId older = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(older, type, "{}", null, NOW, NOW));
        JobId text = JobId.next(Clock.systemUTC());
        store.enqueue(new NewJob(text, type, "{}", null, NOW, NOW, java.util.Map.of(), java.time.Duration.ofSeconds(1)));
        assertThat(redis.opsForHash().get(store.jobKey(text), "timeout_ms")).isEqualTo("1000");
        assertThat(redis.opsForHash().hasKey(store.jobKey(older), "timeout_ms")).isFalse();
        redis.opsForHash().put(store.jobKey(text), "timeout_ms", "soon");
        assertThat(store.find(older).orElseThrow().timeout()).isNull();
        java.util.List<dev.quark.jobs.store.ClaimedJob> claimed = store.claimDue(claim(OWNER, 10, NOW, type),
                leases(OWNER, LONG));
        assertThat(claimed).extracting((c) -> c.job().id()).containsExactlyInAnyOrder(older, text);
        assertThat(claimed).allSatisfy((c) -> assertThat(c.job().timeout()).isNull());
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
