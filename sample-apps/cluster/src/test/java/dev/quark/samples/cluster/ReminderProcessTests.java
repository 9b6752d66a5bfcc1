package dev.quark.samples.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Persistent reminders across a silo crash, at process level: three silos, each a JVM started from the cluster
 * sample's executable jar, talking over gRPC on loopback, with membership, actor state, the reminder table and the
 * reminders' bucket leases in one backend (a subclass per backend; {@link RedisReminderProcessTests} only, to keep the
 * suite short: PostgreSQL's reminder table and leases across processes are run by
 * {@link PostgresReminderClusterRestartProcessTests}) under names of this run alone. {@value #PULSES} {@link Pulse pulses} beat
 * every second (a periodic reminder each, every tick counted once per scheduled instant in the pulse's persistent
 * state, a tick for an instant already counted counted as a repeat); the silo that fires the most of them is killed
 * with {@code SIGKILL}, and every pulse — those whose reminders it fired, those it hosted, the others — must beat
 * again on the survivors within {@link #RECOVERY_BOUND} of the kill, keep beating, and keep its reminder; started
 * again, the silo takes back buckets and the pulses keep beating. No instant is delivered twice before the kill, to
 * the pulses the killed silo neither fired nor hosted, nor across the restart (an ownership change without a
 * crash): only the killed silo's pulses may see an instant again (at least once). The tests drive the silos through
 * their HTTP API only and run in order. Silo logs are in {@code target/silo-logs/<run>}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
abstract class ReminderProcessTests {

    private static final int PULSES = 50;

    private static final long PERIOD_MILLIS = 1000;

    /** How long a call to an actor may take ({@code quark.actors.call-timeout}), as in {@link ClusterProcessTests}. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

    /**
     * How soon after the kill every pulse must beat again: the killed silo is declared dead about 3 s after the kill
     * (docs/clustering.md, failure detection); its bucket leases expire {@code lease-duration} (5 s here) after
     * their last renewal and a survivor claims them within a quarter of that; a tick for a pulse it hosted is tried
     * again at most {@code retry.max-backoff} (2 s here) after the declaration. The rest is room for a machine busy
     * with other builds.
     */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(20);

    /** How many beats each pulse must add, after the recovery and after the restart, to show it keeps beating. */
    private static final int MORE_BEATS = 3;

    /** This run's name: in the cluster name, the log folder and the backend's names. */
    protected final String run = Long.toHexString(System.currentTimeMillis()) + "-" + ProcessHandle.current().pid();

    private final BankHttpClient http = new BankHttpClient(CALL_TIMEOUT.plusSeconds(10));

    private final List<String> pulses = IntStream.range(0, PULSES).mapToObj((i) -> "pulse-" + i).toList();

    private @Nullable LocalSiloCluster cluster;

    private @Nullable SiloProcess killed;

    /**
     * Prepares the backend for this run.
     * @return the backend, which the cluster closes after its silos ({@link #stopSilos()})
     */
    protected abstract SiloBackend startBackend();

    @BeforeAll
    void startThreeSilos() throws Exception {
        List<String> properties = List.of(
                // near failure detection (docs/reminders.md), so the survivors do not wait long for the leases; 3 s
                // leases expired while three cold JVMs started on two busy cores
                "quark.reminders.lease-duration=5s",
                // a tick for a pulse on the killed silo is tried again soon after the silo is declared dead
                "quark.reminders.retry.max-backoff=2s");
        LocalSiloCluster silos = LocalSiloCluster.ofTheSampleJar(this.run, "reminder-processes-" + this.run,
                CALL_TIMEOUT, startBackend(), properties);
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
    void theRemindersOfASiloKilledWithSigkillKeepFiringOnTheSurvivorsNoneLost() {
        LocalSiloCluster silos = cluster();
        List<SiloProcess> all = silos.silos();
        long started = System.nanoTime();
        for (int i = 0; i < this.pulses.size(); i++) {
            Reply start = this.http.startPulse(all.get(i % 3), this.pulses.get(i), PERIOD_MILLIS);
            assertThat(start.ok()).as("start %s", start).isTrue();
            assertThat(start.body().path("registered").asBoolean()).as("%s", start).isTrue();
        }
        Map<String, Long> beatsBefore = awaitBeats(all.get(0), Map.of(), 2, Duration.ofSeconds(60));
        log(PULSES + " pulses beating twice each " + millisSince(started) + " ms after the first was started");
        Map<String, Deliveries> beforeTheKill = deliveries(all.get(0));
        log("before the kill: " + Deliveries.summary(beforeTheKill));
        assertThat(Deliveries.repeated(beforeTheKill, this.pulses)).as("pulses that saw an instant twice before the kill")
            .isEmpty();

        Map<String, List<String>> firing = new HashMap<>();
        Map<String, List<String>> hosting = new HashMap<>();
        readOwners(all, firing, hosting);
        log("pulses fired per silo " + counts(firing) + ", hosted per silo " + counts(hosting));
        assertThat(firing.values().stream().flatMap(List::stream).sorted().toList())
            .as("every pulse's reminder fired by one silo").isEqualTo(this.pulses.stream().sorted().toList());
        assertThat(hosting.values().stream().flatMap(List::stream).sorted().toList())
            .as("every pulse active on one silo").isEqualTo(this.pulses.stream().sorted().toList());
        SiloProcess victim = all.stream()
            .max((a, b) -> Integer.compare(firing.get(a.siloId()).size(), firing.get(b.siloId()).size()))
            .orElseThrow();
        List<SiloProcess> survivors = all.stream().filter((silo) -> silo != victim).toList();
        List<String> victimFired = firing.get(victim.siloId());
        List<String> victimHosted = hosting.get(victim.siloId());
        assertThat(victimFired).as("pulses whose reminders the victim fires").isNotEmpty();
        assertThat(victimHosted).as("pulses the victim hosts").isNotEmpty();
        log("killing " + victim + ", which fires " + victimFired.size() + " pulses' reminders and hosts "
                + victimHosted.size() + " pulses");

        Instant killedAt = Instant.now();
        silos.kill(victim);
        this.killed = victim;
        Map<String, Instant> recoveredAt = new TreeMap<>();
        AtomicReference<@Nullable Reply> last = new AtomicReference<>();
        try {
            await().atMost(RECOVERY_BOUND).pollInterval(Duration.ofMillis(250)).until(() -> {
                Reply read = this.http.pulses(survivors.get(0), this.pulses);
                last.set(read);
                if (!read.ok()) {
                    return false;
                }
                for (JsonNode pulse : read.body()) {
                    Instant fired = lastFiredAt(pulse);
                    if (fired != null && fired.isAfter(killedAt)) {
                        recoveredAt.putIfAbsent(pulse.path("id").asString(), fired);
                    }
                }
                return recoveredAt.size() == this.pulses.size();
            });
        }
        catch (ConditionTimeoutException ex) {
            List<String> waiting = this.pulses.stream().filter((id) -> !recoveredAt.containsKey(id)).toList();
            throw new AssertionError("Pulses that did not beat within " + RECOVERY_BOUND + " of the kill: " + waiting
                    + " (fired by the victim: " + victimFired + ", hosted by it: " + victimHosted + "); last read: "
                    + last.get() + "\n--- survivors' logs:\n" + survivors.get(0).logTail(40) + "\n---\n"
                    + survivors.get(1).logTail(40), ex);
        }
        Duration slowest = recoveredAt.values()
            .stream()
            .map((fired) -> Duration.between(killedAt, fired))
            .max(Duration::compareTo)
            .orElseThrow();
        log("every pulse beat again on the survivors; the last first beat after the kill came "
                + slowest.toMillis() + " ms after it (those whose reminders the victim fired: "
                + slowestOf(victimFired, recoveredAt, killedAt) + " ms, those it hosted: "
                + slowestOf(victimHosted, recoveredAt, killedAt) + " ms)");

        Map<String, Long> beatsAtRecovery = awaitBeats(survivors.get(0), Map.of(), 0, Duration.ofSeconds(10));
        this.pulses.forEach((id) -> assertThat(beatsAtRecovery.get(id)).as("beats of %s after the kill", id)
            .isGreaterThan(beatsBefore.get(id)));
        Map<String, Long> beatsLater = awaitBeats(survivors.get(1), beatsAtRecovery, MORE_BEATS, Duration.ofSeconds(15));
        log("every pulse beat " + MORE_BEATS + " more times on the survivors; beats now from "
                + beatsLater.values().stream().mapToLong(Long::longValue).min().orElse(0) + " to "
                + beatsLater.values().stream().mapToLong(Long::longValue).max().orElse(0));

        Map<String, Deliveries> afterTheKill = deliveries(survivors.get(1));
        log("after the kill: " + Deliveries.summary(afterTheKill));
        List<String> untouched = this.pulses.stream()
            .filter((id) -> !victimFired.contains(id) && !victimHosted.contains(id))
            .toList();
        assertThat(Deliveries.repeated(afterTheKill, untouched))
            .as("pulses the killed silo neither fired nor hosted that saw an instant twice").isEmpty();

        assertRegistered(survivors.get(0));
        silos.awaitActive(survivors, 2);
        Map<String, List<String>> firingAfter = new HashMap<>();
        readOwners(survivors, firingAfter, new HashMap<>());
        log("pulses fired per survivor " + counts(firingAfter));
        assertThat(firingAfter.values().stream().flatMap(List::stream).sorted().toList())
            .as("every pulse's reminder fired by one survivor").isEqualTo(this.pulses.stream().sorted().toList());
    }

    @Test
    @Order(2)
    void aRestartedSiloFiresRemindersAgainAndNoPulseStops() {
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

        List<SiloProcess> all = silos.silos();
        Map<String, Long> beatsAtRejoin = awaitBeats(restarted, Map.of(), 0, Duration.ofSeconds(20));
        Map<String, Deliveries> atRejoin = deliveries(restarted);
        Map<String, List<String>> firing = new HashMap<>();
        await().atMost(RECOVERY_BOUND).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            firing.clear();
            readOwners(all, firing, new HashMap<>());
            assertThat(firing.get(restarted.siloId())).as("pulses whose reminders the restarted silo fires").isNotEmpty();
            assertThat(firing.values().stream().flatMap(List::stream).sorted().toList())
                .as("every pulse's reminder fired by one silo").isEqualTo(this.pulses.stream().sorted().toList());
        });
        log("pulses fired per silo after the restart " + counts(firing));
        awaitBeats(all.get(0), beatsAtRejoin, MORE_BEATS, RECOVERY_BOUND);
        log("every pulse beat " + MORE_BEATS + " more times after the restart");
        Map<String, Deliveries> afterTheRestart = deliveries(all.get(0));
        log("after the restart: " + Deliveries.summary(afterTheRestart));
        List<String> repeatedSince = this.pulses.stream()
            .filter((id) -> afterTheRestart.get(id).repeats() > atRejoin.get(id).repeats())
            .toList();
        assertThat(repeatedSince).as("pulses that saw an instant twice while the restarted silo took back buckets")
            .isEmpty();
        assertRegistered(restarted);
    }

    /**
     * Waits until every pulse has at least {@code more} beats more than it had in {@code since} (nothing: none),
     * reading them all through one silo.
     */
    private Map<String, Long> awaitBeats(SiloProcess silo, Map<String, Long> since, int more, Duration within) {
        Map<String, Long> beats = new TreeMap<>();
        AtomicReference<@Nullable Reply> last = new AtomicReference<>();
        try {
            await().atMost(within).pollInterval(Duration.ofMillis(250)).until(() -> {
                Reply read = this.http.pulses(silo, this.pulses);
                last.set(read);
                if (!read.ok()) {
                    return false;
                }
                beats.clear();
                read.body().forEach((pulse) -> beats.put(pulse.path("id").asString(), pulse.path("beats").asLong()));
                return this.pulses.stream().allMatch((id) -> beats.getOrDefault(id, 0L) >= since.getOrDefault(id, 0L) + more);
            });
        }
        catch (ConditionTimeoutException ex) {
            List<String> behind = this.pulses.stream()
                .filter((id) -> beats.getOrDefault(id, 0L) < since.getOrDefault(id, 0L) + more)
                .toList();
            throw new AssertionError("Pulses without " + more + " more beats within " + within + ": " + behind
                    + "; beats before " + since + ", last read " + last.get(), ex);
        }
        return Map.copyOf(beats);
    }

    /** Reads how often each pulse saw an instant again and skipped instants, through one silo. */
    private Map<String, Deliveries> deliveries(SiloProcess silo) {
        Reply read = this.http.pulses(silo, this.pulses);
        assertThat(read.ok()).as("%s", read).isTrue();
        Map<String, Deliveries> deliveries = new TreeMap<>();
        read.body().forEach((pulse) -> deliveries.put(pulse.path("id").asString(),
                new Deliveries(pulse.path("beats").asLong(), pulse.path("repeats").asLong(), pulse.path("gaps").asLong())));
        assertThat(deliveries.keySet()).as("pulses read").hasSameElementsAs(this.pulses);
        return deliveries;
    }

    /**
     * What a pulse counted of its ticks.
     * @param beats the instants counted
     * @param repeats the ticks for an instant already counted
     * @param gaps the ticks that came more than a period after the last one counted
     */
    private record Deliveries(long beats, long repeats, long gaps) {

        static List<String> repeated(Map<String, Deliveries> deliveries, List<String> among) {
            return among.stream().filter((id) -> deliveries.get(id).repeats() > 0).toList();
        }

        static String summary(Map<String, Deliveries> deliveries) {
            long beats = deliveries.values().stream().mapToLong(Deliveries::beats).sum();
            long repeats = deliveries.values().stream().mapToLong(Deliveries::repeats).sum();
            long gaps = deliveries.values().stream().mapToLong(Deliveries::gaps).sum();
            return beats + " instants counted, " + repeats + " delivered again, " + gaps
                    + " gaps (instants skipped or caught up once)";
        }
    }

    private void assertRegistered(SiloProcess silo) {
        Reply read = this.http.pulses(silo, this.pulses);
        assertThat(read.ok()).as("%s", read).isTrue();
        List<String> registered = new ArrayList<>();
        read.body().forEach((pulse) -> {
            if (pulse.path("registered").asBoolean()) {
                registered.add(pulse.path("id").asString());
            }
        });
        assertThat(registered).as("pulses whose reminder is still registered").hasSameElementsAs(this.pulses);
    }

    private void readOwners(List<SiloProcess> silos, Map<String, List<String>> firing,
            Map<String, List<String>> hosting) {
        for (SiloProcess silo : silos) {
            Reply reply = this.http.siloPulses(silo, this.pulses);
            assertThat(reply.ok()).as("%s", reply).isTrue();
            firing.put(silo.siloId(), ids(reply.body().path("firing")));
            hosting.put(silo.siloId(), ids(reply.body().path("hosting")));
        }
    }

    private static List<String> ids(JsonNode array) {
        List<String> ids = new ArrayList<>();
        array.forEach((id) -> ids.add(id.asString()));
        return ids;
    }

    private static @Nullable Instant lastFiredAt(JsonNode pulse) {
        JsonNode fired = pulse.path("lastFiredAt");
        return fired.isString() ? Instant.parse(fired.asString()) : null;
    }

    private static long slowestOf(List<String> ids, Map<String, Instant> recoveredAt, Instant killedAt) {
        return ids.stream()
            .map((id) -> Duration.between(killedAt, recoveredAt.get(id)).toMillis())
            .max(Long::compare)
            .orElse(0L);
    }

    private LocalSiloCluster cluster() {
        LocalSiloCluster silos = this.cluster;
        if (silos == null) {
            throw new IllegalStateException("The silos did not start");
        }
        return silos;
    }

    private static Map<String, Integer> counts(Map<String, List<String>> owners) {
        Map<String, Integer> counts = new TreeMap<>();
        owners.forEach((silo, ids) -> counts.put(silo, ids.size()));
        return counts;
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private void log(String message) {
        System.out.println("[" + getClass().getSimpleName() + "] " + message);
    }
}
