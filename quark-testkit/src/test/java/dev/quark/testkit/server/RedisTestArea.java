package dev.quark.testkit.server;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * One test class's room on a test Redis: a started connection factory and a key prefix no other class uses, on the
 * single test server or on the test cluster. Closing it destroys the factory and deletes the class's keys. The Redis
 * tests take theirs in a {@code @BeforeAll}, and their cluster subclasses hide that method to take one on the
 * cluster, so that the same tests run on both.
 */
public final class RedisTestArea implements AutoCloseable {

    private final LettuceConnectionFactory connectionFactory;

    private final String prefix;

    private final Runnable deleteKeys;

    private RedisTestArea(LettuceConnectionFactory connectionFactory, String prefix, Runnable deleteKeys) {
        this.connectionFactory = connectionFactory;
        this.prefix = prefix;
        this.deleteKeys = deleteKeys;
    }

    /**
     * Takes a room on the single test server ({@link RedisTestServer}).
     * @param testClass the test class, whose name goes into the prefix
     * @return the room
     */
    public static RedisTestArea onServer(Class<?> testClass) {
        RedisTestServer server = RedisTestServer.get();
        String prefix = server.uniqueKeyPrefix(testClass);
        return new RedisTestArea(RedisTestConnections.connect(server), prefix, () -> server.deleteKeys(prefix));
    }

    /**
     * Takes a room on the test cluster ({@link RedisClusterTestServer}).
     * @param testClass the test class, whose name goes into the prefix
     * @return the room
     */
    public static RedisTestArea onCluster(Class<?> testClass) {
        RedisClusterTestServer cluster = RedisClusterTestServer.get();
        String prefix = cluster.uniqueKeyPrefix(testClass);
        return new RedisTestArea(RedisTestConnections.connect(cluster), prefix, () -> cluster.deleteKeys(prefix));
    }

    /**
     * Returns the started connection factory.
     * @return the factory, destroyed by {@link #close()}
     */
    public LettuceConnectionFactory connectionFactory() {
        return this.connectionFactory;
    }

    /**
     * Returns the prefix of the class's keys.
     * @return the prefix, such as {@code quark-test:MyTests:1f2e3d4c:}
     */
    public String prefix() {
        return this.prefix;
    }

    /** Destroys the factory and deletes every key under the prefix. */
    @Override
    public void close() {
        this.connectionFactory.destroy();
        this.deleteKeys.run();
    }
}
