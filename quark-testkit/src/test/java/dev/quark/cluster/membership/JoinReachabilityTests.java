package dev.quark.cluster.membership;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

import dev.quark.cluster.membership.MembershipCluster.Member;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A joining silo becomes active only once it reached every active silo (in virtual time, over a
 * {@link TestNetwork}): the first silo of an empty cluster joins at once; a silo its peers cannot talk to never
 * appears active, writes its joining entry as dead and fails its join naming the peers; a peer that dies during
 * the join stops counting once the table has it dead; a link that heals within the timeout lets the join through.
 */
class JoinReachabilityTests {

    private final MembershipCluster cluster = new MembershipCluster();

    @AfterEach
    void close() {
        this.cluster.close();
    }

    @Test
    void theFirstSiloOfAnEmptyClusterJoinsAtOnce() {
        this.cluster.network.down("a");
        Member a = this.cluster.start("a");

        assertThat(a.agent().state()).isEqualTo(MembershipState.ACTIVE);
        assertThat(a.agent().current().ring().silos()).containsExactly("a");
    }

    @Test
    void aSiloThatReachesNoActiveSiloNeverBecomesActiveAndItsJoinFailsNamingThem() {
        this.cluster.start("a");
        this.cluster.start("b");
        Set<String> everInRing = ConcurrentHashMap.newKeySet();
        for (String observer : List.of("a", "b")) {
            this.cluster.member(observer).agent().subscribe((view) -> everInRing.addAll(view.ring().silos()));
        }
        this.cluster.network.cut("a", "c");
        this.cluster.network.cut("b", "c");
        Member c = this.cluster.create("c", (settings) -> settings.reachabilityTimeout(Duration.ofSeconds(5)));

        CompletableFuture<SiloEntry> joined = c.agent().start();
        assertThat(joined).isNotDone();
        assertThat(this.cluster.table.read().silo("c").orElseThrow().status()).isEqualTo(SiloStatus.JOINING);
        this.cluster.advance(Duration.ofSeconds(4));
        assertThat(joined).isNotDone();
        this.cluster.advance(Duration.ofSeconds(2));

        assertThatThrownBy(joined::get).isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOf(UnreachablePeersException.class)
            .hasMessageContaining("Silo c cannot reach 2 of the active silos of cluster 'test' within PT5S")
            .hasMessageContaining("a@127.0.0.1:")
            .hasMessageContaining("b@127.0.0.1:")
            .hasMessageContaining("No answer on c -> a")
            .hasMessageContaining("it did not become active");
        assertThat(c.agent().state()).isEqualTo(MembershipState.STOPPED);
        assertThat(this.cluster.table.read().silo("c").orElseThrow().status()).isEqualTo(SiloStatus.DEAD);
        assertThat(everInRing).containsExactlyInAnyOrder("a", "b");
        assertThat(c.events().names()).isEmpty();
    }

    @Test
    void aSiloThatReachesOnlySomeActiveSilosDoesNotBecomeActive() {
        this.cluster.start("a");
        this.cluster.start("b");
        this.cluster.network.cut("b", "c");
        Member c = this.cluster.create("c", (settings) -> settings.reachabilityTimeout(Duration.ofSeconds(3)));

        CompletableFuture<SiloEntry> joined = c.agent().start();
        this.cluster.advance(Duration.ofSeconds(4));

        assertThatThrownBy(joined::get).cause()
            .isInstanceOf(UnreachablePeersException.class)
            .hasMessageContaining("cannot reach 1 of the active silos")
            .hasMessageContaining("b@127.0.0.1:")
            .hasMessageNotContaining("a@127.0.0.1:");
        assertThat(this.cluster.member("a").agent().current().ring().silos()).containsExactly("a", "b");
    }

    @Test
    void aPeerThatDiesDuringTheJoinStopsCountingOnceTheTableHasItDead() {
        this.cluster.start("a");
        this.cluster.start("b");
        this.cluster.start("c");
        this.cluster.kill("c");
        Member d = this.cluster.create("d", (settings) -> settings.reachabilityTimeout(Duration.ofSeconds(10)));

        CompletableFuture<SiloEntry> joined = d.agent().start();
        assertThat(joined).isNotDone();
        for (int second = 0; second < 10 && !joined.isDone(); second++) {
            this.cluster.advance(Duration.ofSeconds(1));
        }

        assertThat(joined).isCompleted();
        assertThat(d.agent().state()).isEqualTo(MembershipState.ACTIVE);
        assertThat(this.cluster.table.read().silo("c").orElseThrow().status()).isEqualTo(SiloStatus.DEAD);
        assertThat(d.agent().current().ring().silos()).containsExactlyInAnyOrder("a", "b", "d");
    }

    @Test
    void aLinkThatHealsWithinTheTimeoutLetsTheJoinThrough() {
        this.cluster.start("a");
        this.cluster.network.cut("a", "b");
        Member b = this.cluster.create("b", (settings) -> settings.reachabilityTimeout(Duration.ofSeconds(10)));

        CompletableFuture<SiloEntry> joined = b.agent().start();
        this.cluster.advance(Duration.ofSeconds(3));
        assertThat(joined).isNotDone();
        assertThat(this.cluster.member("a").agent().current().ring().silos()).containsExactly("a");
        this.cluster.network.heal("a", "b");
        this.cluster.advance(Duration.ofSeconds(2));

        assertThat(joined).isCompleted();
        assertThat(b.events().names()).containsExactly("joined");
        assertThat(this.cluster.member("a").agent().current().ring().silos()).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void reachabilityTimeoutShorterThanTheProbeTimeoutIsRefused() {
        assertThatThrownBy(() -> MembershipSettings.builder("a", new SiloAddress("127.0.0.1", 1))
            .probeTimeout(Duration.ofSeconds(2))
            .reachabilityTimeout(Duration.ofSeconds(1))
            .build()).isInstanceOf(dev.quark.runtime.InvalidSettingException.class)
            .hasMessageContaining("reachabilityTimeout")
            .hasMessageContaining("must be at least probeTimeout (PT2S)");
    }
}
