package dev.quark.samples.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One node of the sample: a JVM started from the sample's jar with the same {@code java} that runs the tests, on
 * a free loopback port, its standard output and error written to a log file. {@link #kill()} is a
 * {@code SIGKILL} on Linux: the node has no chance to give its jobs back. (Adapted from the cluster sample's
 * {@code SiloProcess}.)
 */
final class NodeProcess implements AutoCloseable {

    private static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Xshare:auto");

    private final String nodeId;

    private final int httpPort;

    private final Path log;

    private final Process process;

    private final Thread killer;

    private NodeProcess(String nodeId, int httpPort, Path log, Process process) {
        this.nodeId = nodeId;
        this.httpPort = httpPort;
        this.log = log;
        this.process = process;
        // if the test JVM ends first, the node does not outlive it
        this.killer = Thread.ofPlatform().unstarted(process::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(this.killer);
    }

    /**
     * Starts a node.
     * @param jar the application's executable jar
     * @param nodeId the node's id ({@code quark.jobs.node-id}: the owner its jobs record), also the log file's name
     * @param properties further {@code name=value} properties, given as command-line arguments
     * @param logs the folder of the log file
     * @return the started process (not yet serving)
     */
    static NodeProcess start(Path jar, String nodeId, List<String> properties, Path logs) {
        int port = freePort();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        command.add("-jar");
        command.add(jar.toString());
        command.add("--quark.jobs.node-id=" + nodeId);
        command.add("--server.address=127.0.0.1");
        command.add("--server.port=" + port);
        properties.forEach((property) -> command.add("--" + property));
        try {
            Files.createDirectories(logs);
            Path log = logs.resolve(nodeId + ".log");
            Files.writeString(log, "\n=== " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
            return new NodeProcess(nodeId, port, log, process);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not start node " + nodeId + ": " + command, ex);
        }
    }

    String nodeId() {
        return this.nodeId;
    }

    int httpPort() {
        return this.httpPort;
    }

    boolean isAlive() {
        return this.process.isAlive();
    }

    /**
     * Kills the JVM at once ({@code SIGKILL} on Linux) and waits until it is gone.
     */
    void kill() {
        this.process.destroyForcibly();
        try {
            if (!this.process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(this + " outlived SIGKILL by 30 s");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Kills the node if it still runs.
     */
    @Override
    public void close() {
        if (this.process.isAlive()) {
            kill();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(this.killer);
        }
        catch (IllegalStateException ex) {
            // the JVM is shutting down: the hook runs anyway
        }
    }

    /**
     * Returns the end of the node's log, for failure messages.
     * @param lines how many lines
     * @return the last lines
     */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(this.log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        }
        catch (IOException | UncheckedIOException ex) {
            return "(log " + this.log + " unreadable: " + ex.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return "node " + this.nodeId + " (pid " + this.process.pid() + ", http " + this.httpPort + ", log " + this.log
                + ")";
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
