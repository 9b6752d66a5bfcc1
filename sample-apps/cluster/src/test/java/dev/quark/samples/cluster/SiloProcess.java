package dev.quark.samples.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One silo: a JVM started from the cluster sample's jar with the same {@code java} that runs the tests, its
 * standard output and error written to a log file. {@link #kill()} is a {@code SIGKILL} on Linux: the silo has
 * no chance to say goodbye.
 */
final class SiloProcess {

    private static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Xshare:auto");

    private final String siloId;

    private final int httpPort;

    private final int grpcPort;

    private final Path log;

    private final Process process;

    private SiloProcess(String siloId, int httpPort, int grpcPort, Path log, Process process) {
        this.siloId = siloId;
        this.httpPort = httpPort;
        this.grpcPort = grpcPort;
        this.log = log;
        this.process = process;
    }

    /**
     * Starts a silo.
     * @param jar the application's executable jar
     * @param siloId the silo's id, also the log file's name
     * @param httpPort the HTTP API's port
     * @param grpcPort the gRPC port peers reach it on
     * @param properties further {@code name=value} properties, given as command-line arguments
     * @param logs the folder of the log file; a restarted silo appends to the same file
     * @return the started process (not yet serving: see {@link LocalSiloCluster#awaitActive})
     */
    static SiloProcess start(Path jar, String siloId, int httpPort, int grpcPort, List<String> properties, Path logs) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        command.add("-jar");
        command.add(jar.toString());
        command.add("--quark.cluster.silo.id=" + siloId);
        command.add("--server.port=" + httpPort);
        command.add("--spring.grpc.server.port=" + grpcPort);
        properties.forEach((property) -> command.add("--" + property));
        try {
            Files.createDirectories(logs);
            Path log = logs.resolve(siloId + ".log");
            Files.writeString(log, "\n=== " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
            return new SiloProcess(siloId, httpPort, grpcPort, log, process);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not start silo " + siloId + ": " + command, ex);
        }
    }

    String siloId() {
        return this.siloId;
    }

    int httpPort() {
        return this.httpPort;
    }

    int grpcPort() {
        return this.grpcPort;
    }

    long pid() {
        return this.process.pid();
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
                throw new IllegalStateException("Silo " + this.siloId + " (pid " + pid() + ") outlived SIGKILL by 30 s");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Returns the end of the silo's log, for failure messages.
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

    Path log() {
        return this.log;
    }

    @Override
    public String toString() {
        return "silo " + this.siloId + " (pid " + this.process.pid() + ", http " + this.httpPort + ", grpc "
                + this.grpcPort + ", log " + this.log + ")";
    }
}
