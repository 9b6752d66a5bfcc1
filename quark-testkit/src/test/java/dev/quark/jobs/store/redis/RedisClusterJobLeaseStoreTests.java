package dev.quark.jobs.store.redis;

import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.BeforeAll;

/**
 * The lease store's contract for the leases in the job hashes on a Redis Cluster of three masters: the scripts touch
 * only keys of the {@code {jobs}} hash tag, one slot.
 */
class RedisClusterJobLeaseStoreTests extends RedisJobLeaseStoreTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterJobLeaseStoreTests.class));
    }
}
