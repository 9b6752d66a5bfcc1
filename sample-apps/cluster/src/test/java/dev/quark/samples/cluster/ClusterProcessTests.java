package dev.quark.samples.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.quark.samples.cluster.BankHttpClient.Reply;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three silos, each a JVM started from the cluster sample's executable jar, talking over gRPC on loopback, with
 * membership, balances and reminders in Redis under a key prefix and a cluster name of this run alone. The
 * tests drive the silos through their HTTP API only: accounts spread over the three; a silo killed with
 * {@code SIGKILL} under a deposit load hands its accounts to the survivors with their balances; a restarted silo
 * joins again and hosts accounts. The tests share the cluster and run in order; each leaves it with every silo
 * it expects running. Silo logs are in {@code target/silo-logs/<run>}.
 * <p>
 * Needs Redis ({@code QUARK_TEST_REDIS_URL}, else Testcontainers or an embedded server); without one the tests
 * are skipped, and with {@code CI=true} they fail ({@link RedisSiloBackend}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterProcessTests {

    /**
     * How long a call to an actor may take in the silos ({@code quark.actors.call-timeout}): long enough for the
     * first calls of three cold JVMs on a machine busy with other builds (5 s was not).
     */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

    /** How long a request may take at most, all included, before we count it as hanging. */
    private static final Duration REQUEST_DEADLINE = CALL_TIMEOUT.plusSeconds(5);

    /**
     * How soon after the kill every account of the killed silo must take deposits again on the survivors: a killed
     * silo refuses connections, so with the default probe interval and misses it is declared dead about 3 s after
     * the kill (docs/clustering.md, failure detection); then a table read, and room for a machine busy with
     * other builds.
     */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(20);

    private final String run = Long.toHexString(System.currentTimeMillis()) + "-" + ProcessHandle.current().pid();

    private final BankHttpClient http = new BankHttpClient(REQUEST_DEADLINE.plusSeconds(5));

    private final List<String> spreadAccounts = accounts("spread", 30);

    private final List<List<String>> loadAccounts = IntStream.range(0, 8)
        .mapToObj((caller) -> accounts("load-" + caller, 6))
        .toList();

    private final Map<String, Long> expectedBalances = new HashMap<>();

    private @Nullable LocalSiloCluster cluster;

    private @Nullable SiloProcess killed;

    @BeforeAll
    void startThreeSilos() throws Exception {
        LocalSiloCluster silos = LocalSiloCluster.ofTheSampleJar(this.run, "processes-" + this.run, CALL_TIMEOUT,
                RedisSiloBackend.start(ClusterProcessTests.class), List.of());
        this.cluster = silos;
        long started = System.nanoTime();
        for (int i = 1; i <= 3; i++) {
            silos.start("silo-" + i);
        }
        silos.awaitActive(silos.silos(), 3);
        log("3 silos active after " + millisSince(started) + " ms: " + silos.silos());
    }

    @AfterAll
    void stopSilos() {
        if (this.cluster != null) {
            this.cluster.close();
        }
    }

    @Test
    @Order(1)
    void accountsCalledThroughAnySiloSpreadOverAllThreeOnceEachAndTheirFailuresKeepTheirType() {
        List<SiloProcess> silos = cluster().silos();
        for (int i = 0; i < this.spreadAccounts.size(); i++) {
            String account = this.spreadAccounts.get(i);
            Reply deposit = this.http.deposit(silos.get(i % 3), account, 10 + i);
            assertThat(deposit.ok()).as("deposit %s", deposit).isTrue();
            Reply balance = this.http.balance(silos.get((i + 1) % 3), account);
            assertThat(balance.longField("balance")).as("balance of %s read through another silo", account)
                .isEqualTo(10 + i);
            this.expectedBalances.put(account, 10L + i);
        }
        Map<String, List<String>> hosting = hosting(silos, this.spreadAccounts);
        log("accounts per silo: " + counts(hosting));
        assertThat(hosting.values()).as("every silo hosts accounts").allSatisfy((ids) -> assertThat(ids).isNotEmpty());
        assertThat(hosting.values().stream().mapToInt(List::size).sum()).as("one activation per account in the cluster")
            .isEqualTo(this.spreadAccounts.size());
        String account = this.spreadAccounts.get(0);
        SiloProcess elsewhere = silos.stream()
            .filter((silo) -> !hosting.get(silo.siloId()).contains(account))
            .findFirst()
            .orElseThrow();
        Reply overdraft = this.http.withdraw(elsewhere, account, 1_000);
        assertThat(overdraft.status()).as("an overdraft through a silo that does not host the account: %s", overdraft)
            .isEqualTo(409);
        assertThat(overdraft.body().path("detail").asString()).isEqualTo("Account " + account + " holds 10, cannot withdraw 1000");
        long expectedTotal = this.expectedBalances.values().stream().mapToLong(Long::longValue).sum();
        for (SiloProcess silo : silos) {
            assertThat(this.http.total(silo, this.spreadAccounts).longField("total")).isEqualTo(expectedTotal);
        }
    }

    @Test
    @Order(2)
    void aSiloKilledUnderLoadHandsItsAccountsToTheSurvivorsWithTheirBalances() {
        LocalSiloCluster silos = cluster();
        List<String> accounts = this.loadAccounts.stream().flatMap(List::stream).toList();
        for (String account : accounts) {
            assertThat(this.http.deposit(silos.silos().get(0), account, DepositLoad.AMOUNT).ok()).isTrue();
        }
        Map<String, List<String>> hosting = hosting(silos.silos(), accounts);
        SiloProcess victim = silos.silos()
            .stream()
            .max((a, b) -> Integer.compare(hosting.get(a.siloId()).size(), hosting.get(b.siloId()).size()))
            .orElseThrow();
        List<String> victimAccounts = hosting.get(victim.siloId());
        List<SiloProcess> survivors = silos.silos().stream().filter((silo) -> silo != victim).toList();
        log("killing " + victim + ", which hosts " + victimAccounts.size() + " of " + accounts.size() + " accounts");

        Instant killedAt;
        Duration recovery;
        DepositLoad load = new DepositLoad(this.http, survivors, this.loadAccounts);
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> load.acknowledged() >= 100);
            killedAt = Instant.now();
            silos.kill(victim);
            this.killed = victim;
            try {
                await().atMost(RECOVERY_BOUND)
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> victimAccounts.stream()
                        .allMatch((account) -> load.ledger(account).lastAcknowledgedSent().isAfter(killedAt)));
            }
            catch (ConditionTimeoutException ex) {
                List<String> waiting = victimAccounts.stream()
                    .filter((account) -> !load.ledger(account).lastAcknowledgedSent().isAfter(killedAt))
                    .toList();
                List<Reply> failures = load.failures();
                throw new AssertionError("Accounts of the killed silo took no deposit within " + RECOVERY_BOUND
                        + " of the kill: " + waiting + "; last failures: "
                        + failures.subList(Math.max(0, failures.size() - 5), failures.size()), ex);
            }
            recovery = Duration.between(killedAt, Instant.now());
            silos.awaitActive(survivors, 2);
            long acknowledgedAtRecovery = load.acknowledged();
            await().atMost(Duration.ofSeconds(30)).until(() -> load.acknowledged() >= acknowledgedAtRecovery + 100);
        }
        finally {
            load.close();
        }
        Map<String, Long> failureTypes = load.failures()
            .stream()
            .collect(Collectors.groupingBy((failure) -> failure.status() + " " + failure.exception(), TreeMap::new,
                    Collectors.counting()));
        log("the killed silo's accounts took deposits on the survivors again " + recovery.toMillis()
                + " ms after the kill; " + load.acknowledged() + " deposits acknowledged, " + load.failures().size()
                + " failed " + failureTypes + "; slowest request " + load.slowest().toMillis() + " ms");

        assertThat(load.failures()).as("every failed deposit is a typed error (a Quark exception, or the bank's conflict)")
            .allSatisfy((failure) -> {
                if (failure.status() != 409) {
                    assertThat(failure.exception()).as("%s", failure).startsWith("dev.quark.");
                }
            });
        assertThat(load.slowest()).as("slowest deposit").isLessThanOrEqualTo(REQUEST_DEADLINE);

        long acknowledgedSum = 0;
        long balanceSum = 0;
        long maxUnacknowledgedApplied = 0;
        for (String account : accounts) {
            long balance = balanceThroughAnySurvivor(survivors, account);
            DepositLoad.Ledger ledger = load.ledger(account);
            long acknowledged = DepositLoad.AMOUNT + ledger.acknowledgedSum();
            assertThat(balance).as("balance of %s: every acknowledged deposit, at most the failed ones besides", account)
                .isBetween(acknowledged, acknowledged + ledger.failedSum());
            acknowledgedSum += acknowledged;
            balanceSum += balance;
            maxUnacknowledgedApplied += Math.min(ledger.failedSum(), DepositLoad.AMOUNT);
            this.expectedBalances.put(account, balance);
        }
        log("sum of balances " + balanceSum + ", sum of acknowledged deposits " + acknowledgedSum);
        assertThat(balanceSum - acknowledgedSum)
            .as("deposits carried out but not acknowledged: at most the one each caller had in flight at the kill")
            .isBetween(0L, Math.min(maxUnacknowledgedApplied, this.loadAccounts.size() * DepositLoad.AMOUNT));
        assertThat(this.http.total(survivors.get(0), accounts).longField("total")).isEqualTo(balanceSum);

        Map<String, List<String>> after = hosting(survivors, accounts);
        assertThat(after.values().stream().mapToInt(List::size).sum()).as("one activation per account on the survivors")
            .isEqualTo(accounts.size());
        assertThat(after.values().stream().flatMap(List::stream).toList()).containsAll(victimAccounts);
        assertThat(recovery).isLessThanOrEqualTo(RECOVERY_BOUND);
    }

    @Test
    @Order(3)
    void aRestartedSiloJoinsAgainAndHostsAccounts() {
        LocalSiloCluster silos = cluster();
        SiloProcess down = this.killed;
        if (down == null) {
            down = silos.silos().get(2);
            silos.kill(down);
        }
        long started = System.nanoTime();
        SiloProcess restarted = silos.restart(down);
        this.killed = null;
        silos.awaitActive(silos.silos(), 3);
        log("restarted " + restarted + " active in a cluster of 3 after " + millisSince(started) + " ms");

        List<String> accounts = new ArrayList<>(this.expectedBalances.keySet());
        List<SiloProcess> all = silos.silos();
        for (int i = 0; i < accounts.size(); i++) {
            String account = accounts.get(i);
            long expected = this.expectedBalances.get(account) + 1;
            Reply deposit = this.http.deposit(all.get(i % 3), account, 1);
            assertThat(deposit.ok()).as("deposit %s", deposit).isTrue();
            assertThat(deposit.longField("balance")).as("balance of %s", account).isEqualTo(expected);
            this.expectedBalances.put(account, expected);
        }
        Map<String, List<String>> hosting = hosting(all, accounts);
        log("accounts per silo after the restart: " + counts(hosting));
        assertThat(hosting.get(restarted.siloId())).as("accounts on the restarted silo").isNotEmpty();
        assertThat(hosting.values().stream().mapToInt(List::size).sum()).as("one activation per account in the cluster")
            .isEqualTo(accounts.size());
    }

    private long balanceThroughAnySurvivor(List<SiloProcess> survivors, String account) {
        Reply[] last = new Reply[1];
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            last[0] = this.http.balance(survivors.get(account.hashCode() & 1), account);
            return last[0].ok();
        });
        return last[0].longField("balance");
    }

    private Map<String, List<String>> hosting(List<SiloProcess> silos, List<String> accounts) {
        Map<String, List<String>> hosting = new HashMap<>();
        for (SiloProcess silo : silos) {
            Reply reply = this.http.silo(silo, accounts);
            assertThat(reply.ok()).as("%s", reply).isTrue();
            List<String> ids = new ArrayList<>();
            reply.body().path("hosting").forEach((id) -> ids.add(id.asString()));
            hosting.put(silo.siloId(), ids);
        }
        return hosting;
    }

    private LocalSiloCluster cluster() {
        LocalSiloCluster silos = this.cluster;
        if (silos == null) {
            throw new IllegalStateException("The silos did not start");
        }
        return silos;
    }

    private static Map<String, Integer> counts(Map<String, List<String>> hosting) {
        Map<String, Integer> counts = new TreeMap<>();
        hosting.forEach((silo, ids) -> counts.put(silo, ids.size()));
        return counts;
    }

    private static List<String> accounts(String prefix, int count) {
        return IntStream.range(0, count).mapToObj((i) -> prefix + "-" + i).toList();
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private static void log(String message) {
        System.out.println("[ClusterProcessTests] " + message);
    }
}
