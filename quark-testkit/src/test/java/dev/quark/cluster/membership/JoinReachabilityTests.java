package dev.quark.cluster.membership;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.UnaryOperator;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.quark.LogCapture;
import dev.quark.cluster.membership.MembershipCluster.Member;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A joining silo becomes active only once the fresh active silos answered it or a refusal is ruled out (in virtual
 * time, over a {@link TestNetwork}): the first silo of an empty cluster joins at once, and so does one whose only
 * peers are rows of crashed silos with expired heartbeats; a silo a majority of its peers refuse never appears
 * active, writes its joining entry as dead and fails its join at once naming them; one a minority refuses joins at
 * the reachability timeout with a warning naming them when a majority answered, and fails otherwise; a silent peer
 * among answering ones is joined past with a warning; rows of silos that crashed a moment ago (a fast full restart) delay the join until they expire;
 * a silent peer that keeps renewing its entry fails the join after the silo TTL, the joining entry renewed
 * meanwhile.
 */
class JoinReachabilityTests {

    /** Short timings, so that entries expire within seconds of virtual time. */
    private static final UnaryOperator<MembershipSettings.Builder> SHORT_TTL = (settings) -> settings
        .heartbeatInterval(Duration.ofSeconds(1))
        .siloTtl(Duration.ofSeconds(6))
        .fencingMargin(Duration.ofSeconds(1))
        .reachabilityTimeout(Duration.ofSeconds(2));

    @AutoClose
    private final MembershipCluster cluster = new MembershipCluster();

    @Test
    void theFirstSiloOfAnEmptyClusterJoinsAtOnce() {
        this.cluster.network.down("a");
        Member a = this.cluster.start("a");

        assertThat(a.agent().state()).isEqualTo(MembershipState.ACTIVE);
        assertThat(a.agent().current().ring().silos()).containsExactly("a");
    }

    @Test
    void aSiloEveryPeerRefusesNeverBecomesActiveAndItsJoinFailsAtOnceNamingThem() {
        this.cluster.start("a");
        this.cluster.start("b");
        Set<String> everInRing = ConcurrentHashMap.newKeySet();
        for (String observer : List.of("a", "b")) {
            this.cluster.member(observer).agent().subscribe((view) -> everInRing.addAll(view.ring().silos()));
        }
        this.cluster.network.refuse("a", "c");
        this.cluster.network.refuse("b", "c");
        Member c = this.cluster.create("c", (settings) -> settings.reachabilityTimeout(Duration.ofSeconds(5)));
        Instant start = this.cluster.clock.instant();

        CompletableFuture<SiloEntry> joined = c.agent().start();
        this.cluster.advance(Duration.ofMillis(100));
        assertThat(joined).as("one round of refusals does not decide: it may be a certificate reload").isNotDone();
        this.cluster.advance(Duration.ofSeconds(1));

        assertThat(joined).as("decided by the second round, not at the reachability timeout").isDone();
        assertThat(Duration.between(start, this.cluster.clock.instant())).isLessThan(Duration.ofSeconds(2));
        assertThatThrownBy(joined::get).isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOf(UnreachablePeersException.class)
            .hasMessageContaining("Silo c cannot reach 2 of the active silos of cluster 'test' (refused by 2 of the 2, "
                    + "a majority, within PT1S, in 2 probe rounds in a row: the join fails without waiting for "
                    + "quark.cluster.reachability-timeout, PT5S)")
            .hasMessageContaining("a@127.0.0.1:")
            .hasMessageContaining("b@127.0.0.1:")
            .hasMessageContaining("Refused on c -> a")
            .hasMessageContaining("it did not become active")
            .cause()
            .isInstanceOf(TestNetwork.Refusal.class);
        assertThat(c.agent().state()).isEqualTo(MembershipState.STOPPED);
        assertThat(this.cluster.table.read().silo("c").orElseThrow().status()).isEqualTo(SiloStatus.DEAD);
        assertThat(everInRing).containsExactlyInAnyOrder("a", "b");
        assertThat(c.events().names()).isEmpty();
    }

