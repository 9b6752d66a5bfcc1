package dev.quark.jobs.store.redis;

import dev.quark.testkit.server.RedisClusterTestServer;
import dev.quark.testkit.server.RedisTestConnections;
import org.junit.jupiter.api.BeforeAll;

/**
 * The job store's contract and its Redis tests on a Redis Cluster of three masters: the store's keys and its leases' share hash tags, so its scripts find their keys in one slot.
 */
class RedisClusterJobStoreTests extends RedisJobStoreTests {

    @BeforeAll
    static void connect() {
        RedisClusterTestServer cluster = RedisClusterTestServer.get();
        String keys = cluster.uniqueKeyPrefix(RedisClusterJobStoreTests.class);
        use(RedisTestConnections.connect(cluster), keys, () -> cluster.deleteKeys(keys));
    }
}
