package dev.quark.testkit.server;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starts the masters of a {@link RedisClusterTestServer} as {@code redis-server} processes on the loopback interface,
 * assigns them the slots and introduces them to each other with the cluster commands (no {@code redis-cli}, which
 * the embedded binaries lack), and waits for the cluster to report {@code cluster_state:ok}. The processes and their
 * folder go when the JVM exits.
 */
final class RedisClusterProcesses {

    private static final long STARTUP_MILLIS = 30_000;

    private RedisClusterProcesses() {
    }

    /** Starts one cluster-enabled {@code redis-server} on a port, with its files in a folder of its own. */
    @FunctionalInterface
    interface NodeLauncher {

        /**
         * Starts a node.
         * @param port the port, on 127.0.0.1
         * @param folder the node's working folder (its cluster configuration file goes there)
         * @return what stops it
         * @throws IOException when it cannot start
         */
        Runnable start(int port, Path folder) throws IOException;
    }

    /** The {@code redis-server} on the {@code PATH}. */
    static NodeLauncher onPath() throws IOException {
        Path binary = executableOnPath("redis-server");
        return (port, folder) -> {
            Process process = new ProcessBuilder(binary.toString(), "--port", String.valueOf(port), "--bind",
                    "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "5000", "--save", "", "--appendonly", "no", "--dir", folder.toString(),
                    "--logfile", folder.resolve("redis.log").toString(), "--daemonize", "no")
                .redirectErrorStream(true)
                .redirectOutput(folder.resolve("stdout.log").toFile())
                .start();
            return () -> {
                process.destroy();
                try {
                    if (!process.waitFor(5, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    process.destroyForcibly();
                }
            };
        };
    }

    static RedisClusterTestServer start(NodeLauncher launcher, int masters, int slots, TestServerOrigin origin)
            throws IOException {
        Path root = Files.createTempDirectory("quark-redis-cluster");
        List<Runnable> stops = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stops.forEach(Runnable::run);
            deleteQuietly(root);
        }, "quark-redis-cluster-stop"));
        List<String> nodes = new ArrayList<>();
        for (int i = 0; i < masters; i++) {
            int port = RedisClusterTestServer.freeClusterPort();
            Path folder = Files.createDirectories(root.resolve(String.valueOf(port)));
            synchronized (stops) {
                stops.add(launcher.start(port, folder));
            }
            nodes.add("127.0.0.1:" + port);
        }
        RedisClusterTestServer cluster = new RedisClusterTestServer(List.copyOf(nodes), "unknown", origin);
        for (String node : nodes) {
            awaitPing(cluster.master(node));
        }
        for (int i = 0; i < masters; i++) {
            int first = slots * i / masters;
            int last = slots * (i + 1) / masters;
            String[] command = new String[2 + last - first];
            command[0] = "CLUSTER";
            command[1] = "ADDSLOTS";
            for (int slot = first; slot < last; slot++) {
                command[2 + slot - first] = String.valueOf(slot);
            }
            send(cluster.master(nodes.get(i)), command);
        }
        RedisTestServer introducer = cluster.master(nodes.get(0));
        for (int i = 1; i < masters; i++) {
            RedisTestServer other = cluster.master(nodes.get(i));
            send(introducer, "CLUSTER", "MEET", other.host(), String.valueOf(other.port()));
        }
        return new RedisClusterTestServer(cluster.nodes(), awaitClusterOk(cluster), origin);
    }

    /**
     * Waits until every node reports {@code cluster_state:ok}, then returns the Redis version of the first.
     * @throws IllegalStateException when the cluster is not ok within 30 seconds
     */
    static String awaitClusterOk(RedisClusterTestServer cluster) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STARTUP_MILLIS);
        String last = "";
        while (System.nanoTime() < deadline) {
            boolean ok = true;
            for (String node : cluster.nodes()) {
                RedisTestServer master = cluster.master(node);
                try (RespClient redis = new RespClient(master.host(), master.port(), null)) {
                    String info = String.valueOf(redis.command("CLUSTER", "INFO"));
                    if (!info.contains("cluster_state:ok")) {
                        ok = false;
                        last = node + ": " + info.lines().findFirst().orElse(info);
                    }
                }
                catch (IOException ex) {
                    ok = false;
                    last = node + ": " + ex.getMessage();
                }
            }
            if (ok) {
                return version(cluster.master(cluster.nodes().get(0)));
            }
            pause();
        }
        throw new IllegalStateException("The Redis Cluster " + cluster.nodes() + " did not report cluster_state:ok "
                + "within " + STARTUP_MILLIS / 1000 + " s (last: " + last + ")");
    }

    private static String version(RedisTestServer master) {
        try (RespClient redis = new RespClient(master.host(), master.port(), null)) {
            String info = String.valueOf(redis.command("INFO", "server"));
            return info.lines()
                .filter((line) -> line.startsWith("redis_version:"))
                .map((line) -> line.substring("redis_version:".length()).strip())
                .findFirst()
                .orElse("unknown");
        }
        catch (IOException ex) {
            throw RedisClusterTestServer.unchecked("Could not read the version of " + master.url(), ex);
        }
    }

    private static void awaitPing(RedisTestServer master) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STARTUP_MILLIS);
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                master.ping();
                return;
            }
            catch (RuntimeException ex) {
                last = ex;
                pause();
            }
        }
        throw new IOException("redis-server on " + master.url() + " did not answer within " + STARTUP_MILLIS / 1000
                + " s: " + ((last != null) ? last.getMessage() : ""));
    }

    private static void send(RedisTestServer master, String... command) throws IOException {
        try (RespClient redis = new RespClient(master.host(), master.port(), null)) {
            redis.command(command);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while starting a Redis Cluster", ex);
        }
    }

    private static Path executableOnPath(String name) throws IOException {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String folder : path.split(File.pathSeparator)) {
                Path candidate = Path.of(folder, name);
                if (Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        throw new IOException(name + " is not on the PATH");
    }

    private static void deleteQuietly(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
        }
        catch (IOException ex) {
            // the JVM exits anyway
        }
    }
}
