package dev.quark.messaging.store.redis;

import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.BeforeAll;

/**
 * The outbox store's contract and its Redis tests on a Redis Cluster of three masters: the outbox lives in the slot of its hash tag.
 */
class RedisClusterOutboxStoreTests extends RedisOutboxStoreTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterOutboxStoreTests.class));
    }
}
