package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.redis.RedisMembershipProvider;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * {@link ClusterTableLossTests} on the Redis test server ({@code 127.0.0.1:6379} on our machines): the table's hash
 * and the silos' liveness keys are deleted, as a Redis restarted without persistence or a {@code FLUSHDB} loses them.
 * The class's key prefix is emptied at its end.
 */
class RedisClusterTableLossTests extends ClusterTableLossTests {

    private static RedisTestServer server;

    private static String prefix;

    private static LettuceConnectionFactory connectionFactory;

    private @Nullable RedisMembershipProvider table;

    @BeforeAll
    static void connect() {
        server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisClusterTableLossTests.class);
        connectionFactory = RedisTestConnections.connect(server);
    }

    @AfterAll
    static void disconnect() {
        if (connectionFactory != null) {
            connectionFactory.destroy();
        }
        if (server != null && prefix != null) {
            server.deleteKeys(prefix);
        }
    }

    /** A table of a cluster name of its own. */
    @Override
    MembershipProvider table() {
        RedisMembershipProvider created = new RedisMembershipProvider(connectionFactory, prefix,
                "table-loss-" + UUID.randomUUID().toString().substring(0, 8), Duration.ofSeconds(30));
        this.table = created;
        return created;
    }

    /** Deletes the table's hash and the silos' liveness keys, which all start with the table's key. */
    @Override
    void loseTheTable() {
        server.deleteKeys(Objects.requireNonNull(this.table, "no table yet").tableKey());
    }
}
