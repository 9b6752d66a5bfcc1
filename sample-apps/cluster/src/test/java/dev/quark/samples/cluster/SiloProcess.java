package dev.quark.samples.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.quark.testkit.process.ApplicationProcess;

/**
 * One silo: the cluster sample's jar started as an {@link ApplicationProcess} with its silo id, HTTP port and
 * gRPC port; or, with {@code quark.cluster.mode=client}, one cluster client, whose id is its silo id
 * ({@link LocalSiloCluster#startClient}). {@link #close()} is a {@code SIGKILL} on Linux: the silo has no chance
 * to say goodbye.
 */
final class SiloProcess implements AutoCloseable {

    private final String siloId;

    private final int httpPort;

    private final int grpcPort;

    private final ApplicationProcess process;

    private SiloProcess(String siloId, int httpPort, int grpcPort, ApplicationProcess process) {
        this.siloId = siloId;
        this.httpPort = httpPort;
        this.grpcPort = grpcPort;
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
        List<String> all = new ArrayList<>();
        all.add("quark.cluster.silo.id=" + siloId);
        all.add("server.port=" + httpPort);
        all.add("spring.grpc.server.port=" + grpcPort);
        all.addAll(properties);
        return new SiloProcess(siloId, httpPort, grpcPort, ApplicationProcess.start(jar, siloId, all, logs));
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

    boolean isAlive() {
        return this.process.isAlive();
    }

    /**
     * Kills the silo if it still runs ({@code SIGKILL} on Linux) and waits until it is gone.
     */
    @Override
    public void close() {
        this.process.close();
    }

    /**
     * Stops the silo's JVM with {@code SIGSTOP} (Linux): it keeps its connections open but runs nothing, so calls it
     * made finish on their receivers while their answers wait unread, until it is {@link #resume() resumed} or
     * {@link #close() killed}.
     */
    void freeze() {
        signal("STOP");
    }

    /**
     * Lets a {@link #freeze() frozen} silo's JVM run again ({@code SIGCONT}).
     */
    void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(this.process.pid())).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + this.process.pid() + " failed for " + this);
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while sending SIG" + name + " to " + this, ex);
        }
    }

    /** The silo's log file; a restarted silo appends to it. */
    Path log() {
        return this.process.log();
    }

    String logTail(int lines) {
        return this.process.logTail(lines);
    }

    @Override
    public String toString() {
        return "silo " + this.process + ", http " + this.httpPort + ", grpc " + this.grpcPort;
    }
}
