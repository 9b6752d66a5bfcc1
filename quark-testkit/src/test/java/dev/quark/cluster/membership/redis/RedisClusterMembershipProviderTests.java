package dev.quark.cluster.membership.redis;

import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.BeforeAll;

/**
 * The membership table's contract and its Redis tests on a Redis Cluster of three masters: a cluster's keys share
 * its hash tag, so the write script finds them in one slot, and the watches' notices go out with {@code PUBLISH},
 * which the cluster broadcasts to every node.
 */
class RedisClusterMembershipProviderTests extends RedisMembershipProviderTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterMembershipProviderTests.class));
    }

    /**
     * Not run on a cluster: it counts a channel's subscribers with {@code PUBSUB NUMSUB}, which each node answers
     * for its own clients only.
     */
    @Override
    void aWatchHoldsOneSubscriptionUntilClosed() {
    }

    /** Not run on a cluster: its proxy stands in front of a single server. */
    @Override
    void aWatchSubscribesAgainAfterALostConnectionAndHints() {
    }

    /** Not run on a cluster: it counts subscribing clients in one server's {@code CLIENT LIST}. */
    @Override
    void theWatchesOfOneConnectionFactoryShareOneSubscriptionConnection() {
    }

    /** Not run on a cluster: its proxy stands in front of a single server. */
    @Override
    void everyWatchOfASharedSubscriptionIsToldAfterALostConnection() {
    }

    /** Not run on a cluster: its proxy stands in front of a single server. */
    @Override
    void aHalfOpenSubscriptionConnectionDelaysOnlyItsOwnFactory() {
    }
}
