package dev.quark.testkit.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipProvider.Watch;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.membership.Suspicion;
import dev.quark.cluster.membership.TransportSecurity;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The behaviour every {@link MembershipProvider} must have, so that the in-memory, Redis and PostgreSQL tables
 * (and yours) are interchangeable: the table version and conditional writes, racing writers, entries kept field
 * for field (instants to the millisecond), unversioned heartbeats, the table's incarnation, hints to watchers,
 * and clusters sharing one backend kept apart.
 * <p>
 * Subclass it, return a provider for a cluster name, and wipe a cluster's table as the backend losing its data
 * would; every test uses cluster names of its own, so one backend may serve all tests of the class. Two calls
 * with one name must give providers of the same table, as two silos of one cluster would have:
 * <pre>{@code
 * class MyMembershipProviderTests extends MembershipProviderContractTests {
 *     @Override
 *     protected MembershipProvider provider(String clusterName) {
 *         return new MyMembershipProvider(backend, clusterName);
 *     }
 *
 *     @Override
 *     protected void wipe(String clusterName) {
 *         backend.deleteEverythingOf(clusterName);
 *     }
 * }
 * }</pre>
 */
public abstract class MembershipProviderContractTests {

    /** An instant with whole milliseconds, which every provider keeps exactly. */
    protected static final Instant START = Instant.parse("2025-06-10T08:00:00.123Z");

    /** How long a test waits for a hint. */
    protected static final Duration HINT_TIMEOUT = Duration.ofSeconds(10);

    /** How long a test watches for hints that must not come, once the hints that must come have come. */
    protected static final Duration QUIET_PERIOD = Duration.ofMillis(500);

    private static final AtomicLong clusters = new AtomicLong();

    private final String run = Long.toHexString(System.nanoTime());

    private final List<Watch> watches = new ArrayList<>();

    private String clusterName = "";

    private @Nullable MembershipProvider table;

    /**
     * Returns a provider of the membership table of a cluster, on the backend under test.
     * @param clusterName the cluster's name
     * @return the provider; providers of one name share one table
     */
    protected abstract MembershipProvider provider(String clusterName);

    /**
     * Loses a cluster's table the way the backend loses data — a Redis restarted without persistence or
     * flushed, deleted rows: afterwards the table reads as {@link MembershipSnapshot#EMPTY}. Providers of the
     * cluster made before must keep working on what grows in its place.
     * @param clusterName the cluster's name
     */
    protected abstract void wipe(String clusterName);

    /**
     * Returns whether the provider hints watchers of changes; one that gives no hints (silos then rely on
     * reading the table periodically) overrides it to return {@code false}, and the watch tests are skipped.
     * @return {@code true} unless overridden
     */
    protected boolean providesHints() {
        return true;
    }

    /**
     * Returns a cluster name no other test uses.
     * @return the name
     */
    protected final String newClusterName() {
        return "contract-" + this.run + "-" + clusters.incrementAndGet();
    }

    /**
     * Returns the name of the cluster of the current test's {@link #table()}.
     * @return the name
     */
    protected final String clusterName() {
        return this.clusterName;
    }

    /**
     * Returns the current test's table, of a cluster of its own.
     * @return the provider
     */
    protected final MembershipProvider table() {
        return Objects.requireNonNull(this.table, "the table is created before each test");
    }

    @BeforeEach
    void newTable() {
        this.clusterName = newClusterName();
        this.table = provider(this.clusterName);
    }

    /**
     * Closes the watches the test made with {@link #watch}; after each test, and in a test's {@code finally} before it
     * closes what they use.
     */
    @AfterEach
    protected final void closeWatches() {
        this.watches.forEach(Watch::close);
        this.watches.clear();
    }

    /**
     * Returns an entry with every field set, heartbeat one second after {@link #START}.
     * @param siloId the silo
     * @param epoch its epoch
     * @param status its status
     * @return the entry
     */
    protected static SiloEntry entry(String siloId, long epoch, SiloStatus status) {
        return new SiloEntry(siloId, new SiloAddress("10.0.0.7", 7100), START, status, START.plusSeconds(1), epoch,
                Set.of("Account", "Bank"), List.of());
    }

