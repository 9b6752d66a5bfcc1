package dev.quark.cluster.membership;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.quark.LogCapture;
import dev.quark.cluster.membership.MembershipCluster.Member;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * Joining, views, refreshes, leaving and clean-up of silo membership agents, in virtual time.
 */
class SiloMembershipTests {

    private static final int HALT_RACES = 200;

    /** What the halting thread counts up to wait a little: a volatile write, a few nanoseconds each. */
    private static volatile int spins;

    @AutoClose
    private final MembershipCluster cluster = new MembershipCluster();

    @Test
    void threeSilosJoinAndSeeTheSameView() {
        List<ClusterView> seenByA = new CopyOnWriteArrayList<>();
        Member a = this.cluster.create("a", UnaryOperator.identity());
        a.agent().subscribe(seenByA::add);
        a.agent().start().join();
        this.cluster.start("b");
        this.cluster.start("c");

        long tableVersion = this.cluster.table.read().version();
        for (String silo : List.of("a", "b", "c")) {
            SiloMembership agent = this.cluster.member(silo).agent();
            assertThat(agent.current().version()).as("version seen by %s", silo).isEqualTo(tableVersion);
            assertThat(agent.current().ring().silos()).containsExactly("a", "b", "c");
            assertThat(agent.current().membership().silos().values())
                .allSatisfy((entry) -> assertThat(entry.status()).isEqualTo(SiloStatus.ACTIVE));
            assertThat(agent.isServing()).isTrue();
            assertThat(agent.state()).isEqualTo(MembershipState.ACTIVE);
            assertThat(this.cluster.member(silo).events().names()).containsExactly("joined");
        }
        assertThat(seenByA).extracting(ClusterView::version).isSorted().doesNotHaveDuplicates();
        assertThat(seenByA.getLast().ring().silos()).containsExactly("a", "b", "c");
        SiloEntry self = a.agent().self().orElseThrow();
        assertThat(self.epoch()).isEqualTo(a.agent().epoch()).isPositive();
        assertThat(self.actorTypes()).containsExactly("Counter");
        assertThat(a.metrics().bound).isSameAs(a.agent());
    }

    @Test
    void membersStayActiveWhileEveryoneAnswersAndBeats() {
        this.cluster.start("a");
        this.cluster.start("b");
        this.cluster.start("c");
        long version = this.cluster.table.read().version();

        this.cluster.advance(Duration.ofMinutes(2));

        assertThat(this.cluster.table.read().version()).as("no write but heartbeats").isEqualTo(version);
        for (Member member : this.cluster.running()) {
            assertThat(member.agent().isServing()).isTrue();
            assertThat(member.events().names()).containsExactly("joined");
            assertThat(member.metrics().probesAnswered.get()).isGreaterThanOrEqualTo(2 * 120);
            assertThat(member.metrics().probesMissed.get()).isZero();
        }
        assertThat(this.cluster.table.read().silos().values())
            .allSatisfy((entry) -> assertThat(entry.suspicions()).isEmpty())
            .allSatisfy((entry) -> assertThat(entry.lastHeartbeat())
                .isAfterOrEqualTo(this.cluster.clock.instant().minusSeconds(10)));
    }

    @Test
    void aSiloRestartedUnderItsIdJoinsWithAHigherEpoch() {
        Member first = this.cluster.start("a");
        this.cluster.start("b");
        long firstEpoch = first.agent().epoch();
        first.agent().halt();

        Member second = this.cluster.start("a");

        assertThat(second.agent().epoch()).isGreaterThan(firstEpoch);
        assertThat(this.cluster.member("b").agent().current().silo("a").orElseThrow().epoch())
            .isEqualTo(second.agent().epoch());
    }

