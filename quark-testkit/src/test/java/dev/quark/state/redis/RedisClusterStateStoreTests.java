package dev.quark.state.redis;

import dev.quark.testkit.server.RedisClusterTestServer;
import dev.quark.testkit.server.RedisTestConnections;
import org.junit.jupiter.api.BeforeAll;

/**
 * The state store's contract and its Redis tests on a Redis Cluster of three masters.
 */
class RedisClusterStateStoreTests extends RedisStateStoreTests {

    @BeforeAll
    static void connect() {
        RedisClusterTestServer cluster = RedisClusterTestServer.get();
        String keys = cluster.uniqueKeyPrefix(RedisClusterStateStoreTests.class);
        use(RedisTestConnections.connect(cluster), keys, () -> cluster.deleteKeys(keys));
    }
}