    @Test
    void aPlaintextSiloInAClusterWhoseActiveSilosUseTlsFailsItsJoinBeforeAnyProbeNamingThem() {
        UnaryOperator<MembershipSettings.Builder> tls = (settings) -> settings
            .transportSecurity(TransportSecurity.TLS);
        this.cluster.start("a", tls);
        this.cluster.start("b", tls);
        this.cluster.network.down("d");
        Member d = this.cluster.create("d", (settings) -> settings.transportSecurity(TransportSecurity.PLAINTEXT)
            .reachabilityTimeout(Duration.ofSeconds(5)));
        Instant start = this.cluster.clock.instant();

        CompletableFuture<SiloEntry> joined = d.agent().start();
        this.cluster.advance(Duration.ZERO);

        assertThat(joined).as("decided before any probe (d's links are down: a probe would only time out)").isDone();
        assertThat(this.cluster.clock.instant()).isEqualTo(start);
        assertThatThrownBy(joined::get).cause()
            .isInstanceOf(UnreachablePeersException.class)
            .hasMessageContaining("Silo d uses plaintext (no quark.cluster.transport.ssl.bundle) on its links to other "
                    + "silos, but 2 of the 2 active silos of cluster 'test', a majority, do not, as their membership "
                    + "entries say: [a@127.0.0.1:")
            .hasMessageContaining(" (TLS), b@127.0.0.1:")
            .hasMessageContaining("give every silo the same quark.cluster.transport.ssl.bundle, or none");
        assertThat(this.cluster.table.read().silo("d").orElseThrow().status()).isEqualTo(SiloStatus.DEAD);
        assertThat(this.cluster.table.read().silo("d").orElseThrow().transportSecurity())
            .isEqualTo(TransportSecurity.PLAINTEXT);
    }

    @Test
    void aMinorityWithAnotherTransportSecurityIsLoggedAndLeftToTheProbes() {
        UnaryOperator<MembershipSettings.Builder> tls = (settings) -> settings
            .transportSecurity(TransportSecurity.TLS);
        this.cluster.start("e");
        this.cluster.start("f");
        this.cluster.start("a", tls);
        this.cluster.start("b", tls);
        try (LogCapture logged = LogCapture.of(JoinReachability.class)) {
            Member c = this.cluster.create("c", (settings) -> settings.transportSecurity(TransportSecurity.PLAINTEXT));

            CompletableFuture<SiloEntry> joined = c.agent().start();
            this.cluster.advance(Duration.ofSeconds(1));

            assertThat(joined).as("every peer answers in this network").isCompleted();
            assertThat(logged.events()).filteredOn((event) -> event.getLevel() == Level.WARN)
                .singleElement()
                .extracting(ILoggingEvent::getFormattedMessage)
                .asString()
                .contains("Silo c uses plaintext (no quark.cluster.transport.ssl.bundle) on its links to other silos, "
                        + "but 2 of the 4 active silos of cluster 'test' do not")
                .contains("a@127.0.0.1:")
                .contains("b@127.0.0.1:")
                .contains("(TLS)")
                .doesNotContain("e@")
                .doesNotContain("f@");
        }
    }

    @Test
    void entriesThatDoNotSayWhetherTheyUseTlsAreNeverAMismatch() {
        this.cluster.start("a");
        this.cluster.start("b");
        Member c = this.cluster.create("c", (settings) -> settings.transportSecurity(TransportSecurity.TLS));

        CompletableFuture<SiloEntry> joined = c.agent().start();
        this.cluster.advance(Duration.ofSeconds(1));

        assertThat(joined).isCompleted();
        assertThat(c.agent().state()).isEqualTo(MembershipState.ACTIVE);
    }

    @Test
    void staleTlsRowsLeftByAFullRestartThatSwitchesTlsDoNotRefuseAPlaintextJoinerWhichJoinsOnceTheyExpired() {
        Instant stoppedAt = this.cluster.clock.instant().minusSeconds(1);
        seedActive("old-a", stoppedAt.minus(Duration.ofMinutes(5)), stoppedAt, TransportSecurity.TLS);
        seedActive("old-b", stoppedAt.minus(Duration.ofMinutes(5)), stoppedAt, TransportSecurity.TLS);
        this.cluster.network.down("old-a");
        this.cluster.network.down("old-b");
        Member a = this.cluster.create("a", (settings) -> SHORT_TTL.apply(settings)
            .transportSecurity(TransportSecurity.PLAINTEXT));

        CompletableFuture<SiloEntry> joined = a.agent().start();
        this.cluster.advance(Duration.ofSeconds(2));
        assertThat(joined).as("the TLS rows are fresh but no silo renews them: silent peers, not a mismatch")
            .isNotDone();
        for (int second = 0; second < 6 && !joined.isDone(); second++) {
            this.cluster.advance(Duration.ofSeconds(1));
        }

        assertThat(joined).isCompleted();
        assertThat(this.cluster.clock.instant()).isAfter(stoppedAt.plus(Duration.ofSeconds(6)));
        assertThat(a.agent().state()).isEqualTo(MembershipState.ACTIVE);
        assertThat(this.cluster.table.read().silo("a").orElseThrow().transportSecurity())
            .isEqualTo(TransportSecurity.PLAINTEXT);
    }

