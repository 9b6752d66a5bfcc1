package dev.quark.messaging.store.redis;

import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.BeforeAll;

/**
 * The inbox store's contract and its Redis tests on a Redis Cluster of three masters.
 */
class RedisClusterInboxStoreTests extends RedisInboxStoreTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterInboxStoreTests.class));
    }
}
