package dev.quark.samples.cluster;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import dev.quark.samples.cluster.BankHttpClient.Reply;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A full restart of the cluster at process level: {@value #SILOS} silos, each a JVM started from the cluster sample's
 * executable jar, on PostgreSQL (the sample's {@code postgres} profile): membership, actor state, the reminder table
 * ({@code JdbcReminderTable}: its bucket stamps and row locks across processes) and the reminders' bucket leases in a
 * schema of this run alone, which the silos' Liquibase changelogs fill at start-up and which is dropped afterwards.
 * Only on PostgreSQL, to keep the CI suite short: Redis has {@code RedisReminderProcessTests} at process level, and
 * the in-process {@code ReminderClusterRestartTests} of the test kit restarts a cluster on all three reminder tables.
 * {@value #PERIODIC}
 * {@link Pulse pulses} beat every second and {@value #ONE_SHOTS} others get a one-shot reminder due
 * {@link #ONE_SHOT_DELAY} after their registration, after every silo was killed with {@code SIGKILL}; a new set of
 * silos (new ids, new JVMs; the old ones are declared dead once their probes fail) then starts on the same backend.
 * <p>
 * Each pulse keeps its recent deliveries (reminder, scheduled instant, fire time), from which the test proves that
 * every periodic reminder fires again on the new silos, catching up once with the first instant it missed (or the
 * last one before the kill again: at least once) and then going on with its schedule, never a flood of missed
 * instants; that every one-shot due during the outage fired exactly once, after the restart, with its instant, and
 * was removed; and that no reminder was lost: what the in-process {@code ReminderClusterRestartTests} of the test
 * kit shows in virtual time, across real processes in real time. Kept short for the CI suite: two silos, few
 * reminders, a one-second period. Silo logs are in {@code target/silo-logs/<run>}.
 * <p>
 * Needs PostgreSQL ({@code QUARK_TEST_POSTGRES_URL}, else Testcontainers or an embedded server); without one the
 * test is skipped, and with {@code CI=true} it fails ({@link PostgresSiloBackend}).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PostgresReminderClusterRestartProcessTests {

    private static final int SILOS = 2;

    private static final int PERIODIC = 6;

    private static final int ONE_SHOTS = 4;

    private static final long PERIOD_MILLIS = 1000;

    /**
     * How long after their registration the one-shot reminders fall due: after the kill, which follows the
     * registrations at once, and before the new silos run (a JVM takes longer to start). The four registrations and
     * the kills take well under a second on an idle machine; the rest is room for a busy one, the test waiting only
     * until the instant passed.
     */
    private static final Duration ONE_SHOT_DELAY = Duration.ofSeconds(15);

    /** How many beats on schedule each pulse must show after its catch-up. */
    private static final int MORE_BEATS = 2;

    /**
     * How soon after the new silos are active every reminder must have fired again: the killed silos' bucket leases
     * ({@code lease-duration}, 5 s here) have expired while the new JVMs started, a claim round takes the buckets and
     * reads them at once. The rest is room for a busy machine.
     */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(30);

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

    /** This run's name: in the cluster name and the log folder. */
    private final String run = Long.toHexString(System.currentTimeMillis()) + "-" + ProcessHandle.current().pid();

    private final BankHttpClient http = new BankHttpClient(CALL_TIMEOUT.plusSeconds(10));

    private final List<String> periodic = IntStream.range(0, PERIODIC).mapToObj((i) -> "restart-pulse-" + i).toList();

    private final List<String> oneShots = IntStream.range(0, ONE_SHOTS).mapToObj((i) -> "restart-once-" + i).toList();

    private @Nullable LocalSiloCluster cluster;

    @AfterEach
    void stopSilos() {
        if (this.cluster != null) {
            this.cluster.close();
        }
    }

    @Test
    void afterEverySiloWasKilledANewSetFiresEveryReminderAgainCatchingUpOnceAndFiresTheOneShotsDueMeanwhileOnce()
            throws Exception {
        LocalSiloCluster silos = LocalSiloCluster.ofTheSampleJar(this.run, "reminder-restart-" + this.run, CALL_TIMEOUT,
                PostgresSiloBackend.start(PostgresReminderClusterRestartProcessTests.class),
                List.of("quark.reminders.lease-duration=5s", "quark.reminders.retry.max-backoff=2s"));
        this.cluster = silos;
        long started = System.nanoTime();
        for (int i = 1; i <= SILOS; i++) {
            silos.start("silo-" + i);
        }
        List<SiloProcess> first = silos.silos();
        silos.awaitActive(first, SILOS);
        log(SILOS + " silos active after " + millisSince(started) + " ms");

        for (int i = 0; i < PERIODIC; i++) {
            Reply start = this.http.startPulse(first.get(i % SILOS), this.periodic.get(i), PERIOD_MILLIS);
            assertThat(start.ok()).as("start %s", start).isTrue();
        }
        awaitBeats(first.get(0), this.periodic, 2, Duration.ofSeconds(30));
        Instant dueAt = Instant.now().plus(ONE_SHOT_DELAY).truncatedTo(ChronoUnit.MILLIS);
        for (int i = 0; i < ONE_SHOTS; i++) {
            Reply once = this.http.remindPulseOnce(first.get(i % SILOS), this.oneShots.get(i), dueAt);
            assertThat(once.ok()).as("one-shot %s", once).isTrue();
            assertThat(once.body().path("oneShotRegistered").asBoolean()).as("%s", once).isTrue();
        }

        first.forEach(silos::kill);
        // After every kill: a silo still running while another one dies may fire a beat, which then counts as one
        // before the kill.
        Instant killedAt = Instant.now();
        log("killed every silo; the one-shots fall due at " + dueAt);
        assertThat(killedAt).as("the silos were killed before the one-shots fell due (the registrations took longer "
                + "than %s: a busy machine)", ONE_SHOT_DELAY).isBefore(dueAt.minusMillis(500));
        await().atMost(ONE_SHOT_DELAY.plusSeconds(5)).until(() -> Instant.now().isAfter(dueAt));

        Instant restartedAt = Instant.now();
        started = System.nanoTime();
        List<SiloProcess> second = new ArrayList<>();
        for (int i = SILOS + 1; i <= 2 * SILOS; i++) {
            second.add(silos.start("silo-" + i));
        }
        silos.awaitActive(second, SILOS);
        log("a new set of " + SILOS + " silos active after " + millisSince(started) + " ms");

        Map<String, JsonNode> reports = awaitRecovery(second.get(0), restartedAt);
        log("every reminder fired again " + Duration.between(restartedAt, Instant.now()).toMillis()
                + " ms after the new silos were started");
        for (String id : this.periodic) {
            assertCaughtUpOnceThenOnSchedule(id, reports.get(id), killedAt, restartedAt);
        }
        for (String id : this.oneShots) {
            JsonNode report = reports.get(id);
            List<Tick> ticks = ticks(report, PulseActor.ONCE);
            assertThat(ticks).as("deliveries of the one-shot of %s", id).hasSize(1);
            assertThat(ticks.get(0).scheduledAt()).as("its instant").isEqualTo(dueAt);
            assertThat(ticks.get(0).firedAt()).as("fired by the new silos").isAfter(restartedAt);
            assertThat(report.path("oneShots").asLong()).as("one-shot deliveries of %s", id).isEqualTo(1);
            assertThat(report.path("oneShotRegistered").asBoolean()).as("removed after its tick").isFalse();
        }
    }

    /**
     * The periodic reminder's deliveries: those before the kill; after it, first one late delivery standing for the
     * instants missed (the first one missed, or the last one before the kill again if its write was lost with the
     * silo), then ticks on schedule, each instant once.
     */
    private void assertCaughtUpOnceThenOnSchedule(String id, JsonNode report, Instant killedAt, Instant restartedAt) {
        List<Tick> ticks = ticks(report, PulseActor.REMINDER);
        List<Tick> before = ticks.stream().filter((tick) -> tick.firedAt().isBefore(killedAt)).toList();
        List<Tick> after = ticks.stream().filter((tick) -> tick.firedAt().isAfter(restartedAt)).toList();
        assertThat(before).as("beats of %s before the kill", id).hasSizeGreaterThanOrEqualTo(2);
        assertThat(before.size() + after.size()).as("no delivery while no silo ran (%s)", id).isEqualTo(ticks.size());
        assertThat(after).as("beats of %s after the restart", id).hasSizeGreaterThanOrEqualTo(1 + MORE_BEATS);
        Instant lastBefore = before.get(before.size() - 1).scheduledAt();
        Tick catchUp = after.get(0);
        assertThat(catchUp.scheduledAt()).as("%s catches up with the first instant it missed", id)
            .isBetween(lastBefore, lastBefore.plusMillis(PERIOD_MILLIS));
        assertThat(catchUp.scheduledAt()).as("%s: an instant of the outage, fired late", id).isBefore(restartedAt);
        List<Instant> missedInstantsDelivered = after.stream()
            .map(Tick::scheduledAt)
            .filter((at) -> at.isBefore(catchUp.firedAt().minusMillis(PERIOD_MILLIS)))
            .toList();
        assertThat(missedInstantsDelivered).as("%s: the instants missed come once, not in a flood", id)
            .containsExactly(catchUp.scheduledAt());
        for (int i = 1; i < after.size(); i++) {
            assertThat(after.get(i).scheduledAt()).as("%s: each instant once, in order", id)
                .isAfter(after.get(i - 1).scheduledAt());
        }
        assertThat(report.path("registered").asBoolean()).as("%s still registered", id).isTrue();
    }

    /**
     * Waits until every periodic pulse has {@value #MORE_BEATS} beats on schedule after its catch-up and every
     * one-shot fired, all after the restart; returns the reports.
     */
    private Map<String, JsonNode> awaitRecovery(SiloProcess silo, Instant restartedAt) {
        List<String> all = new ArrayList<>(this.periodic);
        all.addAll(this.oneShots);
        Map<String, JsonNode> reports = new TreeMap<>();
        AtomicReference<@Nullable Reply> last = new AtomicReference<>();
        try {
            await().atMost(RECOVERY_BOUND).pollInterval(Duration.ofMillis(250)).until(() -> {
                Reply read = this.http.pulses(silo, all);
                last.set(read);
                if (!read.ok()) {
                    return false;
                }
                reports.clear();
                read.body().forEach((pulse) -> reports.put(pulse.path("id").asString(), pulse));
                return this.periodic.stream().allMatch((id) -> firedSince(reports.get(id), PulseActor.REMINDER,
                        restartedAt) >= 1 + MORE_BEATS)
                        && this.oneShots.stream().allMatch((id) -> firedSince(reports.get(id), PulseActor.ONCE,
                                restartedAt) >= 1);
            });
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError("Not every reminder fired again within " + RECOVERY_BOUND
                    + " of the new silos being active; last read: " + last.get() + "\n--- log of " + silo + ":\n"
                    + silo.logTail(60), ex);
        }
        return Map.copyOf(reports);
    }

    private void awaitBeats(SiloProcess silo, List<String> pulses, int beats, Duration within) {
        AtomicReference<@Nullable Reply> last = new AtomicReference<>();
        try {
            await().atMost(within).pollInterval(Duration.ofMillis(250)).until(() -> {
                Reply read = this.http.pulses(silo, pulses);
                last.set(read);
                if (!read.ok()) {
                    return false;
                }
                List<Long> counts = new ArrayList<>();
                read.body().forEach((pulse) -> counts.add(pulse.path("beats").asLong()));
                return counts.size() == pulses.size() && counts.stream().allMatch((count) -> count >= beats);
            });
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError("Pulses without " + beats + " beats within " + within + "; last read "
                    + last.get(), ex);
        }
    }

    private static long firedSince(@Nullable JsonNode report, String reminder, Instant since) {
        if (report == null) {
            return 0;
        }
        return ticks(report, reminder).stream().filter((tick) -> tick.firedAt().isAfter(since)).count();
    }

    private static List<Tick> ticks(JsonNode report, String reminder) {
        List<Tick> ticks = new ArrayList<>();
        report.path("recent").forEach((tick) -> {
            if (reminder.equals(tick.path("reminder").asString())) {
                ticks.add(new Tick(Instant.parse(tick.path("scheduledAt").asString()),
                        Instant.parse(tick.path("firedAt").asString())));
            }
        });
        return ticks;
    }

    /** A delivery a pulse recorded: the instant it stands for, and when it was fired. */
    private record Tick(Instant scheduledAt, Instant firedAt) {
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private void log(String message) {
        System.out.println("[" + getClass().getSimpleName() + "] " + message);
    }
}