    @Test
    void ofTwoRunningSilosWithOneIdTheOlderStopsAndDoesNotRejoin() {
        Member older = this.cluster.start("a");
        this.cluster.start("b");
        long olderEpoch = older.agent().epoch();

        Member newer = this.cluster.start("a");
        this.cluster.advance(Duration.ofMinutes(1));

        assertThat(older.agent().state()).isEqualTo(MembershipState.DECLARED_DEAD);
        assertThat(older.events().names()).containsExactly("joined", "fenced:DECLARED_DEAD",
                "declaredDead:" + olderEpoch);
        assertThat(newer.agent().state()).isEqualTo(MembershipState.ACTIVE);
        assertThat(newer.agent().isServing()).isTrue();
        assertThat(this.cluster.member("b").agent().current().silo("a").orElseThrow().epoch())
            .isEqualTo(newer.agent().epoch());
    }

    @Test
    void aSiloStartsOnlyOnce() {
        Member a = this.cluster.start("a");

        assertThatIllegalStateException().isThrownBy(() -> a.agent().start())
            .withMessageContaining("silo a was started before");
    }

    @Test
    void aSiloThatMissesChangeNotificationsCatchesUpOnRefreshAndWhenACallShowsANewerVersion() {
        Member a = this.cluster.start("a");
        a.connection().muteHints();
        this.cluster.start("b");
        Member c = this.cluster.start("c");
        assertThat(a.agent().current().ring().silos()).containsExactly("a");

        a.agent().refreshIfOlderThan(c.agent().current().version());

        assertThat(a.agent().current().ring().silos()).containsExactly("a", "b", "c");

        this.cluster.start("d");
        this.cluster.advance(Duration.ofSeconds(5));
        assertThat(a.agent().current().ring().silos()).containsExactly("a", "b", "c", "d");
    }

    @Test
    void aLeavingSiloShutsDownHandsOverThenIsDeadAndTheOthersViewsFollow() {
        this.cluster.start("a");
        this.cluster.start("b");
        Member c = this.cluster.start("c");
        CompletableFuture<Void> handOver = new CompletableFuture<>();

        CompletableFuture<Void> left = c.agent().leave(() -> handOver);

        assertThat(left).isNotDone();
        assertThat(c.agent().state()).isEqualTo(MembershipState.LEAVING);
        assertThat(c.agent().isServing()).as("finishes its work while handing over").isTrue();
        for (String observer : List.of("a", "b", "c")) {
            assertThat(this.cluster.statusSeenBy(observer, "c")).isEqualTo(SiloStatus.SHUTTING_DOWN);
            assertThat(this.cluster.member(observer).agent().current().ring().silos()).containsExactly("a", "b");
        }
        this.cluster.advance(Duration.ofSeconds(20));
        assertThat(this.cluster.statusSeenBy("a", "c")).as("heartbeats go on").isEqualTo(SiloStatus.SHUTTING_DOWN);

        handOver.complete(null);

        assertThat(left).isDone();
        assertThat(c.agent().state()).isEqualTo(MembershipState.LEFT);
        assertThat(c.agent().isServing()).isFalse();
        assertThat(c.events().names()).containsExactly("joined", "left");
        assertThat(this.cluster.statusSeenBy("a", "c")).isEqualTo(SiloStatus.DEAD);
        assertThat(this.cluster.statusSeenBy("b", "c")).isEqualTo(SiloStatus.DEAD);
        this.cluster.advance(Duration.ofMinutes(1));
        assertThat(this.cluster.member("a").metrics().declaredDead).isEmpty();
        assertThat(this.cluster.member("b").metrics().declaredDead).isEmpty();
        assertThat(this.cluster.member("a").agent().current().ring().silos()).containsExactly("a", "b");
    }

    @Test
    void aLeaveWhoseHandOverNeverEndsLeavesAfterTheLeaveTimeout() {
        this.cluster.start("a");
        Member b = this.cluster.start("b", (settings) -> settings.leaveTimeout(Duration.ofSeconds(8)));

        CompletableFuture<Void> left = b.agent().leave(CompletableFuture::new);
        this.cluster.advance(Duration.ofSeconds(7));
        assertThat(left).isNotDone();
        this.cluster.advance(Duration.ofSeconds(1));

        assertThat(left).isDone();
        assertThat(this.cluster.statusSeenBy("a", "b")).isEqualTo(SiloStatus.DEAD);
        assertThat(b.agent().leave(CompletableFuture::new)).isSameAs(left);
    }

