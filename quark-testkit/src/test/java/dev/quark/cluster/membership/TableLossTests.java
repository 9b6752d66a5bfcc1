package dev.quark.cluster.membership;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import dev.quark.cluster.membership.MembershipCluster.Member;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The membership table loses data while silos run — Redis restarted without persistence, {@code FLUSHDB}, a
 * failover to a replica that missed the latest writes — and its version starts again lower than what the silos
 * saw. They must take the table as it is now, join it again, and all end up seeing each other: a silo that
 * kept its old view would route by a table nobody writes any more.
 */
class TableLossTests {

    private final LosableTable table = new LosableTable();

    @AutoClose
    private final MembershipCluster cluster = new MembershipCluster(this.table);

    @Test
    void silosThatOutliveAWipedTableJoinItAgainAndSeeTheSilosThatJoinedItSince() {
        Member a = this.cluster.start("a");
        Member b = this.cluster.start("b");
        long firstEpoch = a.agent().epoch();
        raiseTheVersion(40);
        this.cluster.advanceSeconds(10);
        String lost = this.table.read().incarnation();

        this.table.wipe();
        this.cluster.advanceSeconds(30);
        Member c = this.cluster.start("c");
        this.cluster.advance(Duration.ofMinutes(2));

        MembershipSnapshot regrown = this.table.read();
        assertThat(regrown.incarnation()).isNotEqualTo(lost);
        for (Member member : List.of(a, b, c)) {
            assertThat(member.agent().current().ring().silos()).as(member.id()).containsExactly("a", "b", "c");
            assertThat(member.agent().current().incarnation()).as(member.id()).isEqualTo(regrown.incarnation());
            assertThat(member.agent().isServing()).as(member.id()).isTrue();
        }
        assertThat(a.events().names()).containsExactly("joined", "fenced:DECLARED_DEAD", "declaredDead:" + firstEpoch,
                "rejoined");
    }

    @Test
    void silosTakeATableThatLostItsLatestWritesAsItIsNowAndTheSilosItLostJoinAgain() {
        Member a = this.cluster.start("a");
        Member b = this.cluster.start("b");
        MembershipSnapshot replica = this.table.replicate();
        Member c = this.cluster.start("c");
        long cFirstEpoch = c.agent().epoch();
        raiseTheVersion(20);
        this.cluster.advanceSeconds(1);

        this.table.failOverTo(replica);
        this.cluster.advance(Duration.ofMinutes(1));

        MembershipSnapshot now = this.table.read();
        assertThat(now.incarnation()).isEqualTo(replica.incarnation());
        assertThat(c.agent().epoch()).as("c was lost with the writes, and joined again").isGreaterThan(cFirstEpoch);
        for (Member member : List.of(a, b, c)) {
            ClusterView view = member.agent().current();
            assertThat(view.version()).as(member.id()).isEqualTo(now.version());
            assertThat(view.silo("c").map(SiloEntry::epoch)).as(member.id()).contains(c.agent().epoch());
            assertThat(view.ring().silos()).as(member.id()).containsExactly("a", "b", "c");
        }
    }

    /**
     * The failover lost the write that made a silo active: the replica has its entry as joining, in the same epoch.
     * The silo writes it again instead of serving off every ring (no silo would place anything on it).
     */
    @Test
    void aSiloWhoseWriteAsActiveTheTableLostWritesItAgain() {
        this.cluster.start("a");
        Member b = this.cluster.start("b");
        long epoch = b.agent().epoch();
        this.table.failOverTo(withStatus(this.table.replicate(), "b", SiloStatus.JOINING));

        this.cluster.advance(Duration.ofSeconds(30));

        assertThat(this.table.read().silo("b")).hasValueSatisfying((entry) -> {
            assertThat(entry.status()).isEqualTo(SiloStatus.ACTIVE);
            assertThat(entry.epoch()).isEqualTo(epoch);
        });
        assertThat(b.agent().epoch()).as("not declared dead").isEqualTo(epoch);
        assertThat(this.cluster.member("a").agent().current().ring().silos()).containsExactly("a", "b");
        assertThat(b.events().names()).containsExactly("joined");
    }

    /**
     * The failover lost a leaving silo's write as shutting down: the replica has it active, so silos would still place
     * new activations on it while it hands over. It writes it again.
     */
    @Test
    void aLeavingSiloWhoseWriteAsShuttingDownTheTableLostWritesItAgain() {
        Member a = this.cluster.start("a");
        Member b = this.cluster.start("b", (settings) -> settings.leaveTimeout(Duration.ofMinutes(5)));
        var unused = b.agent().leave(CompletableFuture::new);
        this.cluster.advanceSeconds(1);
        assertThat(this.table.read().silo("b").map(SiloEntry::status)).contains(SiloStatus.SHUTTING_DOWN);

        this.table.failOverTo(withStatus(this.table.replicate(), "b", SiloStatus.ACTIVE));
        this.cluster.advance(Duration.ofSeconds(30));

        assertThat(this.table.read().silo("b").map(SiloEntry::status)).contains(SiloStatus.SHUTTING_DOWN);
        assertThat(a.agent().current().ring().silos()).as("off the ring while it hands over").containsExactly("a");
    }

    /** The table one write earlier, when a silo's entry had another status: what a replica that missed it holds. */
    private static MembershipSnapshot withStatus(MembershipSnapshot table, String siloId, SiloStatus status) {
        Map<String, SiloEntry> silos = new TreeMap<>(table.silos());
        silos.computeIfPresent(siloId, (id, entry) -> entry.withStatus(status));
        return new MembershipSnapshot(table.incarnation(), table.version() - 1, silos);
    }

    @Test
    void aCallFromASiloThatReadAnotherIncarnationOfTheTableMakesTheSiloReadIt() {
        Member a = this.cluster.start("a");
        a.connection().muteHints();
        String lost = this.table.read().incarnation();
        long seenVersion = a.agent().current().version();
        this.table.wipe();
        Member b = this.cluster.start("b");

        a.agent().refreshIfOlderThan(lost, seenVersion - 1);
        assertThat(a.agent().current().incarnation()).as("an older version of the same table").isEqualTo(lost);
        a.agent().refreshIfOlderThan(b.agent().current().incarnation(), 1);

        assertThat(a.agent().current().incarnation()).isEqualTo(this.table.read().incarnation()).isNotEqualTo(lost);
    }

    /** Rewrites a silo's entry as it is, as the votes and joins of a cluster's life do. */
    private void raiseTheVersion(int writes) {
        for (int i = 0; i < writes; i++) {
            MembershipSnapshot read = this.table.read();
            assertThat(this.table.write(read.silo("b").orElseThrow(), read.version())).isTrue();
        }
    }
}
