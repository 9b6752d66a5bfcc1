package dev.quark.reminder.redis;

import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.BeforeAll;

/**
 * The reminder table's contract and its Redis tests on a Redis Cluster of three masters: a bucket's keys share the
 * bucket's hash tag, so each script finds its keys in one slot, while the buckets spread over the masters.
 */
class RedisClusterReminderTableTests extends RedisReminderTableTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterReminderTableTests.class));
    }

    /**
     * Not run on a cluster: a cluster connection holds one connection per master, opened as the topology asks, so
     * counting new connections says nothing there; the pipelining it checks is the standalone's.
     */
    @Override
    void writesAndReadsOfManyBucketsOpenNoConnectionOfTheirOwn() {
    }

    /** Not run on a cluster, for the same reason. */
    @Override
    void countsOfDueRemindersOfManyBucketsOpenNoConnectionOfTheirOwn() {
    }

    /** Not run on a cluster: there each bucket's writes go in a call of their own, as buckets lie in different slots. */
    @Override
    void aBatchOfNextTicksOverManyBucketsGoesToRedisInOneCallPerSixtyFourBuckets() {
    }
}
