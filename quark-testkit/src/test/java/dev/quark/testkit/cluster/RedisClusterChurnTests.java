package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.Objects;

import dev.quark.cluster.membership.redis.RedisMembershipProvider;
import dev.quark.state.StateStore;
import dev.quark.state.redis.RedisStateStore;
import dev.quark.testkit.server.RedisTestArea;
import dev.quark.testkit.server.RedisTestServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;

/**
 * The churn scenarios of {@link ClusterChurnTests} with the silos' membership in a Redis table (the test server,
 * {@code 127.0.0.1:6379} on our machines): joins and leaves are written there and reach the other silos through
 * its pub/sub channel, the failure detectors' heartbeats and votes go there too, and the ledgers' totals are kept
 * there ({@link RedisStateStore}, under a key prefix of the test's own), so that every save under churn goes through
 * its version check on a real server. The calls between silos stay on the in-JVM transport. At {@link ClusterChurnTests#SERVER_LOAD}: 30 callers, 300 ledgers, 1,000 calls between
 * two membership changes. Each test's table has a cluster name of its own and is deleted after the test; the
 * class's key prefix is emptied at its end.
 */
class RedisClusterChurnTests extends ClusterChurnTests {

    private static final Duration SILO_TTL = Duration.ofSeconds(30);

    @AutoClose
    private static @Nullable RedisTestArea area;

    private @Nullable RedisMembershipProvider table;

    RedisClusterChurnTests() {
        super(SERVER_LOAD);
    }

    @BeforeAll
    static void connect() {
        area = RedisTestArea.onServer(RedisClusterChurnTests.class);
    }

    @Override
    StateStore sharedStateStore() {
        RedisTestArea room = Objects.requireNonNull(area, "not connected");
        return new RedisStateStore(room.connectionFactory(), room.prefix() + this.clusterName + ":state:");
    }

    @Override
    void configure(TestCluster.Builder builder) {
        RedisTestArea room = Objects.requireNonNull(area, "not connected");
        RedisMembershipProvider table = new RedisMembershipProvider(room.connectionFactory(), room.prefix(),
                this.clusterName, SILO_TTL);
        this.table = table;
        builder.membership(table);
    }

    /**
     * Deletes the table's hash and the silos' liveness keys, which all start with the table's key, and the ledgers'
     * totals.
     */
    @Override
    void cleanUp() {
        RedisMembershipProvider table = this.table;
        if (table != null) {
            RedisTestServer.get().deleteKeys(table.tableKey());
        }
        RedisTestArea room = area;
        if (room != null) {
            RedisTestServer.get().deleteKeys(room.prefix() + this.clusterName + ":state:");
        }
    }
}
