package dev.quark.messaging.store.redis;

import dev.quark.testkit.server.RedisClusterTestServer;
import dev.quark.testkit.server.RedisTestConnections;
import org.junit.jupiter.api.BeforeAll;

/**
 * The outbox store's contract and its Redis tests on a Redis Cluster of three masters: the outbox lives in the slot of its hash tag.
 */
class RedisClusterOutboxStoreTests extends RedisOutboxStoreTests {

    @BeforeAll
    static void connect() {
        RedisClusterTestServer cluster = RedisClusterTestServer.get();
        String keys = cluster.uniqueKeyPrefix(RedisClusterOutboxStoreTests.class);
        use(RedisTestConnections.connect(cluster), keys, () -> cluster.deleteKeys(keys));
    }
}
