package dev.quark.testkit.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

import org.jspecify.annotations.Nullable;

/**
 * A Redis server for tests, shared by every test in the JVM: the one {@code QUARK_TEST_REDIS_URL} points at,
 * else a Testcontainers container when a Docker engine answers (needs {@code org.testcontainers:testcontainers}
 * on the test class path), else an embedded {@code redis-server} (needs
 * {@code com.github.codemonstur:embedded-redis}). See {@link TestServerResolver} for what happens when none
 * is available.
 * <p>
 * Tests share the server, so each test class isolates its data under its own key prefix:
 * <pre>{@code
 * static final RedisTestServer redis = RedisTestServer.get();
 * static final String prefix = redis.uniqueKeyPrefix(MyTests.class);   // "quark-test:MyTests:1f2e3d4c:"
 *
 * @AfterAll
 * static void cleanUp() { redis.deleteKeys(prefix); }
 * }</pre>
 *
 * @param host the host to connect to
 * @param port the port to connect to
 * @param password the password, or {@code null} when the server needs none
 * @param origin where the server came from
 */
public record RedisTestServer(String host, int port, @Nullable String password, TestServerOrigin origin) {

    /** The environment variable that points the tests at a Redis server, as {@code redis://host:port}. */
    public static final String VARIABLE = "QUARK_TEST_REDIS_URL";

    private static final String CONTAINERS = "org.testcontainers.DockerClientFactory";

    private static final String EMBEDDED = "redis.embedded.RedisServer";

    private static @Nullable RedisTestServer server;

    private static @Nullable RuntimeException failure;

    /**
     * Returns the JVM's Redis server for tests, finding or starting it on first use.
     * @return the server
     * @throws IllegalStateException when none is available and {@code CI=true}
     * @throws org.opentest4j.TestAbortedException when none is available otherwise
     */
    public static synchronized RedisTestServer get() {
        if (server != null) {
            return server;
        }
        if (failure != null) {
            throw failure;
        }
        try {
            server = TestServerResolver.resolve("Redis", VARIABLE, "redis://127.0.0.1:6379", RedisTestServer::fromUrl,
                    sources());
            return server;
        }
        catch (RuntimeException ex) {
            failure = ex;
            throw ex;
        }
    }

    /**
     * Returns the server as a URL, the form {@code spring.data.redis.url} takes.
     * @return the URL
     */
    public String url() {
        return "redis://" + ((this.password != null) ? ":" + this.password + "@" : "") + this.host + ":" + this.port;
    }

    /**
     * Returns a key prefix no other test class uses, such as {@code quark-test:MyTests:1f2e3d4c:}.
     * @param testClass the test class
     * @return the prefix
     */
    public String uniqueKeyPrefix(Class<?> testClass) {
        return "quark-test:" + testClass.getSimpleName() + ":" + randomSuffix() + ":";
    }

    /**
     * Deletes every key that starts with a prefix.
     * @param prefix the prefix, as returned by {@link #uniqueKeyPrefix(Class)}
     * @return how many keys were deleted
     */
    public long deleteKeys(String prefix) {
        return deleteKeys(prefix, false);
    }

    /**
     * Deletes every key that starts with a prefix, in one {@code DEL} per {@code SCAN} page, or one per key on a
     * cluster's master (whose {@code DEL} refuses keys of several slots).
     */
    long deleteKeys(String prefix, boolean oneByOne) {
        if (prefix.isEmpty()) {
            throw new IllegalArgumentException("Refusing to delete every key of a shared server: the prefix is empty");
        }
        long deleted = 0;
        try (RespClient redis = new RespClient(this.host, this.port, this.password)) {
            String cursor = "0";
            for (int round = 0; round < 100_000; round++) {
                List<?> reply = (List<?>) redis.command("SCAN", cursor, "MATCH", escape(prefix) + "*", "COUNT", "1000");
                cursor = (String) reply.get(0);
                List<?> keys = (List<?>) reply.get(1);
                if (oneByOne) {
                    for (Object key : keys) {
                        deleted += (Long) redis.command("DEL", (String) key);
                    }
                }
                else if (!keys.isEmpty()) {
                    List<String> command = new ArrayList<>();
                    command.add("DEL");
                    keys.forEach((key) -> command.add((String) key));
                    deleted += (Long) redis.command(command.toArray(String[]::new));
                }
                if (cursor.equals("0")) {
                    return deleted;
                }
            }
            throw new IllegalStateException("SCAN over " + prefix + "* did not finish");
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not delete the keys " + prefix + "* from " + url(), ex);
        }
    }

    static RedisTestServer fromUrl(String url) {
        URI uri = URI.create(url);
        if (!"redis".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("expected redis://host:port, got " + url);
        }
        String password = null;
        if (uri.getUserInfo() != null) {
            String info = uri.getUserInfo();
            password = info.substring(info.indexOf(':') + 1);
        }
        RedisTestServer server = new RedisTestServer(uri.getHost(), (uri.getPort() > 0) ? uri.getPort() : 6379, password,
                TestServerOrigin.ENVIRONMENT);
        server.ping();
        return server;
    }

    void ping() {
        try (RespClient redis = new RespClient(this.host, this.port, this.password)) {
            Object reply = redis.command("PING");
            if (!"PONG".equals(reply)) {
                throw new IllegalStateException("PING answered " + reply);
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex.getMessage(), ex);
        }
    }

    private static List<TestServerSource<RedisTestServer>> sources() {
        List<TestServerSource<RedisTestServer>> sources = new ArrayList<>();
        sources.add(new TestServerSource<>() {
            @Override
            public String name() {
                return "Testcontainers";
            }

            @Override
            public RedisTestServer start() {
                requireClass(CONTAINERS, "org.testcontainers:testcontainers");
                return ContainerServers.redis();
            }
        });
        sources.add(new TestServerSource<>() {
            @Override
            public String name() {
                return "embedded redis-server";
            }

            @Override
            public RedisTestServer start() throws IOException {
                requireClass(EMBEDDED, "com.github.codemonstur:embedded-redis");
                return EmbeddedRedis.start(freePort());
            }
        });
        return sources;
    }

    static void requireClass(String className, String artifact) {
        try {
            Class.forName(className, false, RedisTestServer.class.getClassLoader());
        }
        catch (ClassNotFoundException ex) {
            throw new IllegalStateException(artifact + " is not on the test class path");
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static String randomSuffix() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).toLowerCase(Locale.ROOT);
    }

    private static String escape(String pattern) {
        return pattern.replaceAll("([*?\\[\\]\\\\])", "\\\\$1");
    }

    @Override
    public String toString() {
        return "Redis at " + this.host + ":" + this.port + " (" + this.origin + ")";
    }
}