    @Test
    void aPlaintextJoinerOfALiveTlsClusterLastRenewedBeforeTheJoinFailsAfterTheirNextHeartbeatWellBeforeTheTtl() {
        UnaryOperator<MembershipSettings.Builder> tls = (settings) -> SHORT_TTL.apply(settings)
            .transportSecurity(TransportSecurity.TLS);
        this.cluster.start("a", tls);
        this.cluster.start("b", tls);
        this.cluster.advance(Duration.ofMillis(500));
        this.cluster.network.down("d");
        Member d = this.cluster.create("d", (settings) -> SHORT_TTL.apply(settings)
            .transportSecurity(TransportSecurity.PLAINTEXT));
        Instant start = this.cluster.clock.instant();
        assertThat(this.cluster.table.read().silo("a").orElseThrow().lastHeartbeat()).isBefore(start);

        CompletableFuture<SiloEntry> joined = d.agent().start();
        this.cluster.advance(Duration.ZERO);
        assertThat(joined).as("a's and b's entries were renewed before the join began: not yet known alive")
            .isNotDone();
        this.cluster.advance(Duration.ofSeconds(2));

        assertThat(joined).as("decided once a and b renewed their entries, not at the silo TTL (6 s)").isDone();
        assertThatThrownBy(joined::get).cause()
            .isInstanceOf(TransportSecurityMismatchException.class)
            .hasMessageContaining("Silo d uses plaintext (no quark.cluster.transport.ssl.bundle) on its links to other "
                    + "silos, but 2 of the 2 active silos of cluster 'test', a majority, do not")
            .hasMessageContaining(" (TLS), b@127.0.0.1:")
            .hasNoCause();
        assertThat(this.cluster.table.read().silo("d").orElseThrow().status()).isEqualTo(SiloStatus.DEAD);
    }

    @Test
    void aMinorityWithAnotherTransportSecurityIsLoggedOnceAlthoughTheJoinTakesManyRounds() {
        UnaryOperator<MembershipSettings.Builder> tls = (settings) -> settings
            .transportSecurity(TransportSecurity.TLS);
        this.cluster.start("a", tls);
        this.cluster.start("e");
        this.cluster.start("f");
        this.cluster.network.cut("a", "c");
        try (LogCapture logged = LogCapture.of(JoinReachability.class)) {
            Member c = this.cluster.create("c", (settings) -> settings.transportSecurity(TransportSecurity.PLAINTEXT)
                .reachabilityTimeout(Duration.ofSeconds(4)));

            CompletableFuture<SiloEntry> joined = c.agent().start();
            this.cluster.advance(Duration.ofSeconds(6));

            assertThat(joined).as("a majority answered: joined at the reachability timeout").isCompleted();
            assertThat(logged.events()).filteredOn((event) -> event.getLevel() == Level.WARN)
                .extracting(ILoggingEvent::getFormattedMessage)
                .filteredOn((message) -> message.contains("uses plaintext"))
                .as("one WARN per join, not one per probe round")
                .singleElement()
                .asString()
                .contains("1 of the 3 active silos of cluster 'test' do not");
        }
    }