    @Test
    void closingAMemberLeavesTheCluster() {
        this.cluster.start("a");
        Member b = this.cluster.start("b");

        b.agent().close();

        assertThat(b.agent().state()).isEqualTo(MembershipState.LEFT);
        assertThat(this.cluster.statusSeenBy("a", "b")).isEqualTo(SiloStatus.DEAD);
    }

    /**
     * A silo declared dead whose rejoin cannot get through (here: its writes fail) is asked to leave. It is no
     * member, so it has nothing to hand over and must never serve again: it leaves at once, and its listeners
     * hear of its death once.
     */
    @Test
    void aSiloAskedToLeaveWhileItRejoinsLeavesWithoutServingAgain() {
        this.cluster.start("a");
        Member c = this.cluster.start("c");
        long epoch = c.agent().epoch();
        c.connection().failWrites();
        declareDead("c");
        assertThat(c.agent().state()).isEqualTo(MembershipState.REJOINING);
        List<Boolean> servingWhileLeaving = new CopyOnWriteArrayList<>();
        c.connection().onEveryCall(() -> servingWhileLeaving.add(c.agent().isServing()));

        c.agent().leave(() -> CompletableFuture.completedFuture(null)).join();

        assertThat(servingWhileLeaving).isNotEmpty().doesNotContain(true);
        assertThat(c.agent().state()).isEqualTo(MembershipState.LEFT);
        assertThat(c.agent().isServing()).isFalse();
        this.cluster.advance(Duration.ofMinutes(1));
        assertThat(c.events().names()).containsExactly("joined", "fenced:DECLARED_DEAD", "declaredDead:" + epoch,
                "left");
        assertThat(this.cluster.table.read().silo("c").orElseThrow()).satisfies((entry) -> {
            assertThat(entry.epoch()).isEqualTo(epoch);
            assertThat(entry.status()).isEqualTo(SiloStatus.DEAD);
        });
    }

    /**
     * {@code halt()} may come from any thread, also while the agent learns on its own thread that it was
     * declared dead. Whichever comes first, a halted agent stays stopped: it neither rejoins nor serves again.
     * <p>
     * The agent decides in a few instructions after it tells its view listeners, so the race is staged there:
     * the listener and the halting thread meet (both spinning, so that neither is asleep), then the halting
     * thread waits a little longer each round before it halts, and its halt lands before, inside or after the
     * agent's decision. Without the lifecycle lock around the agent's change of state, about one round in eight
     * loses the halt.
     */
    @Test
    void aHaltThatRacesTheNewsOfTheSilosDeathIsNeverUndone() throws Exception {
        ExecutorService halting = Executors.newSingleThreadExecutor();
        try {
            for (int round = 0; round < HALT_RACES; round++) {
                int delay = round % 128;
                try (MembershipCluster race = new MembershipCluster()) {
                    race.start("a");
                    Member c = race.start("c");
                    AtomicBoolean viewArrived = new AtomicBoolean();
                    AtomicBoolean haltingNow = new AtomicBoolean();
                    c.agent().subscribe((view) -> {
                        viewArrived.set(true);
                        spinUntil(haltingNow);
                    });
                    Future<?> halted = halting.submit(() -> {
                        spinUntil(viewArrived);
                        haltingNow.set(true);
                        for (int i = 0; i < delay; i++) {
                            spins++;
                        }
                        c.agent().halt();
                    });
                    declareDead(race, "c");
                    halted.get(10, TimeUnit.SECONDS);

                    assertThat(c.agent().state()).as("round %d", round).isEqualTo(MembershipState.STOPPED);
                    assertThat(c.agent().isServing()).as("round %d", round).isFalse();
                }
            }
        }
        finally {
            halting.shutdownNow();
        }
    }

