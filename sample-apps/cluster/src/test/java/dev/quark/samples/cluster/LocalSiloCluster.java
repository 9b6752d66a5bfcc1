package dev.quark.samples.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.samples.cluster.BankHttpClient.Reply;
import dev.quark.testkit.process.ApplicationProcess;
import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;

import static org.awaitility.Awaitility.await;

/**
 * Silos of one cluster on this machine, each a JVM started from the sample's jar on loopback ports chosen
 * free, and the cluster clients beside them ({@code quark.cluster.mode=client}, from the same jar).
 * {@link #close()} kills every JVM it started, then cleans up the backend the silos ran on; a shutdown hook kills
 * the JVMs if the test JVM ends first, so no silo or client outlives the tests.
 */
final class LocalSiloCluster implements AutoCloseable {

    /**
     * How long silos may take to start and settle: three silos starting together took 50 to 120 s, and one
     * restarted beside two running ones 12 to 17 s, on two cores shared with several other builds; at load 20 on
     * those two cores, 140 to 170 s: the system property {@code quark.sample.cluster.start-timeout-seconds} sets
     * another (keep it below the tests' own {@code @Timeout}).
     */
    private static final Duration START_TIMEOUT = Duration
        .ofSeconds(Long.getLong("quark.sample.cluster.start-timeout-seconds", 180));

    private static final Duration STABLE_FOR = Duration.ofSeconds(3);

    private final Path jar;

    private final Path logs;

    private final List<String> properties;

    private final SiloBackend backend;

    private final BankHttpClient http = new BankHttpClient(Duration.ofSeconds(5));

    private final List<SiloProcess> silos = new ArrayList<>();

    private final List<SiloProcess> clients = new ArrayList<>();

    /**
     * Creates a cluster of the sample's jar ({@code quark.sample.cluster.jar}, which {@code package} builds before
     * the integration tests) with no silo yet, logging to {@code <quark.sample.cluster.logs>/<run>}, with the
     * settings every process test gives its silos: a cluster name of its own, a call timeout long enough for the
     * first calls of cold JVMs, a 3 s probe timeout (a killed silo refuses connections, so its probes fail at once
     * whatever the timeout; a longer one spares silos that answer their first probes slowly while JVMs warm up on
     * a busy machine), a 2 s table refresh, and no monthly fee (the balances are the deposits).
     * @param run the run's name, for the log folder
     * @param clusterName the cluster's name, of this run alone
     * @param callTimeout {@code quark.actors.call-timeout}
     * @param backend the backend the silos run on, whose properties every silo gets; the cluster owns it and
     * {@link #close() closes} it after the silos (also when the cluster cannot be created)
     * @param properties more properties every silo gets ({@code name=value})
     * @return the cluster
     * @throws IOException when the log folder cannot be made
     */
    static LocalSiloCluster ofTheSampleJar(String run, String clusterName, Duration callTimeout, SiloBackend backend,
            List<String> properties) throws IOException {
        try {
            return create(run, clusterName, callTimeout, backend, properties);
        }
        catch (IOException | RuntimeException ex) {
            backend.close();
            throw ex;
        }
    }

    private static LocalSiloCluster create(String run, String clusterName, Duration callTimeout, SiloBackend backend,
            List<String> properties) throws IOException {
        Path jar = Path.of(System.getProperty("quark.sample.cluster.jar", "target/missing.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("No sample jar at " + jar.toAbsolutePath()
                    + ": the sample's executable jar is built by package, before integration-test");
        }
        Path logs = Path.of(System.getProperty("quark.sample.cluster.logs", "target/silo-logs")).resolve(run);
        Files.createDirectories(logs);
        List<String> all = new ArrayList<>(List.of("quark.cluster.name=" + clusterName,
                "quark.actors.call-timeout=" + callTimeout.toMillis() + "ms", "quark.cluster.probe-timeout=3s",
                "quark.cluster.table-refresh-interval=2s", "bank.monthly-fee.amount=0",
                "spring.main.banner-mode=off"));
        all.addAll(backend.siloProperties());
        all.addAll(properties);
        return new LocalSiloCluster(jar, logs, all, backend);
    }

    /**
     * Creates a cluster with no silo yet.
     * @param jar the sample's executable jar
     * @param logs where the silos' logs go
     * @param properties the properties every silo gets ({@code name=value})
     * @param backend the backend the silos run on, closed after them
     */
    private LocalSiloCluster(Path jar, Path logs, List<String> properties, SiloBackend backend) {
        this.jar = jar;
        this.logs = logs;
        this.properties = List.copyOf(properties);
        this.backend = backend;
    }