    @Test
    void aSiloTwoOfThreePeersRefuseFailsAtOnceAlthoughTheThirdAnswers() {
        this.cluster.start("a");
        this.cluster.start("b");
        this.cluster.start("c");
        this.cluster.network.refuse("a", "d");
        this.cluster.network.refuse("b", "d");
        Member d = this.cluster.create("d", (settings) -> settings.reachabilityTimeout(Duration.ofSeconds(5)));

        CompletableFuture<SiloEntry> joined = d.agent().start();
        this.cluster.advance(Duration.ofMillis(1100));

        assertThat(joined).isDone();
        assertThatThrownBy(joined::get).cause()
            .isInstanceOf(UnreachablePeersException.class)
            .hasMessageContaining("cannot reach 2 of the active silos of cluster 'test' (refused by 2 of the 3, a majority")
            .hasMessageContaining("Refused on d -> a")
            .hasMessageContaining("Refused on d -> b")
            .hasMessageNotContaining("c@127.0.0.1:");
        assertThat(this.cluster.table.read().silo("d").orElseThrow().status()).isEqualTo(SiloStatus.DEAD);
        assertThat(this.cluster.member("c").agent().current().ring().silos()).containsExactly("a", "b", "c");
    }

    @Test
    void aSiloThatOneOfThreePeersRefusesJoinsAtTheReachabilityTimeoutWithAWarningNamingIt() {
        this.cluster.start("a");
        this.cluster.start("b");
        this.cluster.start("c");
        this.cluster.network.refuse("b", "d");
        try (LogCapture logged = LogCapture.of(JoinReachability.class)) {
            Member d = this.cluster.create("d", (settings) -> settings.reachabilityTimeout(Duration.ofSeconds(3)));

            CompletableFuture<SiloEntry> joined = d.agent().start();
            this.cluster.advance(Duration.ofSeconds(2));
            assertThat(joined).as("a minority's refusal is probed again until the reachability timeout").isNotDone();
            this.cluster.advance(Duration.ofSeconds(2));

            assertThat(joined).isCompleted();
            assertThat(d.agent().state()).isEqualTo(MembershipState.ACTIVE);
            assertThat(d.events().names()).containsExactly("joined");
            assertThat(logged.events()).filteredOn((event) -> event.getLevel() == Level.WARN)
                .singleElement()
                .extracting(ILoggingEvent::getFormattedMessage)
                .asString()
                .contains("Silo d joins cluster 'test' although 1 of the 3 active silos refused it and 0 did not "
                        + "answer within PT3S (quark.cluster.reachability-timeout), as a majority answered")
                .contains("b@127.0.0.1:")
                .contains("Refused on d -> b")
                .doesNotContain("a@127.0.0.1:")
                .doesNotContain("c@127.0.0.1:");
        }
        this.cluster.advance(Duration.ofSeconds(2));
        assertThat(this.cluster.member("a").agent().current().ring().silos()).containsExactly("a", "b", "c", "d");
    }

    @Test
    void aRefusingPeerFailsTheJoinAtTheReachabilityTimeoutWhenNoMajorityAnswered() {
        this.cluster.start("a");
        this.cluster.start("b");
        this.cluster.start("c");
        this.cluster.network.refuse("a", "d");
        this.cluster.network.cut("b", "d");
        Member d = this.cluster.create("d", (settings) -> settings.reachabilityTimeout(Duration.ofSeconds(3)));

        CompletableFuture<SiloEntry> joined = d.agent().start();
        this.cluster.advance(Duration.ofSeconds(2));
        assertThat(joined).as("1 of 3 refused, 1 answered: neither is a majority yet").isNotDone();
        this.cluster.advance(Duration.ofSeconds(2));

        assertThatThrownBy(joined::get).cause()
            .isInstanceOf(UnreachablePeersException.class)
            .hasMessageContaining("Silo d cannot reach 2 of the active silos of cluster 'test' within PT3S "
                    + "(quark.cluster.reachability-timeout)")
            .hasMessageContaining("Refused on d -> a")
            .hasMessageContaining("b@127.0.0.1:")
            .hasMessageNotContaining("c@127.0.0.1:")
            .cause()
            .isInstanceOf(TestNetwork.Refusal.class);
        assertThat(this.cluster.table.read().silo("d").orElseThrow().status()).isEqualTo(SiloStatus.DEAD);
    }

