package dev.quark.durabletasks.store.redis;

import java.time.Clock;
import java.time.Duration;

import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.redis.RedisLeaseStore;
import dev.quark.testkit.durabletasks.OrchestrationContractTests;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.awaitility.Awaitility.await;

/**
 * Orchestrations on Redis, with their leases on the same server: leases expire on the server's clock, so a crashed
 * worker's work is taken over after a real wait of the lease duration.
 */
class RedisOrchestrationTests extends OrchestrationContractTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static RedisDurableTaskStore store;

    @BeforeAll
    static void connect() {
        RedisTestServer server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisOrchestrationTests.class);
        connectionFactory = RedisTestConnections.connect(server);
        store = new RedisDurableTaskStore(connectionFactory, prefix);
    }

    @AfterAll
    static void disconnect() {
        if (prefix != null) {
            RedisTestServer.get().deleteKeys(prefix);
        }
        if (connectionFactory != null) {
            connectionFactory.destroy();
        }
    }

    @Override
    protected DurableTaskStore store() {
        return store;
    }

    @Override
    protected LeaseStore leaseStore(Clock clock) {
        return new RedisLeaseStore(connectionFactory, prefix, clock);
    }

    @Override
    protected Duration leaseDuration() {
        return Duration.ofSeconds(5);
    }

    @Override
    protected void awaitExpiry(String resource) {
        LeaseStore leases = leaseStore(Clock.systemUTC());
        await("expiry of the lease on " + resource).atMost(leaseDuration().plusSeconds(15))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> leases.holder(resource).isEmpty());
    }
}
