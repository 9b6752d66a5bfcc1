package dev.quark.cluster.client;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.membership.memory.InMemoryMembershipProvider;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class ClientMembershipTests {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private final InMemoryMembershipProvider table = new InMemoryMembershipProvider();

    private final FlakyReads reads = new FlakyReads(this.table);

    @AutoClose
    private final ClientMembership client = new ClientMembership("client-1", this.reads, 8, Duration.ofMillis(100));

    @Test
    void itReadsTheActiveSilosAtStartAndEveryChangeLaterWithoutEverServing() {
        write(entry("silo-a", SiloStatus.ACTIVE));
        List<ClusterView> views = new CopyOnWriteArrayList<>();
        this.client.subscribe(views::add);
        this.client.start();
        assertThat(this.client.activeSilos()).extracting(SiloEntry::siloId).containsExactly("silo-a");
        assertThat(this.client.isServing()).isFalse();
        write(entry("silo-b", SiloStatus.JOINING));
        write(entry("silo-b", SiloStatus.ACTIVE));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.client.activeSilos().size() == 2);
        assertThat(this.client.current().ring().silos()).containsExactlyInAnyOrder("silo-a", "silo-b");
        assertThat(views).extracting(ClusterView::version).isSorted().last().isEqualTo(this.table.read().version());
        assertThat(this.table.read().silos()).containsOnlyKeys("silo-a", "silo-b");
    }

    @Test
    void aTableThatCannotBeReadKeepsTheLastViewAndTheSilosAreFoundOnceItCanAgain() {
        write(entry("silo-a", SiloStatus.ACTIVE));
        this.client.start();
        this.reads.failing.set(true);
        write(entry("silo-a", SiloStatus.DEAD));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.client.lastReadFailure() != null);
        assertThat(this.client.activeSilos()).extracting(SiloEntry::siloId).containsExactly("silo-a");
        write(entry("silo-new", SiloStatus.ACTIVE));
        this.reads.failing.set(false);
        await().atMost(Duration.ofSeconds(5))
            .until(() -> this.client.activeSilos().stream().map(SiloEntry::siloId).toList().equals(List.of("silo-new")));
        assertThat(this.client.lastReadFailure()).isNull();
    }

    @Test
    void itsMetricsAreBoundBeforeTheFirstReadAndCountEveryReadByOutcome() {
        write(entry("silo-a", SiloStatus.ACTIVE));
        List<String> events = new CopyOnWriteArrayList<>();
        this.client.metrics(new ClientMetrics() {

            @Override
            public void bindClient(ClientMembership membership) {
                events.add("bound at version " + membership.current().version());
            }

            @Override
            public void tableRead(boolean succeeded) {
                events.add(succeeded ? "read" : "failed");
            }
        });
        this.client.start();
        // The reader may have read again already (every 100 ms): only the start is certain.
        assertThat(events).startsWith("bound at version 0", "read");
        this.reads.failing.set(true);
        this.client.refreshIfOlderThan(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("failed"));
        this.reads.failing.set(false);
        int failedAt = events.lastIndexOf("failed");
        // A sub-list of a CopyOnWriteArrayList breaks when the reader adds to it meanwhile: read a snapshot.
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            List<String> snapshot = List.copyOf(events);
            return snapshot.subList(failedAt, snapshot.size()).contains("read");
        });
    }

    @Test
    void aReadWhoseAnswerCannotBeInstalledIsCountedAsFailed() {
        write(entry("silo-a", SiloStatus.ACTIVE));
        List<String> events = new CopyOnWriteArrayList<>();
        this.client.metrics(new ClientMetrics() {

            @Override
            public void tableRead(boolean succeeded) {
                events.add(succeeded ? "read" : "failed");
            }
        });
        this.client.start();
        this.reads.broken.set(true);
        this.client.refreshIfOlderThan(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("failed"));
        assertThat(this.reads.broken).isFalse();
        assertThat(events).as("one read answered nothing, the others were installed").containsOnlyOnce("failed");
        assertThat(this.client.activeSilos()).extracting(SiloEntry::siloId).containsExactly("silo-a");
    }

    @Test
    void itsMetricsCannotBeSetOnceStarted() {
        this.client.start();
        assertThatThrownBy(() -> this.client.metrics(ClientMetrics.NONE)).isInstanceOf(IllegalStateException.class)
            .hasMessage("The metrics of cluster client client-1 are set before it starts");
    }

    @Test
    void aReadThatBreaksAfterTheTableAnsweredIsReportedAndTheReaderKeepsReading() {
        write(entry("silo-a", SiloStatus.ACTIVE));
        this.client.start();
        this.reads.broken.set(true);
        write(entry("silo-b", SiloStatus.ACTIVE));
        await().atMost(Duration.ofSeconds(5)).until(() -> !this.reads.broken.get());
        await().atMost(Duration.ofSeconds(5)).until(() -> this.client.activeSilos().size() == 2);
        assertThat(this.client.lastReadFailure()).isNull();
    }

    /**
     * The table lost its latest writes (a replica that had not received them took over): the client routes by the
     * table as it is now, as a silo's membership agent and routing do, not by the lost writes until the table's
     * version passes them.
     */
    @Test
    void aTableReadAtALowerVersionOfTheSameIncarnationIsTakenAsTheTableIsNow() {
        write(entry("silo-a", SiloStatus.ACTIVE));
        write(entry("silo-b", SiloStatus.ACTIVE));
        this.client.start();
        long routed = this.client.current().version();
        InMemoryMembershipProvider lostWrites = new InMemoryMembershipProvider(MembershipSnapshot.of(
                this.table.read().incarnation(), routed - 1, List.of(entry("silo-c", SiloStatus.ACTIVE))));
        this.reads.replacement.set(lostWrites);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(this.client.activeSilos())
            .extracting(SiloEntry::siloId).containsExactly("silo-c"));
        assertThat(this.client.current().version()).isEqualTo(routed - 1);
    }

    /** The table lost its latest writes and was written again up to the version the client routes with. */
    @Test
    void aTableReadAtTheSameVersionWithOtherEntriesIsTaken() {
        write(entry("silo-a", SiloStatus.ACTIVE));
        write(entry("silo-b", SiloStatus.ACTIVE));
        this.client.start();
        ClusterView routed = this.client.current();
        InMemoryMembershipProvider writtenAgain = new InMemoryMembershipProvider(MembershipSnapshot.of(
                routed.incarnation(), routed.version(), List.of(entry("silo-a", SiloStatus.ACTIVE),
                        entry("silo-c", SiloStatus.ACTIVE))));
        this.reads.replacement.set(writtenAgain);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(this.client.activeSilos())
            .extracting(SiloEntry::siloId).containsExactlyInAnyOrder("silo-a", "silo-c"));
        ClusterView taken = this.client.current();
        this.reads.replacement.set(new InMemoryMembershipProvider(writtenAgain.read()));
        awaitTwoReads();
        assertThat(this.client.current()).as("the same table read again").isSameAs(taken);
    }

    @Test
    void aTableReadEmptyIsNotTaken() {
        write(entry("silo-a", SiloStatus.ACTIVE));
        this.client.start();
        ClusterView routed = this.client.current();
        this.reads.replacement.set(new InMemoryMembershipProvider());
        awaitTwoReads();
        assertThat(this.client.current()).isSameAs(routed);
        assertThat(this.client.activeSilos()).extracting(SiloEntry::siloId).containsExactly("silo-a");
    }

    /** Two reads after now: the second started after whatever the test set before. */
    private void awaitTwoReads() {
        for (int i = 0; i < 2; i++) {
            Instant before = this.client.lastReadAt();
            await().atMost(Duration.ofSeconds(5)).until(() -> !before.equals(this.client.lastReadAt()));
        }
    }

    /**
     * The table lost its data and grew again (a new incarnation, its versions starting low): the client routes by it,
     * as a silo's routing does, instead of by the lost table until the new versions pass the old ones.
     */
    @Test
    void aTableThatLostItsDataAndGrewAgainIsTakenWhateverItsVersion() {
        write(entry("silo-a", SiloStatus.ACTIVE));
        write(entry("silo-b", SiloStatus.ACTIVE));
        this.client.start();
        InMemoryMembershipProvider grewAgain = new InMemoryMembershipProvider();
        assertThat(grewAgain.write(entry("silo-c", SiloStatus.ACTIVE), 0)).isTrue();
        this.reads.replacement.set(grewAgain);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(this.client.activeSilos())
            .extracting(SiloEntry::siloId).containsExactly("silo-c"));
        assertThat(this.client.current().incarnation()).isEqualTo(grewAgain.read().incarnation());
        assertThat(this.client.current().version()).isEqualTo(1);
    }

    @Test
    void aSiloWithTheClientsIdIsReportedAsAConflict() {
        write(entry("silo-a", SiloStatus.ACTIVE));
        this.client.start();
        assertThat(this.client.idConflict()).isNull();
        write(entry("client-1", SiloStatus.ACTIVE));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.client.idConflict() != null);
        assertThat(this.client.idConflict()).contains("client-1").contains("quark.cluster.silo.id");
        write(entry("client-1", SiloStatus.DEAD));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.client.idConflict() == null);
    }

    @Test
    void aSiloWithTheClientsIdWhenItStartsFailsTheStartNamingTheIdAndThePropertyAndWritesNothing() {
        write(entry("silo-a", SiloStatus.ACTIVE));
        write(entry("client-1", SiloStatus.ACTIVE));
        MembershipSnapshot before = this.table.read();
        assertThatThrownBy(this.client::start).isInstanceOf(ClientIdConflictException.class)
            .hasMessage("Cluster client client-1 cannot start: silo client-1 at 127.0.0.1:7000 has the id of cluster "
                    + "client client-1 (ACTIVE): the client would send that silo's calls to itself; give the client "
                    + "another quark.cluster.silo.id")
            .extracting((ex) -> ((ClientIdConflictException) ex).getClientId())
            .isEqualTo("client-1");
        assertThat(this.table.read()).isEqualTo(before);
        assertThatThrownBy(this.client::start).isInstanceOf(IllegalStateException.class)
            .hasMessage("The membership of cluster client client-1 is closed");
    }

    @Test
    void aSiloWithTheClientsIdThatIsDeadDoesNotStopTheStart() {
        write(entry("client-1", SiloStatus.DEAD));
        write(entry("silo-a", SiloStatus.ACTIVE));
        this.client.start();
        assertThat(this.client.idConflict()).isNull();
        assertThat(this.client.activeSilos()).extracting(SiloEntry::siloId).containsExactly("silo-a");
    }

    private void write(SiloEntry entry) {
        assertThat(this.table.write(entry, this.table.read().version())).isTrue();
    }

    private static SiloEntry entry(String siloId, SiloStatus status) {
        return new SiloEntry(siloId, new SiloAddress("127.0.0.1", 7000), NOW, status, NOW, 1, Set.of("account"),
                List.of());
    }

    /**
     * The table for the client: reads only (any write fails the test), reads that fail when asked to, and, when
     * asked to, one read that answers nothing (so that installing it fails after the read).
     */
    private record FlakyReads(MembershipProvider table, AtomicBoolean failing, AtomicBoolean broken,
            AtomicReference<MembershipProvider> replacement) implements MembershipProvider {

        FlakyReads(MembershipProvider table) {
            this(table, new AtomicBoolean(), new AtomicBoolean(), new AtomicReference<>());
        }

        @Override
        @SuppressWarnings("NullAway")
        public MembershipSnapshot read() {
            if (this.failing.get()) {
                throw new IllegalStateException("the table's backend is down");
            }
            if (this.broken.compareAndSet(true, false)) {
                return null;
            }
            MembershipProvider replaced = this.replacement.get();
            return (replaced != null) ? replaced.read() : this.table.read();
        }

        @Override
        public boolean write(SiloEntry entry, long expectedVersion) {
            throw new AssertionError("the client wrote " + entry);
        }

        @Override
        public boolean remove(String siloId, long expectedVersion) {
            throw new AssertionError("the client removed " + siloId);
        }

        @Override
        public boolean heartbeat(String siloId, long epoch, Instant at) {
            throw new AssertionError("the client renewed " + siloId);
        }

        @Override
        public Watch watch(Runnable listener) {
            return this.table.watch(listener);
        }
    }
}
