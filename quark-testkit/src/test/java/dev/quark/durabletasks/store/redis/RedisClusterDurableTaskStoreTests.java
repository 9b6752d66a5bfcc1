package dev.quark.durabletasks.store.redis;

import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.BeforeAll;

/**
 * The durable-task store's contract and its Redis tests on a Redis Cluster of three masters: every key of the area carries its hash tag, so the area lives in one slot.
 */
class RedisClusterDurableTaskStoreTests extends RedisDurableTaskStoreTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterDurableTaskStoreTests.class));
    }
}
