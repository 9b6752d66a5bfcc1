package dev.quark.testkit.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.redis.RedisMembershipProvider;
import dev.quark.testkit.server.RedisTestArea;
import dev.quark.testkit.server.RedisTestServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.ReturnType;

/**
 * {@link ClusterTableLossTests} on the Redis test server ({@code 127.0.0.1:6379} on our machines): the table's hash
 * and the silos' liveness keys are deleted, as a Redis restarted without persistence or a {@code FLUSHDB} loses them;
 * or the table's hash is put back as it was, as a failover to a replica that had not received the latest writes.
 * The class's key prefix is emptied at its end.
 */
class RedisClusterTableLossTests extends ClusterTableLossTests {

    private static final String RESTORE = "redis.call('DEL', KEYS[1]) "
            + "for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end return #ARGV";

    @AutoClose
    private static @Nullable RedisTestArea area;

    private @Nullable RedisMembershipProvider table;

    @BeforeAll
    static void connect() {
        area = RedisTestArea.onServer(RedisClusterTableLossTests.class);
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

    /** The table's hash, field by field; the liveness keys are not read back, so they need no copy. */
    @Override
    Object copyTheTable() {
        try (RedisConnection connection = connection()) {
            Map<byte[], byte[]> fields = connection.hashCommands().hGetAll(tableKey());
            return Objects.requireNonNull(fields, "no table");
        }
    }

    /** Replaces the table's hash by the copy in one script, so that no silo reads it half written. */
    @Override
    @SuppressWarnings("unchecked")
    void loseWritesSince(Object copy) {
        Map<byte[], byte[]> fields = (Map<byte[], byte[]>) copy;
        List<byte[]> keyAndArguments = new ArrayList<>();
        keyAndArguments.add(tableKey());
        fields.forEach((field, value) -> {
            keyAndArguments.add(field);
            keyAndArguments.add(value);
        });
        try (RedisConnection connection = connection()) {
            connection.scriptingCommands().eval(RESTORE.getBytes(StandardCharsets.UTF_8), ReturnType.INTEGER, 1,
                    keyAndArguments.toArray(byte[][]::new));
        }
    }

    private RedisConnection connection() {
        return Objects.requireNonNull(area, "not connected").connectionFactory().getConnection();
    }

    private byte[] tableKey() {
        return Objects.requireNonNull(this.table, "no table yet").tableKey().getBytes(StandardCharsets.UTF_8);
    }

    /** Deletes the table's hash and the silos' liveness keys, which all start with the table's key. */
    @Override
    void loseTheTable() {
        RedisTestServer.get().deleteKeys(Objects.requireNonNull(this.table, "no table yet").tableKey());
    }
}
