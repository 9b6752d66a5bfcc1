package dev.quark.testkit.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * A Redis Cluster for tests, shared by every test in the JVM: the one {@code QUARK_TEST_REDIS_CLUSTER_NODES} points
 * at (its nodes as {@code host:port,host:port}, the form of {@code spring.data.redis.cluster.nodes}), else three
 * masters started here from a {@code redis-server} on the {@code PATH} (Redis 7 on our machines), else from the
 * binaries of {@code com.github.codemonstur:embedded-redis} (Redis 6.2). See {@link TestServerResolver} for what
 * happens when none is available: with {@code CI=true} the tests fail, otherwise they are skipped.
 * <p>
 * A cluster started here listens on the loopback interface without persistence, its 16,384 slots spread over three
 * masters with no replicas, and stops when the JVM exits. Tests isolate their data under their own key prefix, as
 * on {@link RedisTestServer}; a prefix is no hash tag, so a test's keys spread over the masters as an application's
 * would.
 *
 * @param nodes the masters, as {@code host:port}
 * @param version the Redis version the first master reports, such as {@code 7.0.15}
 * @param origin where the cluster came from
 */
public record RedisClusterTestServer(List<String> nodes, String version, TestServerOrigin origin) {

    /** The environment variable that points the tests at a Redis Cluster, as {@code host:port,host:port,...}. */
    public static final String VARIABLE = "QUARK_TEST_REDIS_CLUSTER_NODES";

    private static final int SLOTS = 16_384;

    private static final int MASTERS = 3;

    private static @Nullable RedisClusterTestServer server;

    private static @Nullable RuntimeException failure;

    /**
     * Returns the JVM's Redis Cluster for tests, finding or starting it on first use.
     * @return the cluster
     * @throws IllegalStateException when none is available and {@code CI=true}
     * @throws org.opentest4j.TestAbortedException when none is available otherwise
     */
    public static synchronized RedisClusterTestServer get() {
        if (server != null) {
            return server;
        }
        if (failure != null) {
            throw failure;
        }
        try {
            server = TestServerResolver.resolve("Redis Cluster", VARIABLE, "127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002",
                    RedisClusterTestServer::fromNodes, sources());
            return server;
        }
        catch (RuntimeException ex) {
            failure = ex;
            throw ex;
        }
    }

    /**
     * Returns whether the cluster's Redis has a command that came with a version, such as sharded pub/sub
     * ({@code SPUBLISH}, 7.0).
     * @param major the major version
     * @return whether the cluster runs that major version or a later one
     */
    public boolean atLeast(int major) {
        int dot = this.version.indexOf('.');
        try {
            return Integer.parseInt((dot < 0) ? this.version : this.version.substring(0, dot)) >= major;
        }
        catch (NumberFormatException ex) {
            return false;
        }
    }

    /**
     * Returns a key prefix no other test class uses, such as {@code quark-test:MyTests:1f2e3d4c:}.
     * @param testClass the test class
     * @return the prefix
     */
    public String uniqueKeyPrefix(Class<?> testClass) {
        return "quark-test:" + testClass.getSimpleName() + ":" + RedisTestServer.randomSuffix() + ":";
    }

    /**
     * Deletes every key that starts with a prefix, on every master.
     * @param prefix the prefix, as returned by {@link #uniqueKeyPrefix(Class)}
     * @return how many keys were deleted
     */
    public long deleteKeys(String prefix) {
        long deleted = 0;
        for (String node : this.nodes) {
            deleted += master(node).deleteKeys(prefix, true);
        }
        return deleted;
    }

    /**
     * Returns one master as a server of its own, for a test that talks to it alone.
     * @param node one of {@link #nodes()}
     * @return the master
     */
    public RedisTestServer master(String node) {
        int colon = node.lastIndexOf(':');
        return new RedisTestServer(node.substring(0, colon), Integer.parseInt(node.substring(colon + 1)), null,
                this.origin);
    }

    static RedisClusterTestServer fromNodes(String value) {
        List<String> nodes = new ArrayList<>();
        for (String node : value.split(",")) {
            String trimmed = node.strip();
            if (!trimmed.isEmpty()) {
                if (trimmed.lastIndexOf(':') < 1) {
                    throw new IllegalArgumentException("expected host:port, got '" + trimmed + "'");
                }
                nodes.add(trimmed);
            }
        }
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("expected host:port,host:port,..., got '" + value + "'");
        }
        RedisClusterTestServer cluster = new RedisClusterTestServer(List.copyOf(nodes), "unknown",
                TestServerOrigin.ENVIRONMENT);
        return new RedisClusterTestServer(cluster.nodes(), RedisClusterProcesses.awaitClusterOk(cluster),
                TestServerOrigin.ENVIRONMENT);
    }

    private static List<TestServerSource<RedisClusterTestServer>> sources() {
        List<TestServerSource<RedisClusterTestServer>> sources = new ArrayList<>();
        sources.add(new TestServerSource<>() {
            @Override
            public String name() {
                return "redis-server on the PATH";
            }

            @Override
            public RedisClusterTestServer start() throws IOException {
                return RedisClusterProcesses.start(RedisClusterProcesses.onPath(), MASTERS, SLOTS,
                        TestServerOrigin.EMBEDDED);
            }
        });
        sources.add(new TestServerSource<>() {
            @Override
            public String name() {
                return "embedded redis-server";
            }

            @Override
            public RedisClusterTestServer start() throws IOException {
                RedisTestServer.requireClass("redis.embedded.RedisServer", "com.github.codemonstur:embedded-redis");
                return RedisClusterProcesses.start(EmbeddedRedis.clusterNodeLauncher(), MASTERS, SLOTS,
                        TestServerOrigin.EMBEDDED);
            }
        });
        return sources;
    }

    /**
     * A free port on the loopback interface whose cluster bus port (the port plus 10,000) is free too.
     */
    static int freeClusterPort() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = RedisTestServer.freePort();
            if (port + 10_000 > 65_535) {
                continue;
            }
            try (ServerSocket bus = new ServerSocket(port + 10_000, 1, InetAddress.getLoopbackAddress())) {
                return port;
            }
            catch (IOException ex) {
                // taken: try another
            }
        }
        throw new IOException("found no free port whose cluster bus port is free too");
    }

    static UncheckedIOException unchecked(String message, IOException ex) {
        return new UncheckedIOException(message + ": " + ex.getMessage(), ex);
    }
}