    /**
     * Asserts that a read holds a version and entries, and an incarnation, as every written table has.
     * @param snapshot the read
     * @param version the expected version
     * @param silos the expected entries by silo id
     */
    protected static void assertTable(MembershipSnapshot snapshot, long version, Map<String, SiloEntry> silos) {
        assertThat(snapshot.version()).as("version").isEqualTo(version);
        assertThat(snapshot.silos()).as("entries").isEqualTo(silos);
        assertThat(snapshot.incarnation()).as("incarnation").isNotBlank();
    }

    @Test
    public void aTableNobodyWroteIsEmptyAtVersionZero() {
        assertThat(table().read()).isEqualTo(MembershipSnapshot.EMPTY);
    }

    @Test
    public void theFirstWriteExpectsVersionZeroAndMakesVersionOne() {
        SiloEntry entry = entry("silo-a", 1, SiloStatus.JOINING);
        assertThat(table().write(entry, 0)).isTrue();
        assertTable(table().read(), 1, Map.of("silo-a", entry));
    }

    @Test
    public void aFirstWriteExpectingAnotherVersionIsRefused() {
        assertThat(table().write(entry("silo-a", 1, SiloStatus.JOINING), 1)).isFalse();
        assertThat(table().read()).isEqualTo(MembershipSnapshot.EMPTY);
        assertThat(table().write(entry("silo-a", 1, SiloStatus.JOINING), 0)).isTrue();
    }

    @Test
    public void everyWriteRaisesTheVersionByOneAndReplacesTheEntryOfItsSilo() {
        SiloEntry a = entry("silo-a", 1, SiloStatus.JOINING);
        SiloEntry b = entry("silo-b", 1, SiloStatus.JOINING);
        assertThat(table().write(a, 0)).isTrue();
        assertThat(table().write(b, 1)).isTrue();
        assertThat(table().write(a.withStatus(SiloStatus.ACTIVE), 2)).isTrue();
        assertTable(table().read(), 3, Map.of("silo-a", a.withStatus(SiloStatus.ACTIVE), "silo-b", b));
    }

    @Test
    public void everyFieldComesBackAsWritten() {
        List<SiloEntry> entries = new ArrayList<>();
        entries.add(new SiloEntry("silo-ü:{x} \"1\"/version", new SiloAddress("fe80::1%eth0", 65535), START,
                SiloStatus.SHUTTING_DOWN, START.plusMillis(1), Long.MAX_VALUE,
                Set.of("Account", "Bank", "Ünïcödé/Type \"quoted\"", "dev.example.Order$Line"),
                List.of(new Suspicion("silo-b", START.plusSeconds(3)), new Suspicion("silo-ç {c}", START.plusMillis(4)))));
        entries.add(new SiloEntry("0", new SiloAddress("localhost", 0), Instant.EPOCH, SiloStatus.JOINING,
                Instant.EPOCH, 0, Set.of(), List.of()));
        entries.add(new SiloEntry("silo-negative", new SiloAddress("h", 1), Instant.parse("1969-07-20T20:17:40.001Z"),
                SiloStatus.ACTIVE, Instant.parse("2262-04-11T23:47:16.854Z"), Long.MIN_VALUE, Set.of("A"),
                List.of(new Suspicion("x", Instant.EPOCH))));
        for (SiloStatus status : SiloStatus.values()) {
            entries.add(entry("silo-" + status, (1L << 53) + 1, status));
        }
        for (TransportSecurity security : TransportSecurity.values()) {
            entries.add(new SiloEntry("silo-" + security, new SiloAddress("10.0.0.8", 7100), START, SiloStatus.ACTIVE,
                    START, 2, Set.of("A"), List.of(), security));
        }
        long version = 0;
        for (SiloEntry entry : entries) {
            assertThat(table().write(entry, version++)).as(entry.siloId()).isTrue();
        }
        MembershipSnapshot snapshot = table().read();
        assertThat(snapshot.version()).isEqualTo(entries.size());
        assertThat(snapshot.silos().values()).containsExactlyInAnyOrderElementsOf(entries);
        for (SiloEntry entry : entries) {
            assertThat(snapshot.silo(entry.siloId())).contains(entry);
        }
    }

