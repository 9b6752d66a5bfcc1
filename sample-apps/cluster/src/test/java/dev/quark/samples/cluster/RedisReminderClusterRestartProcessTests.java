package dev.quark.samples.cluster;

import java.util.List;

import dev.quark.testkit.server.RedisTestServer;
import org.jspecify.annotations.Nullable;

/**
 * {@link ReminderClusterRestartProcessTests} with membership, actor state, the reminder table and the reminders' bucket leases in
 * Redis, under a key prefix of this run alone.
 * <p>
 * Needs Redis ({@code QUARK_TEST_REDIS_URL}, else Testcontainers or an embedded server); without one the tests are
 * skipped, and with {@code CI=true} they fail ({@link RedisTestServer#get()}).
 */
class RedisReminderClusterRestartProcessTests extends ReminderClusterRestartProcessTests {

    private @Nullable RedisTestServer redis;

    private String keyPrefix = "";

    @Override
    protected List<String> startBackend() {
        RedisTestServer server = RedisTestServer.get();
        this.redis = server;
        this.keyPrefix = server.uniqueKeyPrefix(RedisReminderClusterRestartProcessTests.class);
        return List.of("quark.redis.key-prefix=" + this.keyPrefix, "spring.data.redis.url=" + server.url());
    }

    @Override
    protected void stopBackend() {
        if (this.redis != null && !this.keyPrefix.isEmpty()) {
            this.redis.deleteKeys(this.keyPrefix);
        }
    }
}
