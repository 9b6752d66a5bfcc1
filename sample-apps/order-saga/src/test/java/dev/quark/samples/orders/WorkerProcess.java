package dev.quark.samples.orders;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.quark.testkit.process.ApplicationProcess;

/**
 * One worker: the order-saga sample's jar started as an {@link ApplicationProcess} on a free loopback port, its
 * durable-task worker named after it and its toy services' effects written to {@code <name>.effects} (the
 * sample's {@code orders.effect-journal}). {@link #kill()} is a {@code SIGKILL} on Linux: the worker has no
 * chance to release its leases.
 */
final class WorkerProcess implements AutoCloseable {

    private final String name;

    private final int httpPort;

    private final Path effects;

    private final ApplicationProcess process;

    private WorkerProcess(String name, int httpPort, Path effects, ApplicationProcess process) {
        this.name = name;
        this.httpPort = httpPort;
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
        int httpPort = ApplicationProcess.freeLoopbackPort();
        Path effects = logs.resolve(name + ".effects");
        List<String> all = new ArrayList<>();
        all.add("server.port=" + httpPort);
        all.add("quark.durabletasks.worker.owner=" + name);
        all.add("orders.effect-journal=" + effects);
        all.addAll(properties);
        return new WorkerProcess(name, httpPort, effects, ApplicationProcess.start(jar, name, all, logs));
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
        this.process.kill();
    }

    /**
     * Kills the worker if it still runs.
     */
    @Override
    public void close() {
        this.process.close();
    }

    String logTail(int lines) {
        return this.process.logTail(lines);
    }

    @Override
    public String toString() {
        return "worker " + this.process + ", http " + this.httpPort;
    }
}