    /**
     * Whether a silo's links use TLS survives the rewrites other silos make of its entry (a vote, its heartbeat),
     * which carry what they read.
     */
    @Test
    public void theTransportSecurityOfAnEntryStaysThroughItsRewrites() {
        SiloEntry tls = new SiloEntry("silo-tls", new SiloAddress("10.0.0.9", 7100), START, SiloStatus.ACTIVE, START,
                3, Set.of("A"), List.of(), TransportSecurity.TLS);
        assertThat(table().write(tls, 0)).isTrue();
        SiloEntry read = table().read().silo("silo-tls").orElseThrow();
        assertThat(table().write(read.withSuspicions(List.of(new Suspicion("silo-b", START.plusSeconds(1)))), 1))
            .isTrue();
        assertThat(table().heartbeat("silo-tls", 3, START.plusSeconds(2))).isTrue();
        assertThat(table().read().silo("silo-tls").orElseThrow().transportSecurity()).isEqualTo(TransportSecurity.TLS);
    }

    @Test
    public void instantsAreKeptToTheMillisecond() {
        Instant fine = START.plusNanos(456_789);
        SiloEntry entry = new SiloEntry("silo-a", new SiloAddress("10.0.0.7", 7100), fine, SiloStatus.ACTIVE,
                fine.plusSeconds(1), 1, Set.of("Account"), List.of(new Suspicion("silo-b", fine.plusSeconds(2))));
        assertThat(table().write(entry, 0)).isTrue();
        SiloEntry stored = table().read().silos().get("silo-a");
        assertThat(stored).isEqualTo(new SiloEntry("silo-a", new SiloAddress("10.0.0.7", 7100), START, SiloStatus.ACTIVE,
                START.plusSeconds(1), 1, Set.of("Account"), List.of(new Suspicion("silo-b", START.plusSeconds(2)))));
        assertThat(table().heartbeat("silo-a", 1, fine.plusSeconds(5).plusNanos(999_999))).isTrue();
        assertThat(table().read().silos().get("silo-a").lastHeartbeat()).isEqualTo(START.plusSeconds(5).plusMillis(1));
    }

    @Test
    public void aWriteWithAStaleVersionReturnsFalseAndChangesNothing() {
        SiloEntry a = entry("silo-a", 1, SiloStatus.JOINING);
        table().write(a, 0);
        table().write(a.withStatus(SiloStatus.ACTIVE), 1);
        MembershipSnapshot before = table().read();
        assertThat(table().write(a.withStatus(SiloStatus.DEAD), 1)).as("stale").isFalse();
        assertThat(table().write(entry("silo-b", 1, SiloStatus.JOINING), 0)).as("first-write version").isFalse();
        assertThat(table().write(entry("silo-c", 1, SiloStatus.JOINING), 7)).as("ahead of the table").isFalse();
        assertThat(table().read()).isEqualTo(before);
        assertThat(before.version()).isEqualTo(2);
    }

    @Test
    public void aTableIsSharedByEveryProviderOfItsCluster() {
        MembershipProvider otherSilo = provider(clusterName());
        SiloEntry a = entry("silo-a", 1, SiloStatus.JOINING);
        assertThat(table().write(a, 0)).isTrue();
        assertTable(otherSilo.read(), 1, Map.of("silo-a", a));
        assertThat(otherSilo.write(a.withStatus(SiloStatus.ACTIVE), 0)).isFalse();
        assertThat(otherSilo.write(a.withStatus(SiloStatus.ACTIVE), 1)).isTrue();
        assertThat(table().read().silo("silo-a").map(SiloEntry::status)).contains(SiloStatus.ACTIVE);
    }

