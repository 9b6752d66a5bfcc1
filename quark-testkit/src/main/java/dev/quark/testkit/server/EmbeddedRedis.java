package dev.quark.testkit.server;

import java.io.IOException;
import java.nio.file.Path;

import redis.embedded.RedisServer;

/**
 * A {@code redis-server} process from the binaries in {@code com.github.codemonstur:embedded-redis}, on the
 * loopback interface, without persistence, stopped when the JVM exits.
 */
final class EmbeddedRedis {

    private EmbeddedRedis() {
    }

    static RedisTestServer start(int port) throws IOException {
        RedisServer process = RedisServer.newRedisServer()
            .bind("127.0.0.1")
            .port(port)
            .setting("save \"\"")
            .setting("appendonly no")
            .build();
        process.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                process.stop();
            }
            catch (IOException ex) {
                // the JVM exits anyway
            }
        }, "quark-embedded-redis-stop"));
        RedisTestServer server = new RedisTestServer("127.0.0.1", port, null, TestServerOrigin.EMBEDDED);
        server.ping();
        return server;
    }

    /**
     * Starts the masters of a {@link RedisClusterTestServer} from the same binaries (Redis 6.2: no sharded pub/sub).
     */
    static RedisClusterProcesses.NodeLauncher clusterNodeLauncher() {
        return (int port, Path folder) -> {
            RedisServer process = RedisServer.newRedisServer()
                .bind("127.0.0.1")
                .port(port)
                .setting("dir " + folder)
                .setting("cluster-enabled yes")
                .setting("cluster-config-file nodes.conf")
                .setting("cluster-node-timeout 5000")
                .setting("save \"\"")
                .setting("appendonly no")
                .build();
            process.start();
            return () -> {
                try {
                    process.stop();
                }
                catch (IOException ex) {
                    // the JVM exits anyway
                }
            };
        };
    }
}
