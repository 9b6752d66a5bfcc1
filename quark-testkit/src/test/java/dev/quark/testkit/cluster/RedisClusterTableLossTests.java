package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.redis.RedisMembershipProvider;
import dev.quark.testkit.server.RedisTestArea;
import dev.quark.testkit.server.RedisTestServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link ClusterTableLossTests} on the Redis test server ({@code 127.0.0.1:6379} on our machines): the table's hash
 * and the silos' liveness keys are deleted, as a Redis restarted without persistence or a {@code FLUSHDB} loses them.
 * The class's key prefix is emptied at its end.
 */
class RedisClusterTableLossTests extends ClusterTableLossTests {

    private static @Nullable RedisTestArea area;

    private @Nullable RedisMembershipProvider table;

    @BeforeAll
    static void connect() {
        area = RedisTestArea.onServer(RedisClusterTableLossTests.class);
    }

    @AfterAll
    static void disconnect() {
        if (area != null) {
            area.close();
            area = null;
        }
    }

    /** A table of a cluster name of its own. */
    @Override
    MembershipProvider table() {
        RedisTestArea room = Objects.requireNonNull(area, "not connected");
        RedisMembershipProvider created = new RedisMembershipProvider(room.connectionFactory(), room.prefix(),
                "table-loss-" + UUID.randomUUID().toString().substring(0, 8), Duration.ofSeconds(30));
        this.table = created;
        return created;
    }

    /** Deletes the table's hash and the silos' liveness keys, which all start with the table's key. */
    @Override
    void loseTheTable() {
        RedisTestServer.get().deleteKeys(Objects.requireNonNull(this.table, "no table yet").tableKey());
    }
}
