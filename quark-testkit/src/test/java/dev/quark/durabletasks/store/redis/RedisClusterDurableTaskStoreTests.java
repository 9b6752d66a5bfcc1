package dev.quark.durabletasks.store.redis;

import dev.quark.testkit.server.RedisClusterTestServer;
import dev.quark.testkit.server.RedisTestConnections;
import org.junit.jupiter.api.BeforeAll;

/**
 * The durable-task store's contract and its Redis tests on a Redis Cluster of three masters: every key of the area carries its hash tag, so the area lives in one slot.
 */
class RedisClusterDurableTaskStoreTests extends RedisDurableTaskStoreTests {

    @BeforeAll
    static void connect() {
        RedisClusterTestServer cluster = RedisClusterTestServer.get();
        String keys = cluster.uniqueKeyPrefix(RedisClusterDurableTaskStoreTests.class);
        use(RedisTestConnections.connect(cluster), keys, () -> cluster.deleteKeys(keys));
    }
}
