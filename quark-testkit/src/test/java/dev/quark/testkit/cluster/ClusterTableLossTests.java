package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloStatus;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The membership table loses its data while the silos run (Redis restarted without persistence, a flush): the
 * silos join the table that grows again, whose versions start low, and route by it, not by the views of the
 * table that is gone. Run on the test kit's in-memory table ({@link InMemoryClusterTableLossTests}) and on Redis
 * ({@link RedisClusterTableLossTests}).
 */
abstract class ClusterTableLossTests {

    private final TallyEnvironment environment = new TallyEnvironment();

    @AutoClose
    private TallyCluster cluster;

    /** The table the silos share, new for each test. */
    abstract MembershipProvider table();

    /** Loses the table's data, as its backend would. */
    abstract void loseTheTable();

    /** Copies the table as it is now, for {@link #loseWritesSince}. */
    abstract Object copyTheTable();

    /** Puts a copy of the table back, as a failover to a replica that missed the writes since loses them. */
    abstract void loseWritesSince(Object copy);

    @BeforeEach
    void start() {
        this.cluster = new TallyCluster(this.environment, TallyCluster.builder(this.environment, 2, (runtime) -> {
        }).membership(table()).failureDetection((settings) -> settings.probeInterval(Duration.ofMillis(200))
            .probeTimeout(Duration.ofMillis(200))
            .tableRefreshInterval(Duration.ofMillis(300))));
    }

    /**
     * The table loses its latest writes (a failover to a replica that had not received them): a silo that joined in
     * them finds its entry gone and joins again with a new epoch, writing the table again below the version it had.
     * The silos route by the table as it is now, not by the lost writes until the table's version passes them
     * (which, with no write after, is never).
     */
    @Test
    void silosRouteByTheTableAfterItLostItsLatestWrites() {
        MembershipProvider membership = this.cluster.cluster().membership();
        List<TestSilo> first = this.cluster.cluster().runningSilos();
        await().atMost(TallyEnvironment.timeout()).until(() -> first.stream()
            .allMatch((silo) -> silo.routing().view().version() == membership.read().version()));
        Object copy = copyTheTable();
        MembershipSnapshot kept = membership.read();
        TestSilo joined = this.cluster.addSilo();
        // More lost writes than the silo's join again makes: a silo that joins and leaves writes four times.
        this.cluster.addSilo();
        this.cluster.cluster().stopSilo(3);
        List<TestSilo> running = this.cluster.cluster().runningSilos();
        MembershipSnapshot lost = membership.read();
        await().atMost(TallyEnvironment.timeout()).until(() -> running.stream()
            .allMatch((silo) -> silo.routing().view().version() >= lost.version()));
        long lostEpoch = lost.silo(joined.siloId()).orElseThrow().epoch();

        loseWritesSince(copy);

        await().atMost(TallyEnvironment.timeout()).untilAsserted(() -> {
            MembershipSnapshot table = membership.read();
            assertThat(table.silo(joined.siloId())).as("the silo joined again")
                .hasValueSatisfying((entry) -> assertThat(entry.epoch()).isGreaterThan(lostEpoch));
            for (TestSilo silo : running) {
                assertThat(table.silo(silo.siloId()).map((entry) -> entry.status())).as(silo.siloId())
                    .contains(SiloStatus.ACTIVE);
                assertThat(silo.routing().view().membership().showsSameTable(table))
                    .as("%s routes by %s, the table is %s", silo.siloId(), silo.routing().view().membership(), table)
                    .isTrue();
            }
        });
        MembershipSnapshot now = membership.read();
        assertThat(now.incarnation()).isEqualTo(kept.incarnation());
        assertThat(now.version()).as("the table written again is behind the lost writes").isLessThan(lost.version());
        List<String> ids = IntStream.range(0, 20).mapToObj((i) -> "tally-" + i).toList();
        for (TestSilo silo : running) {
            for (String id : ids) {
                assertThat(silo.get(Tally.class, id).where()).as(id).isIn(running.stream().map(TestSilo::siloId)
                    .toArray());
            }
        }
    }

    @Test
    void silosRouteByTheTableThatGrewAgainAfterTheirsWasLost() {
        // Versions of the lost table well above those of the table that grows again: each silo that joins or leaves
        // writes twice.
        for (int added = 2; added < 5; added++) {
            this.cluster.addSilo();
            this.cluster.cluster().stopSilo(added);
        }
        this.cluster.addSilo();
        List<TestSilo> running = this.cluster.cluster().runningSilos();
        MembershipSnapshot lost = this.cluster.cluster().membership().read();
        await().atMost(TallyEnvironment.timeout()).until(() -> running.stream()
            .allMatch((silo) -> silo.routing().view().incarnation().equals(lost.incarnation())
                    && silo.routing().view().version() >= lost.version()));
        long lostVersion = lost.version();

        loseTheTable();

        await().atMost(TallyEnvironment.timeout()).untilAsserted(() -> {
            MembershipSnapshot table = this.cluster.cluster().membership().read();
            for (TestSilo silo : running) {
                assertThat(table.silo(silo.siloId()).map((entry) -> entry.status())).as(silo.siloId())
                    .contains(SiloStatus.ACTIVE);
                assertThat(silo.routing().view().incarnation()).as(silo.siloId()).isEqualTo(table.incarnation());
                assertThat(silo.routing().view().version()).as(silo.siloId()).isEqualTo(table.version());
            }
        });
        assertThat(this.cluster.cluster().membership().read().version()).as("the table that grew again is behind")
            .isLessThan(lostVersion);
        List<String> ids = IntStream.range(0, 20).mapToObj((i) -> "tally-" + i).toList();
        for (TestSilo silo : running) {
            for (String id : ids) {
                assertThat(silo.get(Tally.class, id).where()).as(id).isIn(running.stream().map(TestSilo::siloId)
                    .toArray());
            }
        }
    }
}