    /**
     * Eight silos (eight providers of one table) write, each its own entry, all expecting the version they
     * read; round after round, exactly one of them wins and the table holds its entry only.
     */
    @Test
    @Timeout(120)
    public void ofConcurrentWritesExpectingOneVersionExactlyOneWins() throws Exception {
        int writers = 8;
        int rounds = 20;
        List<MembershipProvider> silos = new ArrayList<>();
        for (int writer = 0; writer < writers; writer++) {
            silos.add(provider(clusterName()));
        }
        ExecutorService threads = Executors.newFixedThreadPool(writers);
        try {
            for (int round = 0; round < rounds; round++) {
                long version = table().read().version();
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Boolean>> outcomes = new ArrayList<>();
                for (int writer = 0; writer < writers; writer++) {
                    MembershipProvider silo = silos.get(writer);
                    SiloEntry entry = entry("round-" + round + "-writer-" + writer, round, SiloStatus.JOINING);
                    outcomes.add(threads.submit(racer(start, () -> silo.write(entry, version))));
                }
                start.countDown();
                List<Boolean> written = new ArrayList<>();
                for (Future<Boolean> outcome : outcomes) {
                    written.add(outcome.get(30, TimeUnit.SECONDS));
                }
                assertThat(written).as("round %d", round).containsOnlyOnce(true);
                MembershipSnapshot snapshot = table().read();
                assertThat(snapshot.version()).isEqualTo(version + 1);
                assertThat(snapshot.silos()).hasSize(round + 1)
                    .containsKey("round-" + round + "-writer-" + written.indexOf(true));
            }
        }
        finally {
            threads.shutdownNow();
        }
    }