    private static void spinUntil(AtomicBoolean flag) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!flag.get() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }

    /**
     * A probe still out when the agent closes is answered after the agent's executor is gone (shut down by the
     * agent when it owns it, or by the application): the answer is dropped, and logged as nothing worse than
     * debug.
     */
    @Test
    void answersToProbesThatArriveAfterCloseAreDroppedQuietly() throws Exception {
        LogCapture logged = LogCapture.of(FailureDetector.class);
        List<CompletableFuture<Void>> probes = new CopyOnWriteArrayList<>();
        AtomicBoolean joining = new AtomicBoolean(true);
        SiloProber unanswered = new SiloProber() {

            @Override
            public CompletableFuture<Void> probe(SiloEntry target, Duration timeout) {
                if (joining.get()) {
                    // The join's reachability check is answered; the failure detector's probes are not.
                    return CompletableFuture.completedFuture(null);
                }
                CompletableFuture<Void> probe = new CompletableFuture<>();
                probes.add(probe);
                return probe;
            }

            @Override
            public CompletableFuture<Void> probeIndirectly(SiloEntry intermediary, SiloEntry target,
                    Duration timeout) {
                return probe(target, timeout);
            }
        };
        ExecutorService agentThreads = Executors.newSingleThreadExecutor();
        try {
            this.cluster.start("b");
            SiloMembership a = SiloMembership
                .builder(MembershipSettings.builder("a", new SiloAddress("127.0.0.1", 7001)).build(), this.cluster.table,
                        unanswered)
                .clock(this.cluster.clock)
                .scheduler(this.cluster.scheduler)
                .executor(agentThreads)
                .build();
            a.start().get(10, TimeUnit.SECONDS);
            joining.set(false);
            this.cluster.advance(Duration.ofSeconds(1));
            await().atMost(Duration.ofSeconds(10)).until(() -> !probes.isEmpty());

            a.close();
            agentThreads.shutdown();
            assertThat(agentThreads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            probes.forEach((probe) -> probe.complete(null));

            assertThat(logged.events()).extracting(ILoggingEvent::getLevel).doesNotContain(Level.ERROR, Level.WARN);
        }
        finally {
            agentThreads.shutdownNow();
            logged.close();
        }
    }

    @Test
    void theEntriesOfLongDeadSilosAreRemoved() {
        UnaryOperator<MembershipSettings.Builder> retention = (settings) -> settings
            .deadSiloRetention(Duration.ofMinutes(1));
        this.cluster.start("a", retention);
        this.cluster.start("b", retention);
        this.cluster.start("c", retention);
        this.cluster.kill("c");
        this.cluster.advance(Duration.ofSeconds(5));
        assertThat(this.cluster.statusSeenBy("b", "c")).isEqualTo(SiloStatus.DEAD);

        this.cluster.advance(Duration.ofSeconds(60));

        assertThat(this.cluster.table.read().silos()).containsOnlyKeys("a", "b");
        assertThat(this.cluster.member("b").agent().current().membership().silos()).containsOnlyKeys("a", "b");
    }

    @Test
    void aClientOnlySiloHostsNoActorTypes() {
        Member client = this.cluster.start("client", (settings) -> settings.actorTypes(Set.of()));

        assertThat(client.agent().self().orElseThrow().actorTypes()).isEmpty();
    }

    private void declareDead(String siloId) {
        declareDead(this.cluster, siloId);
    }

    /** Writes a silo dead, as its peers' votes would; the silos hear of it through the table's hint. */
    private static void declareDead(MembershipCluster cluster, String siloId) {
        MembershipSnapshot read = cluster.table.read();
        assertThat(cluster.table.write(read.silo(siloId).orElseThrow().withStatus(SiloStatus.DEAD), read.version()))
            .isTrue();
    }
}
