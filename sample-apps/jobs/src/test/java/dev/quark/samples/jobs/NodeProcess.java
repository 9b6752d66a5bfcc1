package dev.quark.samples.jobs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.quark.testkit.process.ApplicationProcess;

/**
 * One node of the sample: the sample's jar started as an {@link ApplicationProcess} on a free loopback HTTP
 * port, its jobs recorded under its node id. {@link #kill()} is a {@code SIGKILL} on Linux: the node has no
 * chance to give its jobs back.
 */
final class NodeProcess implements AutoCloseable {

    private final String nodeId;

    private final int httpPort;

    private final ApplicationProcess process;

    private NodeProcess(String nodeId, int httpPort, ApplicationProcess process) {
        this.nodeId = nodeId;
        this.httpPort = httpPort;
        this.process = process;
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
        int port = ApplicationProcess.freeLoopbackPort();
        List<String> all = new ArrayList<>();
        all.add("quark.jobs.node-id=" + nodeId);
        all.add("server.address=127.0.0.1");
        all.add("server.port=" + port);
        all.addAll(properties);
        return new NodeProcess(nodeId, port, ApplicationProcess.start(jar, nodeId, all, logs));
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
        this.process.kill();
    }

    /**
     * Kills the node if it still runs.
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
        return "node " + this.process + ", http " + this.httpPort;
    }
}