    /**
     * Writers add silos one by one while others beat and read: every read must see one committed state, in which
     * (here) the version equals the number of silos.
     */
    @Test
    @Timeout(120)
    public void aReadSeesOneStateWhileOthersWrite() throws Exception {
        int silos = 40;
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            Future<Integer> writer = threads.submit(() -> {
                MembershipProvider writing = provider(clusterName());
                for (int silo = 0; silo < silos; silo++) {
                    assertThat(writing.write(entry("silo-" + silo, 1, SiloStatus.ACTIVE), silo)).isTrue();
                }
                done.set(true);
                return silos;
            });
            Future<Integer> beater = threads.submit(() -> {
                MembershipProvider beating = provider(clusterName());
                int beats = 0;
                for (int round = 0; round < 100_000 && (round < 10 || !done.get()); round++) {
                    beating.heartbeat("silo-" + (round % silos), 1, START.plusSeconds(round));
                    beats++;
                }
                return beats;
            });
            Future<Integer> reader = threads.submit(() -> {
                MembershipProvider reading = provider(clusterName());
                int reads = 0;
                for (int round = 0; round < 100_000 && (round < 10 || !done.get()); round++) {
                    MembershipSnapshot snapshot = reading.read();
                    assertThat(snapshot.silos()).as("version %d", snapshot.version()).hasSize((int) snapshot.version());
                    reads++;
                }
                return reads;
            });
            assertThat(writer.get(60, TimeUnit.SECONDS)).isEqualTo(silos);
            assertThat(reader.get(60, TimeUnit.SECONDS)).isPositive();
            assertThat(beater.get(60, TimeUnit.SECONDS)).isPositive();
            assertThat(table().read().silos()).hasSize(silos);
        }
        finally {
            done.set(true);
            threads.shutdownNow();
        }
    }

    @Test
    public void removeIsConditionalOnTheVersionToo() {
        SiloEntry a = entry("silo-a", 1, SiloStatus.DEAD);
        SiloEntry b = entry("silo-b", 1, SiloStatus.ACTIVE);
        table().write(a, 0);
        table().write(b, 1);
        assertThat(table().remove("silo-a", 1)).isFalse();
        assertThat(table().remove("silo-a", 3)).isFalse();
        assertTable(table().read(), 2, Map.of("silo-a", a, "silo-b", b));
        assertThat(table().remove("silo-a", 2)).isTrue();
        assertTable(table().read(), 3, Map.of("silo-b", b));
        assertThat(table().heartbeat("silo-a", 1, START.plusSeconds(9))).isFalse();
        assertThat(table().remove("silo-nobody", 3)).as("removing what is not there").isTrue();
        assertTable(table().read(), 4, Map.of("silo-b", b));
        assertThat(table().write(a.withStatus(SiloStatus.JOINING), 4)).as("a removed silo may join again").isTrue();
    }

    @Test
    public void aHeartbeatSetsTheLastHeartbeatWithoutChangingTheVersion() {
        SiloEntry a = entry("silo-a", 3, SiloStatus.ACTIVE);
        SiloEntry b = entry("silo-b", 1, SiloStatus.ACTIVE);
        table().write(a, 0);
        table().write(b, 1);
        assertThat(table().heartbeat("silo-a", 3, START.plusSeconds(10))).isTrue();
        assertThat(table().heartbeat("silo-a", 3, START.plusSeconds(20))).isTrue();
        assertTable(table().read(), 2, Map.of("silo-a", a.withLastHeartbeat(START.plusSeconds(20)), "silo-b", b));
        assertThat(table().write(b.withStatus(SiloStatus.SHUTTING_DOWN), 2)).as("heartbeats do not move the version")
            .isTrue();
    }

    @Test
    public void aHeartbeatIsRefusedForAMissingSiloAnotherEpochOrADeadSilo() {
        assertThat(table().heartbeat("silo-nobody", 1, START)).isFalse();
        assertThat(table().read()).as("a refused heartbeat writes nothing").isEqualTo(MembershipSnapshot.EMPTY);
        SiloEntry a = entry("silo-a", 3, SiloStatus.ACTIVE);
        table().write(a, 0);
        assertThat(table().heartbeat("silo-a", 2, START.plusSeconds(10))).as("an earlier epoch").isFalse();
        assertThat(table().heartbeat("silo-a", 4, START.plusSeconds(10))).as("a later epoch").isFalse();
        assertTable(table().read(), 1, Map.of("silo-a", a));
        table().write(a.withStatus(SiloStatus.DEAD), 1);
        assertThat(table().heartbeat("silo-a", 3, START.plusSeconds(10))).as("a dead silo").isFalse();
        assertTable(table().read(), 2, Map.of("silo-a", a.withStatus(SiloStatus.DEAD)));
    }

    @Test
    public void epochsAreComparedExactly() {
        long epoch = (1L << 53) + 1;
        table().write(entry("silo-a", epoch, SiloStatus.ACTIVE), 0);
        assertThat(table().heartbeat("silo-a", epoch - 1, START.plusSeconds(5))).isFalse();
        assertThat(table().heartbeat("silo-a", epoch + 1, START.plusSeconds(5))).isFalse();
        assertThat(table().heartbeat("silo-a", epoch, START.plusSeconds(5))).isTrue();
    }

    /**
     * The incarnation tells one life of a table from the next: the first write stores it, and nothing that
     * follows — writes, refused writes, heartbeats, removes, other silos' providers — changes it.
     */
    @Test
    public void theFirstWriteGivesTheTableAnIncarnationThatEveryLaterChangeKeeps() {
        assertThat(table().read().incarnation()).isEqualTo(MembershipSnapshot.NO_INCARNATION);
        SiloEntry a = entry("silo-a", 1, SiloStatus.JOINING);
        assertThat(table().write(a, 0)).isTrue();
        String incarnation = table().read().incarnation();
        assertThat(incarnation).isNotBlank();

        assertThat(table().write(a.withStatus(SiloStatus.ACTIVE), 1)).isTrue();
        assertThat(table().write(entry("silo-b", 1, SiloStatus.JOINING), 0)).as("refused").isFalse();
        assertThat(table().heartbeat("silo-a", 1, START.plusSeconds(5))).isTrue();
        assertThat(table().remove("silo-x", 2)).isTrue();
        MembershipProvider otherSilo = provider(clusterName());
        assertThat(otherSilo.write(entry("silo-b", 1, SiloStatus.JOINING), 3)).isTrue();
        assertThat(otherSilo.remove("silo-b", 4)).isTrue();

        assertThat(table().read().incarnation()).isEqualTo(incarnation);
        assertThat(otherSilo.read().incarnation()).isEqualTo(incarnation);
        assertThat(table().read().version()).isEqualTo(5);
    }

    @Test
    public void aFirstRemoveGivesTheTableAnIncarnationToo() {
        assertThat(table().remove("silo-nobody", 0)).isTrue();
        assertTable(table().read(), 1, Map.of());
    }

    /**
     * A table that lost its data grows again from version 0 under a new incarnation, so that silos which read a
     * higher version of the lost table know the lower version of this one is not an old copy of it.
     */
    @Test
    public void aTableThatLostItsDataGetsANewIncarnationWithItsNextFirstWrite() {
        MembershipProvider otherSilo = provider(clusterName());
        SiloEntry a = entry("silo-a", 1, SiloStatus.ACTIVE);
        assertThat(table().write(a, 0)).isTrue();
        assertThat(table().write(entry("silo-b", 1, SiloStatus.ACTIVE), 1)).isTrue();
        String lost = table().read().incarnation();

        wipe(clusterName());

        assertThat(table().read()).isEqualTo(MembershipSnapshot.EMPTY);
        assertThat(table().heartbeat("silo-a", 1, START.plusSeconds(5))).as("the entry went with the table").isFalse();
        assertThat(table().write(a, 2)).as("the version went with the table").isFalse();
        SiloEntry c = entry("silo-c", 1, SiloStatus.JOINING);
        assertThat(otherSilo.write(c, 0)).isTrue();
        MembershipSnapshot regrown = table().read();
        assertTable(regrown, 1, Map.of("silo-c", c));
        assertThat(regrown.incarnation()).isNotEqualTo(lost);
        assertThat(otherSilo.read().incarnation()).isEqualTo(regrown.incarnation());
    }

    /**
     * A silo that writes another's entry (a suspicion vote) carries the heartbeat it read; a heartbeat recorded
     * since must not be moved back. A new epoch is a new incarnation and brings its own heartbeat.
     */
    @Test
    public void aWriteKeepsALaterHeartbeatOfTheSameEpoch() {
        SiloEntry a = entry("silo-a", 3, SiloStatus.ACTIVE);
        table().write(a, 0);
        assertThat(table().heartbeat("silo-a", 3, START.plusSeconds(30))).isTrue();
        SiloEntry voted = a.withSuspicions(List.of(new Suspicion("silo-b", START.plusSeconds(29))));
        assertThat(table().write(voted, 1)).isTrue();
        assertThat(table().read().silos().get("silo-a")).isEqualTo(voted.withLastHeartbeat(START.plusSeconds(30)));
        assertThat(table().write(voted.withLastHeartbeat(START.plusSeconds(40)), 2)).isTrue();
        assertThat(table().read().silos().get("silo-a").lastHeartbeat()).isEqualTo(START.plusSeconds(40));
        SiloEntry rejoined = new SiloEntry("silo-a", a.address(), START.plusSeconds(35), SiloStatus.JOINING,
                START.plusSeconds(35), 4, a.actorTypes(), List.of());
        assertThat(table().write(rejoined, 3)).isTrue();
        assertThat(table().read().silos().get("silo-a")).isEqualTo(rejoined);
    }

    @Test
    public void watchersAreToldOfWritesAndRemoves() throws InterruptedException {
        assumeTrue(providesHints(), "the provider gives no hints");
        Hints hints = watch(table());
        assertThat(table().write(entry("silo-a", 1, SiloStatus.JOINING), 0)).isTrue();
        assertThat(hints.await()).as("told of a write").isTrue();
        hints.forget();
        assertThat(table().remove("silo-a", 1)).isTrue();
        assertThat(hints.await()).as("told of a remove").isTrue();
    }

    @Test
    public void watchersOfAnotherProviderOfTheClusterAreToldToo() throws InterruptedException {
        assumeTrue(providesHints(), "the provider gives no hints");
        Hints hints = watch(provider(clusterName()));
        assertThat(table().write(entry("silo-a", 1, SiloStatus.JOINING), 0)).isTrue();
        assertThat(hints.await()).isTrue();
    }

    @Test
    public void aClosedWatchIsToldNothing() throws InterruptedException {
        assumeTrue(providesHints(), "the provider gives no hints");
        Hints closed = watch(table());
        Hints open = watch(table());
        closed.watch().close();
        closed.watch().close();
        assertThat(table().write(entry("silo-a", 1, SiloStatus.JOINING), 0)).isTrue();
        assertThat(open.await()).isTrue();
        assertThat(closed.count()).isZero();
    }

    @Test
    public void clustersSharingABackendDoNotSeeEachOther() {
        MembershipProvider other = provider(clusterName() + "-2");
        SiloEntry a = entry("silo-a", 1, SiloStatus.ACTIVE);
        assertThat(table().write(a, 0)).isTrue();
        assertThat(other.read()).isEqualTo(MembershipSnapshot.EMPTY);
        assertThat(other.heartbeat("silo-a", 1, START.plusSeconds(5))).isFalse();
        SiloEntry b = entry("silo-a", 2, SiloStatus.JOINING);
        assertThat(other.write(b, 0)).as("the other cluster's table has its own version").isTrue();
        assertThat(other.remove("silo-x", 1)).isTrue();
        assertTable(table().read(), 1, Map.of("silo-a", a));
        assertTable(other.read(), 2, Map.of("silo-a", b));
        assertThat(other.read().incarnation()).as("each table has an incarnation of its own")
            .isNotEqualTo(table().read().incarnation());
    }

    /**
     * Each watch hears of its own cluster's writes only. Both clusters write, one after the other, and each watch
     * must be told of its own write; the first cluster's hint, had it leaked, would have reached the second
     * watch before that watch's own. Since a provider may fold hints that arrive together into one, the test then
     * also watches for a quiet period in which no further hint may come: the second write's hint, had it leaked,
     * reaches the first watch after it was told of its own.
     */
    @Test
    public void watchersOfAClusterAreNotToldOfAnotherClustersWrites() throws InterruptedException {
        assumeTrue(providesHints(), "the provider gives no hints");
        MembershipProvider other = provider(clusterName() + "-2");
        Hints mine = watch(table());
        Hints theirs = watch(other);

        assertThat(table().write(entry("silo-a", 1, SiloStatus.ACTIVE), 0)).isTrue();
        assertThat(mine.await()).as("told of its own cluster's write").isTrue();
        assertThat(other.write(entry("silo-a", 2, SiloStatus.ACTIVE), 0)).isTrue();
        assertThat(theirs.await()).as("told of its own cluster's write").isTrue();

        await().during(QUIET_PERIOD).atMost(QUIET_PERIOD.plus(HINT_TIMEOUT)).untilAsserted(() -> {
            assertThat(mine.count()).as("hints to the watch of the first cluster").isEqualTo(1);
            assertThat(theirs.count()).as("hints to the watch of the second cluster").isEqualTo(1);
        });
    }

    /**
     * Watches a provider; the watch is closed after the test.
     * @param provider the provider
     * @return the hints it receives
     */
    protected final Hints watch(MembershipProvider provider) {
        Hints hints = new Hints();
        hints.watch = provider.watch(hints::tell);
        this.watches.add(hints.watch);
        return hints;
    }

    private static <T> Callable<T> racer(CountDownLatch start, Callable<T> work) {
        return () -> {
            if (!start.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the race did not start");
            }
            return work.call();
        };
    }

    /**
     * The hints one watch received.
     */
    protected static final class Hints {

        private final Semaphore received = new Semaphore(0);

        private final AtomicInteger count = new AtomicInteger();

        private Watch watch = () -> { };

        void tell() {
            this.count.incrementAndGet();
            this.received.release();
        }

        /**
         * Waits up to {@link #HINT_TIMEOUT} for a hint not yet awaited.
         * @return whether one came
         * @throws InterruptedException when interrupted
         */
        public boolean await() throws InterruptedException {
            return this.received.tryAcquire(HINT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }

        /**
         * Forgets the hints not yet awaited, so that the next {@link #await()} waits for a later one.
         */
        public void forget() {
            this.received.drainPermits();
        }

        /**
         * Returns how many hints came.
         * @return the count
         */
        public int count() {
            return this.count.get();
        }

        /**
         * Returns the registration.
         * @return the watch
         */
        public Watch watch() {
            return this.watch;
        }
    }
}
