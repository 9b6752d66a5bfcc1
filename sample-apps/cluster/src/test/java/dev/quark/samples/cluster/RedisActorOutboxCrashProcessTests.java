package dev.quark.samples.cluster;

/**
 * {@link ActorOutboxCrashProcessTests} on Redis (the sample's default): membership, balances, ledgers (event store),
 * the outbox and its partition leases under a key prefix of this run alone, deleted afterwards. An account's debit
 * and its messages are one Lua script ({@code StateOutbox}). The test reads the outbox's keys
 * ({@link RedisOutboxView}).
 * <p>
 * Needs Redis ({@code QUARK_TEST_REDIS_URL}, else Testcontainers or an embedded server); without one the tests are
 * skipped, and with {@code CI=true} they fail ({@link RedisSiloBackend}).
 */
class RedisActorOutboxCrashProcessTests extends ActorOutboxCrashProcessTests<RedisSiloBackend> {

    @Override
    protected RedisSiloBackend startBackend() {
        return RedisSiloBackend.start(RedisActorOutboxCrashProcessTests.class);
    }

    @Override
    protected OutboxView openOutboxView(RedisSiloBackend backend) {
        return new RedisOutboxView(backend.url(), backend.keyPrefix());
    }
}
