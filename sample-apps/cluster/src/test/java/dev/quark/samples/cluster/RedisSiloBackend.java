package dev.quark.samples.cluster;

import java.util.List;

import dev.quark.testkit.server.RedisTestServer;

/**
 * Redis under a key prefix of one test class's run, whose keys are deleted at {@link #close()}.
 * <p>
 * Needs Redis ({@code QUARK_TEST_REDIS_URL}, else Testcontainers or an embedded server); without one the test is
 * skipped, and with {@code CI=true} it fails ({@link RedisTestServer#get()}).
 */
final class RedisSiloBackend implements SiloBackend {

    private final RedisTestServer server;

    private final String keyPrefix;

    private RedisSiloBackend(RedisTestServer server, String keyPrefix) {
        this.server = server;
        this.keyPrefix = keyPrefix;
    }

    /**
     * Prepares Redis for a run of the given test class.
     * @param test the test class, which names the key prefix
     * @return the backend
     */
    static RedisSiloBackend start(Class<?> test) {
        RedisTestServer server = RedisTestServer.get();
        return new RedisSiloBackend(server, server.uniqueKeyPrefix(test));
    }

    String url() {
        return this.server.url();
    }

    String keyPrefix() {
        return this.keyPrefix;
    }

    @Override
    public List<String> siloProperties() {
        return List.of("quark.redis.key-prefix=" + this.keyPrefix, "spring.data.redis.url=" + this.server.url());
    }

    @Override
    public void close() {
        this.server.deleteKeys(this.keyPrefix);
    }
}
