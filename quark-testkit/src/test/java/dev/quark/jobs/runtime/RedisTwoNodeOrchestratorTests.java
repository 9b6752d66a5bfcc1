package dev.quark.jobs.runtime;

import java.util.Set;

import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.redis.RedisJobStore;
import dev.quark.lease.LeaseStore;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;

class RedisTwoNodeOrchestratorTests extends TwoNodeOrchestratorTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static RedisJobStore store;

    private static LeaseStore leases;

    private static StringRedisTemplate redis;

    @BeforeAll
    static void connect() {
        RedisTestServer server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisTwoNodeOrchestratorTests.class);
        connectionFactory = RedisTestConnections.connect(server);
        store = new RedisJobStore(connectionFactory, prefix);
        leases = store.leaseStore().orElseThrow();
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
    protected JobStore store() {
        return store;
    }

    @Override
    protected LeaseStore leases() {
        return leases;
    }

    @Override
    protected void expireLease(String resource) {
        String id = JobLeases.jobId(resource).toString();
        redis.opsForHash().put(store.jobKey(JobLeases.jobId(resource)), "lease_expires_at", "0");
        // The take-over looks for free leases in the expiry index, which the lease scripts keep; the hash first, so
        // that a take-over in between does not put the old expiry back.
        redis.opsForZSet().add(prefix + "{jobs}:lease-expiry", id, 0);
    }

    @Override
    protected long heldJobLeases() {
        Set<String> keys = redis.keys(prefix + "{jobs}:job:*");
        if (keys == null) {
            return 0;
        }
        long now = redis.execute((RedisCallback<Long>) (connection) -> connection.serverCommands().time());
        return keys.stream()
            .map((key) -> (String) redis.opsForHash().get(key, "lease_expires_at"))
            .filter((expiresAt) -> expiresAt != null && Long.parseLong(expiresAt) > now)
            .count();
    }
}
