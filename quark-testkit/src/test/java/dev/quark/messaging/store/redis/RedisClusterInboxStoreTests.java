package dev.quark.messaging.store.redis;

import dev.quark.testkit.server.RedisClusterTestServer;
import dev.quark.testkit.server.RedisTestConnections;
import org.junit.jupiter.api.BeforeAll;

/**
 * The inbox store's contract and its Redis tests on a Redis Cluster of three masters.
 */
class RedisClusterInboxStoreTests extends RedisInboxStoreTests {

    @BeforeAll
    static void connect() {
        RedisClusterTestServer cluster = RedisClusterTestServer.get();
        String keys = cluster.uniqueKeyPrefix(RedisClusterInboxStoreTests.class);
        use(RedisTestConnections.connect(cluster), keys, () -> cluster.deleteKeys(keys));
    }
}
