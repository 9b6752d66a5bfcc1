package dev.quark.jobs.runtime;

import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.BeforeAll;

/**
 * The jobs' wake-ups across nodes on a Redis Cluster of three masters: the notices go out with {@code PUBLISH}, which
 * the cluster broadcasts to every node, and the shared subscription listens on whichever node its connection took.
 */
class RedisClusterJobWakeUpsTests extends RedisJobWakeUpsTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterJobWakeUpsTests.class));
    }

    /**
     * Not run on a cluster: its Redis user without the right to publish would be created on one node only (ACL users
     * are each node's own), and the test connects to a single server.
     */
    @Override
    void aUserWithoutTheRightToPublishStillWritesItsJobs() {
    }

    /** Not run on a cluster, for the same reason. */
    @Override
    void aRetryWhoseNoticeCouldNotBePublishedHoldsNoLaterNoticeBack() {
    }
}