    @Test
    void aSilentPeerAmongAnsweringOnesIsJoinedPastWithAWarningNamingIt() {
        this.cluster.start("a");
        this.cluster.start("b");
        this.cluster.start("c");
        this.cluster.network.cut("c", "d");
        try (LogCapture logged = LogCapture.of(JoinReachability.class)) {
            Member d = this.cluster.create("d", (settings) -> settings.reachabilityTimeout(Duration.ofSeconds(3)));

            CompletableFuture<SiloEntry> joined = d.agent().start();
            this.cluster.advance(Duration.ofSeconds(2));
            assertThat(joined).isNotDone();
            this.cluster.advance(Duration.ofSeconds(2));

            assertThat(joined).isCompleted();
            assertThat(d.agent().state()).isEqualTo(MembershipState.ACTIVE);
            assertThat(d.events().names()).containsExactly("joined");
            assertThat(logged.events()).filteredOn((event) -> event.getLevel() == Level.WARN)
                .singleElement()
                .extracting(ILoggingEvent::getFormattedMessage)
                .asString()
                .contains("Silo d joins cluster 'test' although 1 of the 3 active silos did not answer within PT3S")
                .contains("c@127.0.0.1:")
                .contains("No answer on d -> c")
                .doesNotContain("a@127.0.0.1:");
        }
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
    void anActiveRowWhoseHeartbeatExpiredDoesNotDelayTheJoin() {
        Instant now = this.cluster.clock.instant();
        seedActive("crashed", now.minus(Duration.ofMinutes(5)), now.minusSeconds(31));
        this.cluster.network.down("crashed");

        Member a = this.cluster.start("a");

        assertThat(a.agent().state()).isEqualTo(MembershipState.ACTIVE);
        this.cluster.advance(Duration.ofSeconds(2));
        assertThat(this.cluster.table.read().silo("crashed").orElseThrow().status()).isEqualTo(SiloStatus.DEAD);
        assertThat(a.agent().current().ring().silos()).containsExactly("a");
    }

    @Test
    void anActiveRowOfASiloThatCrashedAMomentAgoDelaysTheJoinUntilItExpires() {
        Instant crashedAt = this.cluster.clock.instant();
        seedActive("crashed", crashedAt.minus(Duration.ofMinutes(5)), crashedAt);
        this.cluster.network.down("crashed");
        Member a = this.cluster.create("a", SHORT_TTL);

        CompletableFuture<SiloEntry> joined = a.agent().start();
        this.cluster.advance(Duration.ofSeconds(5));
        assertThat(joined).isNotDone();
        assertThat(this.cluster.table.read().silo("a").orElseThrow().status()).isEqualTo(SiloStatus.JOINING);
        for (int second = 0; second < 3 && !joined.isDone(); second++) {
            this.cluster.advance(Duration.ofSeconds(1));
        }

        assertThat(joined).isCompleted();
        assertThat(this.cluster.clock.instant()).isAfter(crashedAt.plus(Duration.ofSeconds(6)));
        assertThat(a.agent().state()).isEqualTo(MembershipState.ACTIVE);
        this.cluster.advance(Duration.ofSeconds(2));
        assertThat(a.agent().current().ring().silos()).containsExactly("a");
    }

    @Test
    void afterAFullCrashTheSilosStartAgainAtOnceOrOnceTheCrashedRowsExpired() {
        for (String id : List.of("a", "b", "c")) {
            this.cluster.start(id, SHORT_TTL);
        }
        for (String id : List.of("a", "b", "c")) {
            this.cluster.kill(id);
        }
        this.cluster.advance(Duration.ofSeconds(1));
        Instant restart = this.cluster.clock.instant();
        this.cluster.network.up("a");
        Member a = this.cluster.create("a", SHORT_TTL);

        CompletableFuture<SiloEntry> joined = a.agent().start();
        this.cluster.advance(Duration.ofSeconds(3));
        assertThat(joined).as("b's and c's rows have not expired yet").isNotDone();
        for (int second = 0; second < 6 && !joined.isDone(); second++) {
            this.cluster.advance(Duration.ofSeconds(1));
        }
        assertThat(joined).isCompleted();
        assertThat(Duration.between(restart, this.cluster.clock.instant())).isLessThanOrEqualTo(Duration.ofSeconds(7));
        assertThat(a.agent().state()).isEqualTo(MembershipState.ACTIVE);

        for (String id : List.of("b", "c")) {
            this.cluster.network.up(id);
            Member restarted = this.cluster.start(id, SHORT_TTL);
            assertThat(restarted.agent().state()).isEqualTo(MembershipState.ACTIVE);
        }
        this.cluster.advance(Duration.ofSeconds(2));
        assertThat(a.agent().current().ring().silos()).containsExactlyInAnyOrder("a", "b", "c");
    }

    @Test
    void aSilentPeerThatKeepsRenewingItsEntryFailsTheJoinAfterTheSiloTtlWhileTheJoiningEntryIsRenewed() {
        this.cluster.start("a", SHORT_TTL);
        this.cluster.network.cut("a", "b");
        Member b = this.cluster.create("b", SHORT_TTL);

        CompletableFuture<SiloEntry> joined = b.agent().start();
        this.cluster.advance(Duration.ofSeconds(6));
        assertThat(joined).isNotDone();
        SiloEntry joining = this.cluster.table.read().silo("b").orElseThrow();
        assertThat(joining.status()).isEqualTo(SiloStatus.JOINING);
        assertThat(joining.lastHeartbeat()).isAfter(this.cluster.clock.instant().minus(Duration.ofSeconds(2)));
        this.cluster.advance(Duration.ofSeconds(2));

        assertThatThrownBy(joined::get).cause()
            .isInstanceOf(UnreachablePeersException.class)
            .hasMessageContaining("Silo b cannot reach 1 of the active silos of cluster 'test' within PT7S, and "
                    + "their entries did not expire")
            .hasMessageContaining("a@127.0.0.1:")
            .hasMessageContaining("No answer on b -> a");
        assertThat(this.cluster.table.read().silo("b").orElseThrow().status()).isEqualTo(SiloStatus.DEAD);
        assertThat(this.cluster.member("a").agent().current().ring().silos()).containsExactly("a");
    }

    @Test
    void aPeerFirstSeenInTheRoundAtTheEndOfTheWaitForExpiryIsProbedBeforeTheJoinIsDecided() {
        Instant crashedAt = this.cluster.clock.instant();
        seedActive("crashed", crashedAt.minus(Duration.ofMinutes(5)), crashedAt);
        this.cluster.network.down("crashed");
        Member a = this.cluster.create("a", SHORT_TTL);

        CompletableFuture<SiloEntry> joined = a.agent().start();
        this.cluster.advance(Duration.ofMillis(6500));
        assertThat(joined).isNotDone();
        seedActive("late", this.cluster.clock.instant(), this.cluster.clock.instant());
        for (int second = 0; second < 3 && !joined.isDone(); second++) {
            this.cluster.advance(Duration.ofSeconds(1));
        }

        assertThat(joined).as("the row that turned active at 6.5 s, first seen at the last round (7 s), answered")
            .isCompleted();
        assertThat(a.agent().state()).isEqualTo(MembershipState.ACTIVE);
    }

    @Test
    void aRefusalFirstSeenWhileTheSiloWaitsForSilentPeersToExpireFailsTheJoinSayingWhen() {
        for (String id : List.of("a", "b", "c")) {
            this.cluster.start(id, SHORT_TTL);
            this.cluster.network.cut(id, "d");
        }
        Member d = this.cluster.create("d", SHORT_TTL);

        CompletableFuture<SiloEntry> joined = d.agent().start();
        this.cluster.advance(Duration.ofSeconds(4));
        assertThat(joined).as("every peer is silent, not a majority answered: d waits for their entries to expire")
            .isNotDone();
        this.cluster.network.heal("a", "d");
        this.cluster.network.refuse("a", "d");
        this.cluster.advance(Duration.ofSeconds(2));

        assertThatThrownBy(joined::get).cause()
            .isInstanceOf(UnreachablePeersException.class)
            .hasMessageContaining("Silo d cannot reach 3 of the active silos of cluster 'test' within PT5S (a peer "
                    + "refused it after quark.cluster.reachability-timeout, PT2S, while it waited for the entries "
                    + "of silent peers to expire)")
            .hasMessageContaining("Refused on d -> a")
            .cause()
            .isInstanceOf(TestNetwork.Refusal.class);
    }

    @Test
    void aRefusalOfTheOnlyPeerFirstSeenWhileTheSiloWaitsForItsEntryToExpireFailsTheJoinAtOnce() {
        this.cluster.start("a", SHORT_TTL);
        this.cluster.network.cut("a", "b");
        Member b = this.cluster.create("b", SHORT_TTL);

        CompletableFuture<SiloEntry> joined = b.agent().start();
        this.cluster.advance(Duration.ofSeconds(4));
        assertThat(joined).isNotDone();
        this.cluster.network.heal("a", "b");
        this.cluster.network.refuse("a", "b");
        this.cluster.advance(Duration.ofSeconds(2));

        assertThatThrownBy(joined::get).cause()
            .isInstanceOf(UnreachablePeersException.class)
            .hasMessageContaining("Silo b cannot reach 1 of the active silos of cluster 'test' within PT5S (a peer "
                    + "refused it after quark.cluster.reachability-timeout, PT2S, while it waited for the entries "
                    + "of silent peers to expire)")
            .hasMessageNotContaining("without waiting for quark.cluster.reachability-timeout")
            .hasMessageContaining("Refused on b -> a");
    }

    @Test
    void aMajorityRefusalDecidedAtTheReachabilityTimeoutDoesNotSayItDidNotWaitForIt() {
        this.cluster.start("a");
        this.cluster.start("b");
        this.cluster.network.refuse("a", "c");
        this.cluster.network.refuse("b", "c");
        Member c = this.cluster.create("c", (settings) -> settings.reachabilityTimeout(Duration.ofSeconds(1)));

        CompletableFuture<SiloEntry> joined = c.agent().start();
        this.cluster.advance(Duration.ofMillis(1100));

        assertThatThrownBy(joined::get).cause()
            .isInstanceOf(UnreachablePeersException.class)
            .hasMessageContaining("Silo c cannot reach 2 of the active silos of cluster 'test' (refused by 2 of the 2, "
                    + "a majority, within PT1S, in 2 probe rounds in a row)")
            .hasMessageNotContaining("without waiting for quark.cluster.reachability-timeout");
    }

    @Test
    void theOnlyPeerRefusingForOneRoundDoesNotFailTheJoin() {
        this.cluster.start("a");
        this.cluster.network.refuse("a", "b");
        Member b = this.cluster.create("b", (settings) -> settings.reachabilityTimeout(Duration.ofSeconds(5)));

        CompletableFuture<SiloEntry> joined = b.agent().start();
        this.cluster.advance(Duration.ofMillis(100));
        assertThat(joined).as("a certificate reloaded on a: one round of refusals").isNotDone();
        this.cluster.network.heal("a", "b");
        this.cluster.advance(Duration.ofSeconds(2));

        assertThat(joined).isCompleted();
        assertThat(b.agent().state()).isEqualTo(MembershipState.ACTIVE);
        assertThat(b.agent().current().ring().silos()).containsExactly("a", "b");
    }

    @Test
    void aRefusalOfAnEarlierRoundIsNotCountedAgainWhileThePeerHasNotAnsweredThisRound() {
        this.cluster.start("a");
        this.cluster.start("b");
        this.cluster.start("c");
        this.cluster.network.refuse("a", "d");
        this.cluster.network.refuse("b", "d");
        Member d = this.cluster.create("d", (settings) -> settings.reachabilityTimeout(Duration.ofSeconds(10)));

        CompletableFuture<SiloEntry> joined = d.agent().start();
        this.cluster.advance(Duration.ofMillis(100));
        assertThat(joined).as("one round of refusals by a majority").isNotDone();
        this.cluster.network.heal("a", "d");
        this.cluster.network.heal("b", "d");
        this.cluster.network.stall("a", "d");
        this.cluster.network.stall("b", "d");
        this.cluster.advance(Duration.ofMillis(2500));
        assertThat(joined).as("the next round's timer fired before a and b answered: their refusals of the round "
                + "before do not count again").isNotDone();
        this.cluster.network.heal("a", "d");
        this.cluster.network.heal("b", "d");
        this.cluster.advance(Duration.ofSeconds(2));

        assertThat(joined).isCompleted();
        assertThat(d.agent().state()).isEqualTo(MembershipState.ACTIVE);
    }

    @Test
    void aSiloWhoseRejoinsAreRefusedBacksOffInsteadOfRetryingEveryHeartbeat() {
        this.cluster.start("a", SHORT_TTL);
        this.cluster.start("b", SHORT_TTL);
        Member c = this.cluster.start("c", SHORT_TTL);
        this.cluster.network.cut("a", "c");
        this.cluster.network.cut("b", "c");
        this.cluster.advance(Duration.ofSeconds(3));
        assertThat(c.agent().state()).as("voted dead").isEqualTo(MembershipState.REJOINING);
        this.cluster.network.heal("a", "c");
        this.cluster.network.heal("b", "c");
        this.cluster.network.refuse("a", "c");
        this.cluster.network.refuse("b", "c");

        List<String> refusedRejoins;
        try (LogCapture logged = LogCapture.of(SiloMembership.class)) {
            this.cluster.advance(Duration.ofSeconds(20));
            refusedRejoins = logged.messages(Level.WARN)
                .stream()
                .filter((message) -> message.startsWith("Silo c could not rejoin cluster 'test' (refused;"))
                .toList();
        }
        assertThat(refusedRejoins).as("one every heartbeat (1 s) would be about 10 in 20 s; backed off 2, 4, 6 "
                + "(the TTL), 6 s").hasSizeBetween(2, 6);
        assertThat(refusedRejoins.get(0)).contains("it tries again in PT2S");
        assertThat(refusedRejoins.get(1)).contains("it tries again in PT4S");
        assertThat(c.events().names()).doesNotContain("rejoined");

        this.cluster.network.heal("a", "c");
        this.cluster.network.heal("b", "c");
        this.cluster.advance(Duration.ofSeconds(40));
        assertThat(c.events().names()).contains("rejoined");
        assertThat(c.agent().state()).isEqualTo(MembershipState.ACTIVE);
    }

    @Test
    void aSiloWhoseRejoinsFailOnATransportSecurityMismatchBacksOffInsteadOfRetryingEveryHeartbeat() {
        UnaryOperator<MembershipSettings.Builder> tls = (settings) -> SHORT_TTL.apply(settings)
            .transportSecurity(TransportSecurity.TLS);
        this.cluster.start("a", tls);
        this.cluster.start("b", tls);
        this.cluster.advance(Duration.ofMillis(500));
        // Joins between a's and b's heartbeats, every probe answered (the test network does not speak TLS).
        Member c = this.cluster.start("c", (settings) -> SHORT_TTL.apply(settings)
            .transportSecurity(TransportSecurity.PLAINTEXT));
        List<String> failedRejoins;
        try (LogCapture logged = LogCapture.of(SiloMembership.class)) {
            this.cluster.network.cut("a", "c");
            this.cluster.network.cut("b", "c");
            this.cluster.advance(Duration.ofSeconds(3));
            assertThat(c.agent().state()).as("voted dead").isEqualTo(MembershipState.REJOINING);
            this.cluster.advance(Duration.ofSeconds(20));
            failedRejoins = logged.messages(Level.WARN)
                .stream()
                .filter((message) -> message.startsWith("Silo c could not rejoin cluster 'test'"))
                .toList();
        }
        assertThat(failedRejoins).as("one every heartbeat (1 s) would be about 20 in 20 s; backed off 2, 4, 6 "
                + "(the TTL), 6 s").hasSizeBetween(2, 7);
        assertThat(failedRejoins).allSatisfy((message) -> assertThat(message)
            .startsWith("Silo c could not rejoin cluster 'test' (transport security mismatch; it tries again in ")
            .contains("Silo c uses plaintext (no quark.cluster.transport.ssl.bundle)"));
        assertThat(failedRejoins.get(0)).contains("it tries again in PT2S");
        assertThat(failedRejoins.get(1)).contains("it tries again in PT4S");
        assertThat(c.events().names()).doesNotContain("rejoined");
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

    /** Writes an active entry of a silo that is not running, as a silo that crashed leaves behind. */
    private void seedActive(String siloId, Instant started, Instant lastHeartbeat) {
        seedActive(siloId, started, lastHeartbeat, TransportSecurity.UNKNOWN);
    }

    /** Writes an active entry of a silo that is not running, publishing the given transport security. */
    private void seedActive(String siloId, Instant started, Instant lastHeartbeat, TransportSecurity security) {
        new TableUpdater(this.cluster.table).update("seed the entry of " + siloId, (read) -> new SiloEntry(siloId,
                new SiloAddress("127.0.0.1", 7999), started, SiloStatus.ACTIVE, lastHeartbeat,
                started.toEpochMilli(), Set.of("Counter"), List.of(), security));
    }
}
