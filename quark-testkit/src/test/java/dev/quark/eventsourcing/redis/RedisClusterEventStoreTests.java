package dev.quark.eventsourcing.redis;

import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.BeforeAll;

/**
 * The event store's contract and its Redis tests on a Redis Cluster of three masters: a stream's keys share the stream's hash tag.
 */
class RedisClusterEventStoreTests extends RedisEventStoreTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterEventStoreTests.class));
    }
}
