package dev.quark.state.redis;

import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.BeforeAll;

/**
 * The state store's contract and its Redis tests on a Redis Cluster of three masters.
 */
class RedisClusterStateStoreTests extends RedisStateStoreTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterStateStoreTests.class));
    }
}
