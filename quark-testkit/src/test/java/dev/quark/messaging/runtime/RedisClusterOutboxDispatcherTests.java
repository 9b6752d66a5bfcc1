package dev.quark.messaging.runtime;

import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.BeforeAll;

/**
 * The outbox dispatcher end to end on a Redis Cluster of three masters: the outbox in the slot of its hash tag, the
 * partitions' leases in theirs.
 */
class RedisClusterOutboxDispatcherTests extends RedisOutboxDispatcherTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterOutboxDispatcherTests.class));
    }
}
