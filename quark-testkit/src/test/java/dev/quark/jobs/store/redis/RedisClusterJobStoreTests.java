package dev.quark.jobs.store.redis;

import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.BeforeAll;

/**
 * The job store's contract and its Redis tests on a Redis Cluster of three masters: the store's keys and its leases' share hash tags, so its scripts find their keys in one slot.
 */
class RedisClusterJobStoreTests extends RedisJobStoreTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterJobStoreTests.class));
    }
}
