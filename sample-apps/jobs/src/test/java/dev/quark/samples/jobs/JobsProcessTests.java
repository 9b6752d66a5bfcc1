package dev.quark.samples.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.quark.samples.jobs.JobsClient.Reply;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.server.RedisTestServer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes of the sample, each a JVM started from its executable jar, sharing jobs in PostgreSQL (a schema of
 * this run alone) or in Redis (a key prefix of this run alone), on loopback. A report job that takes {@link #RENDER_TIME} is enqueued; once it runs and has
 * reported progress, the node running it is killed with {@code SIGKILL}; the job must then be taken over by the
 * survivor after its lease expires and complete there exactly once: one more attempt, its effect (the published
 * report) on the survivor, its final state recorded once and not changed after. Node logs are in
 * {@code target/node-logs/<run>}.
 * <p>
 * Runs on PostgreSQL and on Redis: needs PostgreSQL ({@code QUARK_TEST_POSTGRES_URL}, a JDBC URL with its user, else
 * Testcontainers or an embedded server) and Redis ({@code QUARK_TEST_REDIS_URL}, else the same); without one its test
 * is skipped, and with {@code CI=true} it fails ({@link PostgresTestServer#get()}, {@link RedisTestServer#get()}).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class JobsProcessTests {

    /** How long a claim lasts unless renewed: how soon after the kill the survivor may take the job over. */
    private static final Duration LEASE = Duration.ofSeconds(2);

    /**
     * How long the report job works, in four parts: long enough to kill its node in the middle (between its first
     * progress report and its end: 4.5 s, the test polling every 50 ms, with room for a busy machine), and the
     * survivor runs it all again.
     */
    private static final Duration RENDER_TIME = Duration.ofSeconds(6);

    /**
     * How soon after the kill the job must have succeeded on the survivor: the lease's expiry, the next takeover
     * look (every lease duration), the backoff before the next attempt (1 s), the attempt itself, and room for a
     * machine busy with other builds.
     */
    private static final Duration COMPLETION_BOUND = Duration.ofSeconds(50);

    /** How long two nodes may take to start together on two cores shared with other builds. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(150);

    private final String run = Long.toHexString(System.currentTimeMillis()) + "-" + ProcessHandle.current().pid();

    @Test
    void aJobWhoseNodeIsKilledMidRunCompletesOnceOnTheSurvivorAfterItsLeaseExpires() throws Exception {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(JobsProcessTests.class)) {
            killAndTakeOver(List.of("spring.profiles.active=postgres", "spring.datasource.url=" + schema.jdbcUrl()));
        }
    }

    /**
     * The same on Redis ({@code quark.backend=redis}, a key prefix of this run alone, deleted after it): the jobs, their
     * leases and the wake-ups between the nodes in Redis.
     */
    @Test
    void onRedisAJobWhoseNodeIsKilledMidRunCompletesOnceOnTheSurvivorAfterItsLeaseExpires() throws Exception {
        RedisTestServer redis = RedisTestServer.get();
        String prefix = redis.uniqueKeyPrefix(JobsProcessTests.class);
        try {
            killAndTakeOver(List.of("spring.profiles.active=redis", "spring.data.redis.url=" + redis.url(),
                    "quark.redis.key-prefix=" + prefix));
        }
        finally {
            redis.deleteKeys(prefix);
        }
    }

    private void killAndTakeOver(List<String> backend) throws Exception {
        Path jar = Path.of(System.getProperty("quark.sample.jobs.jar", "target/missing.jar"));
        assertThat(jar).as("the sample's executable jar (built by package, before integration-test)").isRegularFile();
        Path logs = Path.of(System.getProperty("quark.sample.jobs.logs", "target/node-logs")).resolve(this.run);
        Files.createDirectories(logs);
        List<String> properties = new ArrayList<>(backend);
        properties.addAll(List.of("quark.jobs.lease-duration=" + LEASE.toMillis() + "ms", "quark.jobs.poll-interval=200ms",
                "reports.render-time=" + RENDER_TIME.toMillis() + "ms", "spring.main.banner-mode=off"));
        long started = System.nanoTime();
        // Together: Quark's changelogs run under an advisory lock (LiquibaseMigration), so two nodes on an empty
        // schema no longer race to create Liquibase's own tables.
        try (NodeProcess first = NodeProcess.start(jar, "node-1", properties, logs);
                NodeProcess second = NodeProcess.start(jar, "node-2", properties, logs)) {
            awaitUp(first);
            awaitUp(second);
            log("2 nodes up after " + millisSince(started) + " ms: " + List.of(first, second));
            killTheRunningNodeAndAwaitTheSurvivor(List.of(first, second));
        }
    }

    private void killTheRunningNodeAndAwaitTheSurvivor(List<NodeProcess> nodes) {
        JobsClient client = client(nodes.get(0));
        String report = "killed-" + this.run;
        Reply enqueued = client.enqueue("generate-report",
                Map.of("reportId", report, "customer", "acme", "months", 6));
        assertThat(enqueued.status()).as("%s", enqueued).isEqualTo(202);
        String id = enqueued.id();

        JsonNode midRun = client.awaitJob(id, Duration.ofSeconds(30),
                (job) -> "RUNNING".equals(job.path("status").asString()) && job.path("progress").asInt() >= 25
                        && job.path("progress").asInt() < 100,
                "running with progress");
        String owner = midRun.path("owner").asString();
        NodeProcess victim = nodes.stream().filter((node) -> node.nodeId().equals(owner)).findFirst()
            .orElseThrow(() -> new AssertionError("job " + id + " runs on '" + owner + "', not on a node of " + nodes));
        NodeProcess survivor = nodes.stream().filter((node) -> node != victim).findFirst().orElseThrow();
        assertThat(midRun.path("attempt").asInt()).isEqualTo(1);
        log("killing " + victim + " while job " + id + " is at " + midRun.path("progress").asInt() + "%");
        long killedAt = System.nanoTime();
        victim.kill();

        JobsClient survivorClient = client(survivor);
        JsonNode done;
        try {
            done = survivorClient.awaitJob(id, "SUCCEEDED", COMPLETION_BOUND);
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError("Job " + id + " did not succeed on " + survivor + " within " + COMPLETION_BOUND
                    + " of the kill: " + survivorClient.get("/jobs/{id}", id) + "\n--- survivor log:\n"
                    + survivor.logTail(60), ex);
        }
        long completion = millisSince(killedAt);
        log("job " + id + " succeeded on " + survivor.nodeId() + " " + completion + " ms after the kill; log: "
                + done.path("log"));

        assertThat(done.path("owner").asString()).as("the survivor ran the last attempt").isEqualTo(survivor.nodeId());
        assertThat(done.path("attempt").asInt()).as("the killed attempt and the survivor's, no other").isEqualTo(2);
        assertThat(done.path("progress").asInt()).isEqualTo(100);
        List<String> lines = done.path("log").valueStream().map(JsonNode::asString).toList();
        assertThat(lines).filteredOn((line) -> line.contains("attempt 1: generating report " + report)).hasSize(1);
        assertThat(lines).filteredOn((line) -> line.contains("attempt 2: generating report " + report)).hasSize(1);
        assertThat(lines).as("the worker's line for the takeover")
            .filteredOn((line) -> line.contains("was abandoned by '" + victim.nodeId() + "'")).hasSize(1);
        assertThat(lines).as("published by the survivor's attempt alone")
            .filteredOn((line) -> line.contains("published report " + report)).hasSize(1);
        JsonNode effect = survivorClient.get("/reports/{id}", report).body();
        assertThat(effect.path("publications").asInt()).as("the report published on the survivor: %s", effect)
            .isEqualTo(1);

        // its final state is recorded once: it stays as it is, and it is the only job of the report
        String finishedAt = done.path("finishedAt").asString();
        await("job " + id + " stays succeeded").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
            .until(() -> {
                JsonNode job = survivorClient.get("/jobs/{id}", id).body();
                return "SUCCEEDED".equals(job.path("status").asString()) && job.path("attempt").asInt() == 2
                        && finishedAt.equals(job.path("finishedAt").asString());
            });
        Reply all = survivorClient.get("/jobs?type=generate-report&limit=1000");
        assertThat(all.body().path("jobs").valueStream()
            .filter((job) -> report.equals(job.path("payload").path("reportId").asString()))
            .map((job) -> job.path("id").asString())).containsExactly(id);
        assertThat(survivorClient.get("/jobs?status=RUNNING,ENQUEUED,RETRYING&type=generate-report").jobIds()).isEmpty();
        assertThat(survivorClient.get("/reports/{id}", report).body().path("publications").asInt()).isEqualTo(1);
        assertThat(completion).as("ms from the kill to the job's success").isLessThan(COMPLETION_BOUND.toMillis());
    }

    private void awaitUp(NodeProcess node) {
        JobsClient client = client(node);
        try {
            await(node + " up").atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!node.isAlive()) {
                    throw new IllegalStateException(node + " exited:\n" + node.logTail(60));
                }
                try {
                    Reply health = client.get("/actuator/health");
                    return health.status() == 200 && "UP".equals(health.body().path("status").asString());
                }
                catch (RuntimeException ex) {
                    return false; // not listening yet
                }
            });
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError(node + " did not come up within " + START_TIMEOUT + ":\n" + node.logTail(60), ex);
        }
    }

    private static JobsClient client(NodeProcess node) {
        return new JobsClient(node.nodeId(), node.httpPort(), Duration.ofSeconds(10));
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private static void log(String message) {
        System.out.println("[JobsProcessTests] " + message);
    }
}