    /**
     * Starts a silo on new free ports, without waiting for it to join.
     * @param siloId its id
     * @return the silo
     */
    synchronized SiloProcess start(String siloId) {
        return track(SiloProcess.start(this.jar, siloId, ApplicationProcess.freeLoopbackPort(),
                ApplicationProcess.freeLoopbackPort(), this.properties, this.logs));
    }

    /**
     * Starts a silo again, with its id and ports, after it was killed.
     * @param silo the killed silo
     * @return the new process
     */
    synchronized SiloProcess restart(SiloProcess silo) {
        if (silo.isAlive()) {
            throw new IllegalStateException(silo + " still runs");
        }
        SiloProcess restarted = SiloProcess.start(this.jar, silo.siloId(), silo.httpPort(), silo.grpcPort(),
                this.properties, this.logs);
        this.silos.set(this.silos.indexOf(silo), restarted);
        return restarted;
    }

    /**
     * Starts a cluster client of the silos on new free ports (its HTTP API serves the bank's requests through
     * the silos; its gRPC server receives their answers), without waiting for it to see them.
     * @param clientId its id ({@code quark.cluster.silo.id})
     * @return the client's process
     */
    synchronized SiloProcess startClient(String clientId) {
        List<String> clientProperties = new ArrayList<>(this.properties);
        clientProperties.add("quark.cluster.mode=client");
        SiloProcess client = SiloProcess.start(this.jar, clientId, ApplicationProcess.freeLoopbackPort(),
                ApplicationProcess.freeLoopbackPort(), clientProperties, this.logs);
        this.clients.add(client);
        return client;
    }

    private SiloProcess track(SiloProcess silo) {
        this.silos.add(silo);
        return silo;
    }

    /**
     * Kills a silo with {@code SIGKILL}.
     * @param silo the silo
     */
    void kill(SiloProcess silo) {
        silo.close();
    }

    synchronized List<SiloProcess> silos() {
        return List.copyOf(this.silos);
    }

    /**
     * Waits until every silo given says it is an active member that serves, sees the given number of active
     * silos and the same membership table version as the others, and keeps saying so for a few seconds (a silo
     * that has just joined may still be suspected by a peer whose probes have not reached it yet); fails with
     * the silos' last answers and the end of their logs when they do not get there, or as soon as one exits.
     * @param silos the silos to ask
     * @param activeSilos how many active silos each must see
     */
    void awaitActive(List<SiloProcess> silos, int activeSilos) {
        Map<String, String> last = new ConcurrentHashMap<>();
        try {
            await().atMost(START_TIMEOUT)
                .pollInterval(Duration.ofMillis(250))
                .during(STABLE_FOR)
                .until(() -> activeAndAgreeing(silos, activeSilos, last));
        }
        catch (ConditionTimeoutException ex) {
            StringBuilder message = new StringBuilder("The silos did not settle as " + activeSilos
                    + " active members agreeing on the membership table within " + START_TIMEOUT + "; last answers:");
            last.forEach((silo, answer) -> message.append("\n  ").append(answer));
            silos.forEach((silo) -> message.append("\n--- ").append(silo).append(":\n").append(silo.logTail(40)));
            throw new AssertionError(message.toString(), ex);
        }
    }

    private boolean activeAndAgreeing(List<SiloProcess> silos, int activeSilos, Map<String, String> last) {
        Set<Long> versions = new HashSet<>();
        boolean all = true;
        for (SiloProcess silo : silos) {
            if (!silo.isAlive()) {
                throw new IllegalStateException(silo + " exited:\n" + silo.logTail(60));
            }
            Reply health = this.http.clusterHealth(silo);
            last.put(silo.siloId(), health.toString());
            JsonNode body = health.body();
            if (!health.ok() || body == null || !"UP".equals(body.path("status").asString())
                    || body.path("details").path("members.active").asInt() != activeSilos) {
                all = false;
            }
            else {
                versions.add(body.path("details").path("version").asLong());
            }
        }
        return all && versions.size() == 1;
    }

    /**
     * Kills every silo and client still running, then removes what the run left in the backend.
     */
    @Override
    public synchronized void close() {
        try {
            this.clients.forEach(SiloProcess::close);
            this.silos.forEach(SiloProcess::close);
        }
        finally {
            this.backend.close();
        }
    }
}
