package dev.quark.samples.cluster;

import java.util.List;

import dev.quark.testkit.server.RedisTestServer;
import org.jspecify.annotations.Nullable;

/**
 * {@link ActorOutboxCrashProcessTests} on Redis (the sample's default): membership, balances, ledgers (event store),
 * the outbox and its partition leases under a key prefix of this run alone, deleted afterwards. An account's debit
 * and its messages are one Lua script ({@code StateOutbox}). The test reads the outbox's keys
 * ({@link RedisOutboxView}).
 * <p>
 * Needs Redis ({@code QUARK_TEST_REDIS_URL}, else Testcontainers or an embedded server); without one the tests are
 * skipped, and with {@code CI=true} they fail ({@link RedisTestServer#get()}).
 */
class RedisActorOutboxCrashProcessTests extends ActorOutboxCrashProcessTests {

    private @Nullable RedisTestServer redis;

    private String keyPrefix = "";

    @Override
    protected List<String> startBackend() {
        RedisTestServer server = RedisTestServer.get();
        this.redis = server;
        this.keyPrefix = server.uniqueKeyPrefix(RedisActorOutboxCrashProcessTests.class);
        return List.of("quark.redis.key-prefix=" + this.keyPrefix, "spring.data.redis.url=" + server.url());
    }

    @Override
    protected OutboxView openOutboxView() {
        RedisTestServer server = this.redis;
        if (server == null) {
            throw new IllegalStateException("Redis was not started");
        }
        return new RedisOutboxView(server.url(), this.keyPrefix);
    }

    @Override
    protected void stopBackend() {
        if (this.redis != null && !this.keyPrefix.isEmpty()) {
            this.redis.deleteKeys(this.keyPrefix);
        }
    }
}
