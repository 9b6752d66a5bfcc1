package dev.quark.cluster.membership;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.cluster.membership.memory.InMemoryMembershipProvider;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Several agents writing the same table at the same time, on real threads: conditional writes make the
 * losers read again and decide again, so no vote and no status change is lost.
 */
class ConcurrentMembershipWritesTests {

    private static final int VOTERS = 8;

    private static final int JOINERS = 4;

    private final ManualClock clock = new ManualClock();

    private final ManualScheduler scheduler = new ManualScheduler(this.clock);

    private final ExecutorService threads = Executors.newFixedThreadPool(VOTERS + JOINERS);

    @AfterEach
    void close() {
        this.threads.shutdownNow();
    }

    @Test
    void racingVotesAndJoinsAreNeverLost() throws Exception {
        int conflicts = 0;
        for (int round = 0; round < 40; round++) {
            conflicts += raceOnce();
        }
        assertThat(conflicts).as("the rounds raced").isPositive();
    }

    private int raceOnce() throws Exception {
        ConflictCountingTable table = new ConflictCountingTable(new InMemoryMembershipProvider());
        Instant now = this.clock.instant();
        long version = 0;
        for (int i = 0; i < VOTERS; i++) {
            assertThat(table.write(entry("v" + i, SiloStatus.ACTIVE, now), version++)).isTrue();
        }
        assertThat(table.write(entry("target", SiloStatus.ACTIVE, now), version)).isTrue();
        MembershipSnapshot before = table.read();
        TestNetwork network = new TestNetwork();
        network.down("target");
        // The joiners' reachability checks reach every silo, so that they join while the voters vote.
        TestNetwork joinerNetwork = new TestNetwork();

        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<?>> work = new ArrayList<>();
        List<RecordingMetrics> voterMetrics = new ArrayList<>();
        for (int i = 0; i < VOTERS; i++) {
            RecordingMetrics metrics = new RecordingMetrics();
            voterMetrics.add(metrics);
            FailureDetector detector = detector("v" + i, table, network, metrics);
            SerialExecutor serial = new SerialExecutor(this.threads);
            work.add(CompletableFuture.runAsync(() -> awaitStart(go), this.threads)
                .thenCompose((ignored) -> serial.call(() -> {
                    detector.round(before, 1);
                    return CompletableFuture.completedFuture(null);
                })));
        }
        List<SiloMembership> joiners = new ArrayList<>();
        for (int i = 0; i < JOINERS; i++) {
            SiloMembership joiner = SiloMembership
                .builder(settings("j" + i).build(), table, joinerNetwork.proberOf("j" + i))
                .clock(this.clock)
                .scheduler(this.scheduler)
                .executor(this.threads)
                .build();
            joiners.add(joiner);
            work.add(CompletableFuture.runAsync(() -> awaitStart(go), this.threads)
                .thenCompose((ignored) -> joiner.start()));
        }
        go.countDown();
        CompletableFuture.allOf(work.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        // Votes are written as the probes' answers come back, after the rounds returned: wait for the
        // outcome. A vote that was written but then lost would keep the assertions failing.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).untilAsserted(() -> {
            MembershipSnapshot after = table.read();
            SiloEntry target = after.silo("target").orElseThrow();
            List<String> voted = new ArrayList<>();
            for (int i = 0; i < VOTERS; i++) {
                if (voterMetrics.get(i).suspected.contains("target")) {
                    voted.add("v" + i);
                }
            }
            assertThat(target.status()).isEqualTo(SiloStatus.DEAD);
            assertThat(target.suspicions()).extracting(Suspicion::suspectingSiloId)
                .as("every vote that was written is in the entry")
                .containsExactlyInAnyOrderElementsOf(voted);
            assertThat(voterMetrics.stream().mapToInt((metrics) -> metrics.declaredDead.size()).sum())
                .as("declared dead exactly once")
                .isEqualTo(1);
            for (int i = 0; i < JOINERS; i++) {
                SiloEntry joined = after.silo("j" + i).orElseThrow();
                assertThat(joined.status()).isEqualTo(SiloStatus.ACTIVE);
                assertThat(joined.epoch()).isEqualTo(joiners.get(i).epoch());
            }
            for (int i = 0; i < VOTERS; i++) {
                assertThat(after.silo("v" + i).orElseThrow().status()).isEqualTo(SiloStatus.ACTIVE);
            }
        });
        joiners.forEach(SiloMembership::halt);
        return table.conflicts.get();
    }

    @Test
    void aChangeThatKeepsLosingGivesUpWithAClearError() {
        MembershipProvider alwaysMoved = new ConflictCountingTable(new InMemoryMembershipProvider()) {

            @Override
            public boolean write(SiloEntry entry, long expectedVersion) {
                this.conflicts.incrementAndGet();
                return false;
            }
        };
        TableUpdater updater = new TableUpdater(alwaysMoved);

        assertThatExceptionOfType(MembershipConflictException.class)
            .isThrownBy(() -> updater.update("write silo a (epoch 1) as active",
                    (read) -> entry("a", SiloStatus.ACTIVE, this.clock.instant())))
            .withMessage("Gave up trying to write silo a (epoch 1) as active after " + TableUpdater.MAX_ATTEMPTS
                    + " conflicting writes to the membership table");
        assertThatExceptionOfType(MembershipConflictException.class)
            .isThrownBy(() -> new TableUpdater(new ConflictCountingTable(new InMemoryMembershipProvider()) {

                @Override
                public MembershipSnapshot read() {
                    return MembershipSnapshot.of("lost", 3, List.of(entry("b", SiloStatus.DEAD, Instant.EPOCH)));
                }

                @Override
                public boolean remove(String siloId, long expectedVersion) {
                    return false;
                }
            }).removeIf("b", (entry) -> true))
            .withMessageContaining("removing the entry of silo b");
    }

    @Test
    void aJoinThatKeepsLosingFailsNamingTheSiloAndTheChange() {
        MembershipProvider alwaysMoved = new ConflictCountingTable(new InMemoryMembershipProvider()) {

            @Override
            public boolean write(SiloEntry entry, long expectedVersion) {
                return false;
            }
        };
        SiloMembership agent = SiloMembership
            .builder(settings("a").build(), alwaysMoved, new TestNetwork().proberOf("a"))
            .clock(this.clock)
            .scheduler(this.scheduler)
            .executor(Runnable::run)
            .build();

        assertThat(agent.start()).failsWithin(Duration.ofSeconds(5))
            .withThrowableThat()
            .havingRootCause()
            .isInstanceOf(MembershipConflictException.class)
            .withMessageContaining("write the joining entry of silo a");
        assertThat(agent.state()).isEqualTo(MembershipState.STOPPED);
    }

    private FailureDetector detector(String siloId, MembershipProvider table, TestNetwork network,
            MembershipMetrics metrics) {
        MembershipSettings settings = settings(siloId).missedProbes(1)
            .probeInterval(Duration.ofMillis(100))
            .probedPeers(VOTERS + JOINERS)
            .votesToDeclareDead(VOTERS)
            .build();
        return new FailureDetector(settings, network.proberOf(siloId), new TableUpdater(table),
                new SerialExecutor(this.threads), this.scheduler, this.clock, metrics, () -> {
                });
    }

    private static MembershipSettings.Builder settings(String siloId) {
        return MembershipSettings.builder(siloId, new SiloAddress("127.0.0.1", 0));
    }

    private static SiloEntry entry(String siloId, SiloStatus status, Instant at) {
        return new SiloEntry(siloId, new SiloAddress("127.0.0.1", 0), at, status, at, 1, Set.of(), List.of());
    }

    private static void awaitStart(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("The race did not start");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** Counts the conditional writes that lost. */
    private static class ConflictCountingTable implements MembershipProvider {

        final AtomicInteger conflicts = new AtomicInteger();

        private final MembershipProvider table;

        ConflictCountingTable(MembershipProvider table) {
            this.table = table;
        }

        @Override
        public MembershipSnapshot read() {
            return this.table.read();
        }

        @Override
        public boolean write(SiloEntry entry, long expectedVersion) {
            boolean written = this.table.write(entry, expectedVersion);
            if (!written) {
                this.conflicts.incrementAndGet();
            }
            return written;
        }

        @Override
        public boolean remove(String siloId, long expectedVersion) {
            return this.table.remove(siloId, expectedVersion);
        }

        @Override
        public boolean heartbeat(String siloId, long epoch, Instant at) {
            return this.table.heartbeat(siloId, epoch, at);
        }

        @Override
        public Watch watch(Runnable listener) {
            return this.table.watch(listener);
        }
    }
}
