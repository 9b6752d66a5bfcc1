package dev.quark.samples.cluster;

/**
 * {@link ReminderProcessTests} with membership, actor state, the reminder table and the reminders' bucket leases in
 * Redis, under a key prefix of this run alone.
 * <p>
 * Needs Redis ({@code QUARK_TEST_REDIS_URL}, else Testcontainers or an embedded server); without one the tests are
 * skipped, and with {@code CI=true} they fail ({@link RedisSiloBackend}).
 */
class RedisReminderProcessTests extends ReminderProcessTests {

    @Override
    protected SiloBackend startBackend() {
        return RedisSiloBackend.start(RedisReminderProcessTests.class);
    }
}
