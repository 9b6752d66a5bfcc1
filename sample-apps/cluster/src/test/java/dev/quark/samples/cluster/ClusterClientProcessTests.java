package dev.quark.samples.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import dev.quark.samples.cluster.BankHttpClient.Reply;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two silos and one cluster client ({@code quark.cluster.mode=client}), each a JVM started from the cluster
 * sample's executable jar, on loopback, with membership and balances in Redis under a key prefix and a cluster
 * name of this run alone. The test drives the client through its HTTP API only (the bank's API, whose every call
 * goes to the silo that owns the account, and its {@code quarkClusterClient} health): a silo killed with
 * {@code SIGKILL} leaves the client's calls to its accounts failing with a typed error for a bounded time, then
 * they succeed on the survivor with the balances deposited before the kill, and the client's health is
 * {@code UP} with the survivor as its only active silo. Logs are in {@code target/silo-logs/<run>}.
 * <p>
 * Needs Redis ({@code QUARK_TEST_REDIS_URL}, else Testcontainers or an embedded server); without one the test is
 * skipped, and with {@code CI=true} it fails ({@link RedisSiloBackend}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterClientProcessTests {

    /** How long a call to an actor may take ({@code quark.actors.call-timeout}), as in {@link ClusterProcessTests}. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

    /** How long a request may take at most, all included, before we count it as hanging. */
    private static final Duration REQUEST_DEADLINE = CALL_TIMEOUT.plusSeconds(5);

    /**
     * How soon after the kill the client's calls to every account of the killed silo must succeed again, and its
     * health say {@code UP} with the survivor only: the silo is declared dead about 3 s after the kill
     * (docs/clustering.md, failure detection), the client reads the table on the survivor's hint or within
     * {@code table-refresh-interval} (2 s here); the rest is room for a machine busy with other builds.
     */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(20);

    /** How long two silos and a client may take to start together on two busy cores. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);

    private static final long DEPOSIT = 25;

    private final String run = Long.toHexString(System.currentTimeMillis()) + "-" + ProcessHandle.current().pid();

    private final BankHttpClient http = new BankHttpClient(REQUEST_DEADLINE.plusSeconds(5));

    private final List<String> accounts = IntStream.range(0, 20).mapToObj((i) -> "client-account-" + i).toList();

    private @Nullable LocalSiloCluster cluster;

    private @Nullable SiloProcess client;

    @BeforeAll
    void startTwoSilosAndAClient() throws Exception {
        LocalSiloCluster processes = LocalSiloCluster.ofTheSampleJar(this.run, "client-processes-" + this.run,
                CALL_TIMEOUT, RedisSiloBackend.start(ClusterClientProcessTests.class), List.of());
        this.cluster = processes;
        long started = System.nanoTime();
        processes.start("silo-1");
        processes.start("silo-2");
        this.client = processes.startClient("client-1");
        processes.awaitActive(processes.silos(), 2);
        awaitClientUp(START_TIMEOUT, Set.of("silo-1", "silo-2"));
        log("2 silos active and the client UP after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)
                + " ms");
    }

    @AfterAll
    void stopProcesses() {
        if (this.cluster != null) {
            this.cluster.close();
        }
    }

    @Test
    void aClientsCallsSucceedAgainAndItsHealthIsUpSoonAfterASiloIsKilled() {
        LocalSiloCluster processes = cluster();
        SiloProcess client = client();
        for (String account : this.accounts) {
            Reply deposit = this.http.deposit(client, account, DEPOSIT);
            assertThat(deposit.ok()).as("deposit through the client: %s", deposit).isTrue();
            assertThat(deposit.longField("balance")).isEqualTo(DEPOSIT);
        }
        Map<String, List<String>> hosting = hosting(processes.silos());
        log("accounts per silo: " + counts(hosting));
        assertThat(hosting.values()).as("the client's calls reach both silos")
            .allSatisfy((ids) -> assertThat(ids).isNotEmpty());
        assertThat(hosting.values().stream().mapToInt(List::size).sum()).as("one activation per account")
            .isEqualTo(this.accounts.size());

        SiloProcess victim = processes.silos()
            .stream()
            .max((a, b) -> Integer.compare(hosting.get(a.siloId()).size(), hosting.get(b.siloId()).size()))
            .orElseThrow();
        SiloProcess survivor = processes.silos().stream().filter((silo) -> silo != victim).findFirst().orElseThrow();
        List<String> victimAccounts = hosting.get(victim.siloId());
        log("killing " + victim + ", which hosts " + victimAccounts.size() + " of " + this.accounts.size()
                + " accounts");
        Instant killedAt = Instant.now();
        processes.kill(victim);

        Set<String> waiting = new LinkedHashSet<>(victimAccounts);
        List<Reply> failures = new ArrayList<>();
        try {
            await().atMost(RECOVERY_BOUND).pollInterval(Duration.ofMillis(200)).until(() -> {
                for (String account : List.copyOf(waiting)) {
                    Reply balance = this.http.balance(client, account);
                    if (balance.ok()) {
                        assertThat(balance.longField("balance"))
                            .as("balance of %s read through the client after the kill", account)
                            .isEqualTo(DEPOSIT);
                        waiting.remove(account);
                    }
                    else {
                        failures.add(balance);
                    }
                }
                return waiting.isEmpty();
            });
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError("The client's calls to " + waiting + " did not succeed within " + RECOVERY_BOUND
                    + " of the kill; last failures: " + failures.subList(Math.max(0, failures.size() - 5),
                            failures.size()) + "\n--- client:\n" + client.logTail(40), ex);
        }
        Duration recovery = Duration.between(killedAt, Instant.now());
        Duration left = RECOVERY_BOUND.minus(recovery);
        awaitClientUp(left.compareTo(Duration.ofSeconds(1)) > 0 ? left : Duration.ofSeconds(1), Set.of(survivor.siloId()));
        Duration healthy = Duration.between(killedAt, Instant.now());
        log("the client's calls to the killed silo's accounts succeeded again " + recovery.toMillis()
                + " ms after the kill, its health UP with the survivor only after " + healthy.toMillis() + " ms; "
                + failures.size() + " calls failed meanwhile");

        assertThat(failures).as("every call that failed meanwhile failed with a typed error, within its deadline")
            .allSatisfy((failure) -> {
                assertThat(failure.status()).as("%s", failure).isIn(503, 504);
                assertThat(failure.exception()).as("%s", failure).startsWith("dev.quark.");
                assertThat(failure.took()).as("%s", failure).isLessThanOrEqualTo(REQUEST_DEADLINE);
            });
        for (String account : this.accounts) {
            Reply deposit = this.http.deposit(client, account, 1);
            assertThat(deposit.ok()).as("deposit through the client after the kill: %s", deposit).isTrue();
            assertThat(deposit.longField("balance")).as("balance of %s", account).isEqualTo(DEPOSIT + 1);
        }
        assertThat(hosting(List.of(survivor)).get(survivor.siloId())).as("every account now on the survivor")
            .containsExactlyInAnyOrderElementsOf(this.accounts);
    }

    /**
     * Waits until the client's health is {@code UP} with exactly the given silos active in its view.
     */
    private void awaitClientUp(Duration timeout, Set<String> activeSilos) {
        SiloProcess client = client();
        Reply[] last = new Reply[1];
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(250)).until(() -> {
                if (!client.isAlive()) {
                    throw new IllegalStateException(client + " exited:\n" + client.logTail(60));
                }
                last[0] = this.http.clientHealth(client);
                JsonNode body = last[0].body();
                if (!last[0].ok() || body == null || !"UP".equals(body.path("status").asString())) {
                    return false;
                }
                Set<String> seen = new LinkedHashSet<>();
                body.path("details").path("activeSilos").forEach((silo) -> seen.add(silo.asString()));
                return seen.equals(activeSilos);
            });
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError("The client's health was not UP with active silos " + activeSilos + " within "
                    + timeout + "; last answer: " + last[0] + "\n--- client:\n" + client.logTail(40), ex);
        }
    }

    private Map<String, List<String>> hosting(List<SiloProcess> silos) {
        Map<String, List<String>> hosting = new HashMap<>();
        for (SiloProcess silo : silos) {
            Reply reply = this.http.silo(silo, this.accounts);
            assertThat(reply.ok()).as("%s", reply).isTrue();
            List<String> ids = new ArrayList<>();
            reply.body().path("hosting").forEach((id) -> ids.add(id.asString()));
            hosting.put(silo.siloId(), ids);
        }
        return hosting;
    }

    private LocalSiloCluster cluster() {
        LocalSiloCluster processes = this.cluster;
        if (processes == null) {
            throw new IllegalStateException("The silos did not start");
        }
        return processes;
    }

    private SiloProcess client() {
        SiloProcess started = this.client;
        if (started == null) {
            throw new IllegalStateException("The client did not start");
        }
        return started;
    }

    private static Map<String, Integer> counts(Map<String, List<String>> hosting) {
        Map<String, Integer> counts = new HashMap<>();
        hosting.forEach((silo, ids) -> counts.put(silo, ids.size()));
        return counts;
    }

    private static void log(String message) {
        System.out.println("[ClusterClientProcessTests] " + message);
    }
}
