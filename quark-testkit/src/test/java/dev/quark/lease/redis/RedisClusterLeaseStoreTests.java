package dev.quark.lease.redis;

import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.BeforeAll;

/**
 * The lease store's contract and its Redis tests on a Redis Cluster of three masters: every key of the store carries
 * the {@code {lease}} hash tag, so its scripts find all their keys in one slot.
 */
class RedisClusterLeaseStoreTests extends RedisLeaseStoreTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterLeaseStoreTests.class));
    }
}
