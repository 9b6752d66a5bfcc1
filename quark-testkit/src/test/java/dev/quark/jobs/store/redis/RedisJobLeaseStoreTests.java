package dev.quark.jobs.store.redis;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

import dev.quark.jobs.JobId;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.NewJob;
import dev.quark.lease.FencingToken;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.redis.RedisFencing;
import dev.quark.testkit.lease.FencedRecords;
import dev.quark.testkit.lease.LeaseStoreContractTests;
import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lease store's contract for {@link RedisJobStore}'s leases, kept in the job hashes ({@link RedisJobLeaseStore}).
 * Its resources are jobs: each test's resource is a job enqueued for it ({@link #newResource}). Where the contract
 * does not apply:
 * <ul>
 * <li>tokens grow per job (the hash's previous token plus one), not from one counter for all resources
 * ({@link #tokensSharedByAllResources()} is {@code false}): the tests do not compare tokens across resources;</li>
 * <li>{@code raiseTokensAbove} is not supported (the contract allows it and skips its test): the job hash is both
 * where the token comes from and what it guards, so it cannot fall behind its own records;</li>
 * <li>{@link #resourcesAreDistinctWhateverCharactersTheirNamesHave} is not run: its resources are names made up of
 * any characters, and a resource of this store must name a job ({@code jobs:<id>}); any other is never granted.</li>
 * </ul>
 * The fenced records are hashes of their own, stamped and written with {@link RedisFencing} and this store's tokens:
 * the job scripts' own fencing is the job store contract's.
 */
class RedisJobLeaseStoreTests extends LeaseStoreContractTests {

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

    @AutoClose
    private static RedisTestArea area;

    private static RedisJobStore jobs;

    private static StringRedisTemplate redis;

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onServer(RedisJobLeaseStoreTests.class));
    }

    /**
     * Runs the tests in a room on a Redis; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param room the factory and the key prefix, closed after the tests
     */
    static void use(RedisTestArea room) {
        area = room;
        jobs = new RedisJobStore(room.connectionFactory(), room.prefix());
        redis = new StringRedisTemplate(room.connectionFactory());
    }

    @Override
    protected LeaseStore store() {
        return jobs.leaseStore().orElseThrow();
    }

    @Override
    protected Clock clock() {
        return Clock.systemUTC();
    }

    @Override
    protected LeaseStore newStoreOnTheSameBackend() {
        return new RedisJobStore(area.connectionFactory(), area.prefix()).leaseStore().orElseThrow();
    }

    @Override
    protected boolean tokensSharedByAllResources() {
        return false;
    }

    /**
     * Enqueues a job and returns its lease resource.
     */
    @Override
    protected String newResource(String name) {
        Instant now = Instant.now();
        JobId id = JobId.next(Clock.systemUTC());
        jobs.enqueue(new NewJob(id, "lease-contract-" + name, "{}", null, now, now));
        return JobLeases.resource(id);
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
        return area.prefix() + "{jobs}:record:" + id;
    }

    /**
     * Not run: a resource of this store names a job, not any string (see the class's javadoc).
     */
    @Override
    @Test
    @Disabled("A resource of the job hashes' lease store names a job (jobs:<id>), not any string")
    public void resourcesAreDistinctWhateverCharactersTheirNamesHave() {
    }

    @Test
    void aResourceThatNamesNoJobIsNeverGranted() {
        LeaseStore store = store();
        String missing = JobLeases.resource(JobId.next(Clock.systemUTC()));
        assertThat(store.tryAcquireAny(List.of("not-a-job", missing), 2, OWNER, LONG)).isEmpty();
        assertThat(store.holder(missing)).isEmpty();
    }
}
