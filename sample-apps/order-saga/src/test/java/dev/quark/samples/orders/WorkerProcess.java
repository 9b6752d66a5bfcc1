package dev.quark.samples.orders;

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
 * One worker: a JVM started from the order-saga sample's jar with the same {@code java} that runs the tests, on a
 * loopback port chosen free, its durable-task worker named after it, its standard output and error written to
 * {@code <name>.log} and its toy services' effects to {@code <name>.effects} (the sample's
 * {@code orders.effect-journal}). {@link #kill()} is a {@code SIGKILL} on Linux: the worker has no chance to
 * release its leases. Modelled on the cluster sample's {@code SiloProcess}.
 */
final class WorkerProcess {

    private static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Xshare:auto");

    private final String name;

    private final int httpPort;

    private final Path log;

    private final Path effects;

    private final Process process;

    private WorkerProcess(String name, int httpPort, Path log, Path effects, Process process) {
        this.name = name;
        this.httpPort = httpPort;
        this.log = log;
        this.effects = effects;
        this.process = process;
    }

    /**
     * Starts a worker without waiting for it to serve.
     * @param jar the application's executable jar
     * @param name the worker's name: its lease owner and the name of its files
     * @param properties further {@code name=value} properties, given as command-line arguments
     * @param logs the folder of its log and effect journal
     * @return the started process
     */
    static WorkerProcess start(Path jar, String name, List<String> properties, Path logs) {
        int httpPort = freePort();
        Path log = logs.resolve(name + ".log");
        Path effects = logs.resolve(name + ".effects");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        command.add("-jar");
        command.add(jar.toString());
        command.add("--server.port=" + httpPort);
        command.add("--quark.durabletasks.worker.owner=" + name);
        command.add("--orders.effect-journal=" + effects);
        properties.forEach((property) -> command.add("--" + property));
        try {
            Files.createDirectories(logs);
            Files.writeString(log, "\n=== " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
            return new WorkerProcess(name, httpPort, log, effects, process);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not start worker " + name + ": " + command, ex);
        }
    }

    String name() {
        return this.name;
    }

    int httpPort() {
        return this.httpPort;
    }

    boolean isAlive() {
        return this.process.isAlive();
    }

    /**
     * Returns the effects the worker's toy services made so far, one {@code <effect> <key>} per line.
     * @return the lines, empty before the first effect
     */
    List<String> effects() {
        try {
            return Files.exists(this.effects) ? Files.readAllLines(this.effects, StandardCharsets.UTF_8) : List.of();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
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
     * Returns the end of the worker's log, for failure messages.
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

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public String toString() {
        return "worker " + this.name + " (pid " + this.process.pid() + ", http " + this.httpPort + ", log " + this.log
                + ")";
    }
}
