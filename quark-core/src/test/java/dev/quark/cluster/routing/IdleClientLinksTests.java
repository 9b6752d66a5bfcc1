package dev.quark.cluster.routing;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.runtime.InvalidSettingException;
import dev.quark.runtime.fixtures.SettableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdleClientLinksTests {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private static final Duration IDLE = Duration.ofMinutes(1);

    private static final Duration RENEW_AFTER = IDLE.dividedBy(8);

    private final GrpcTransport transport = GrpcTransport.selfHosted(GrpcTransportSettings.builder("bank").build(),
            new InetSocketAddress("127.0.0.1", 0), null);

    private final SettableClock clock = new SettableClock();

    private final IdleClientLinks links = new IdleClientLinks("a", this.transport, this.clock, IDLE,
            RoutingMetrics.NONE);

    // Nobody listens at these; links are opened on send all the same.
    private final SiloAddress silo = new SiloAddress("127.0.0.1", 2);

    private final SiloAddress client = new SiloAddress("127.0.0.1", 3);

    private SiloAddress self;

    @BeforeEach
    void start() {
        this.self = this.transport.start("a", (envelope) -> { });
        this.links.accept(view(1, entry("a", this.self, SiloStatus.ACTIVE), entry("b", this.silo, SiloStatus.ACTIVE)));
    }

    @AfterEach
    void close() {
        this.links.close();
        this.transport.close();
    }

    @Test
    void linksToAClientNotHeardFromForTheIdleTimeoutAreClosedAndItsNextAnswerOpensThemAgain() {
        this.links.heardFrom(this.client);
        answer(this.client);
        request(this.silo);
        assertThat(this.transport.peers()).containsExactlyInAnyOrder(this.client, this.silo);
        this.clock.advance(IDLE);
        assertThat(this.links.sweep()).isZero();
        assertThat(this.transport.peers()).containsExactlyInAnyOrder(this.client, this.silo);
        this.clock.advance(RENEW_AFTER);
        assertThat(this.links.sweep()).isOne();
        assertThat(this.transport.peers()).containsExactly(this.silo);
        assertThat(this.links.clients()).isZero();
        // Not refused as a departed silo's address would be: the client's next call gets its answer.
        this.links.heardFrom(this.client);
        answer(this.client);
        assertThat(this.transport.peers()).containsExactlyInAnyOrder(this.client, this.silo);
    }

    @Test
    void aClientHeardFromAgainWithinTheIdleTimeoutKeepsItsLinks() {
        this.links.heardFrom(this.client);
        answer(this.client);
        this.clock.advance(IDLE.dividedBy(2));
        this.links.heardFrom(this.client);
        this.clock.advance(IDLE.dividedBy(2).plusSeconds(1));
        assertThat(this.links.sweep()).isZero();
        assertThat(this.transport.peers()).contains(this.client);
    }

    @Test
    void aBusyClientsTimeIsRenewedOnlyOnceItIsAnEighthOfTheTimeoutOld() {
        this.links.heardFrom(this.client);
        long first = this.clock.millis();
        this.clock.advance(RENEW_AFTER.minusMillis(1));
        this.links.heardFrom(this.client);
        assertThat(this.links.heardAt(this.client)).as("not written again").isEqualTo(first);
        this.clock.advance(Duration.ofMillis(1));
        this.links.heardFrom(this.client);
        assertThat(this.links.heardAt(this.client)).isEqualTo(this.clock.millis());
    }

    @Test
    void aClientWhoseTimeWasNotRenewedKeepsItsLinksForTheWholeIdleTimeout() {
        this.links.heardFrom(this.client);
        answer(this.client);
        this.clock.advance(RENEW_AFTER.minusSeconds(1));
        this.links.heardFrom(this.client);
        this.clock.advance(IDLE.minusSeconds(1));
        assertThat(this.links.sweep()).as("heard from %s ago", IDLE.minusSeconds(1)).isZero();
        assertThat(this.transport.peers()).contains(this.client);
        this.clock.advance(Duration.ofSeconds(1));
        assertThat(this.links.sweep()).as("may go up to an eighth of the timeout later").isZero();
        this.clock.advance(RENEW_AFTER);
        assertThat(this.links.sweep()).isOne();
    }

    @Test
    void theClientsHeardFromAreKnownByTheIdAndIncarnationTheirEnvelopesCarryUntilTheyGoIdle() {
        this.links.heardFrom(this.client, "client-1", 0);
        this.links.heardFrom(this.silo, "b", 1);
        assertThat(this.links.clientsHeardFrom()).containsExactly(new Peer("client-1", 0, this.client));
        // Another client now listens at that address.
        this.links.heardFrom(this.client, "client-2", 0);
        assertThat(this.links.clientsHeardFrom()).containsExactly(new Peer("client-2", 0, this.client));
        this.clock.advance(IDLE.plus(RENEW_AFTER));
        this.links.sweep();
        assertThat(this.links.clientsHeardFrom()).isEmpty();
    }

    @Test
    void aClientAddressWhereASiloOfTheViewNowLivesIsNoClientAnyMore() {
        this.links.heardFrom(this.client, "client-1", 0);
        this.links.accept(view(2, entry("a", this.self, SiloStatus.ACTIVE), entry("b", this.silo, SiloStatus.ACTIVE),
                entry("c", this.client, SiloStatus.ACTIVE)));
        assertThat(this.links.clientsHeardFrom()).isEmpty();
    }

    @Test
    void linksToTheSilosOfTheViewAreKeptHoweverQuiet() {
        this.links.heardFrom(this.silo);
        this.links.heardFrom(this.self);
        request(this.silo);
        assertThat(this.links.clients()).isZero();
        this.clock.advance(Duration.ofHours(1));
        assertThat(this.links.sweep()).isZero();
        assertThat(this.transport.peers()).containsExactly(this.silo);
    }

    @Test
    void linksNothingWasHeardFromGetTheIdleTimeoutFromTheSweepThatFindsThem() {
        // A late answer to a client already let go of opens links again, without a request from there.
        answer(this.client);
        this.clock.advance(Duration.ofHours(1));
        assertThat(this.links.sweep()).isZero();
        this.clock.advance(IDLE.plus(RENEW_AFTER));
        assertThat(this.links.sweep()).isOne();
        assertThat(this.transport.peers()).isEmpty();
    }

    @Test
    void aClientAddressASiloOfANewViewTakesOverIsNoLongerTakenForAClient() {
        this.links.heardFrom(this.client);
        answer(this.client);
        this.links.accept(view(2, entry("a", this.self, SiloStatus.ACTIVE), entry("b", this.silo, SiloStatus.ACTIVE),
                entry("c", this.client, SiloStatus.ACTIVE)));
        this.clock.advance(Duration.ofHours(1));
        assertThat(this.links.sweep()).isZero();
        assertThat(this.links.clients()).isZero();
        assertThat(this.transport.peers()).contains(this.client);
    }

    @Test
    void theHeldClientLinksAreTheAddressesNoSiloOfTheViewLivesAtDeadOrNotAndNoneBeforeTheFirstView() {
        SiloAddress dead = new SiloAddress("127.0.0.1", 4);
        request(this.silo);
        request(dead);
        answer(this.client);
        IdleClientLinks beforeAView = new IdleClientLinks("a", this.transport, this.clock, IDLE, RoutingMetrics.NONE);
        try {
            assertThat(beforeAView.heldLinks()).as("silos cannot be told from clients yet").isZero();
        }
        finally {
            beforeAView.close();
        }
        assertThat(this.links.heldLinks()).as("the client and the address of no silo yet").isEqualTo(2);
        this.links.accept(view(2, entry("a", this.self, SiloStatus.ACTIVE), entry("b", this.silo, SiloStatus.ACTIVE),
                entry("d", dead, SiloStatus.DEAD)));
        assertThat(this.links.heldLinks()).as("the dead silo's links are no client's").isOne();
    }

    @Test
    void closingTheRoutingUnbindsTheGaugeOfItsClientLinksOnce() {
        AtomicInteger bound = new AtomicInteger();
        AtomicInteger unbound = new AtomicInteger();
        RoutingMetrics metrics = new RoutingMetrics() {

            @Override
            public Runnable bindClientLinks(IntSupplier clientLinks) {
                bound.incrementAndGet();
                return unbound::incrementAndGet;
            }
        };
        GrpcTransport own = GrpcTransport.selfHosted(GrpcTransportSettings.builder("bank").build(),
                new InetSocketAddress("127.0.0.1", 0), null);
        SiloRouting routing = SiloRouting.builder("b", own).metrics(metrics).build();
        assertThat(bound).hasValue(1);
        assertThat(unbound).hasValue(0);
        routing.close();
        routing.close();
        assertThat(unbound).hasValue(1);
    }

    @Test
    void theIdleTimeoutMustBePositive() {
        for (Duration bad : List.of(Duration.ZERO, Duration.ofSeconds(-1))) {
            assertThatThrownBy(() -> SiloRouting.builder("a", this.transport).clientLinkIdleTimeout(bad))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessage("clientLinkIdleTimeout must be positive, was " + bad);
        }
    }

    private void answer(SiloAddress target) {
        this.transport.send(target, envelope(target, "client-1", Envelope.Kind.RESPONSE));
    }

    private void request(SiloAddress target) {
        this.transport.send(target, envelope(target, "b", Envelope.Kind.REQUEST));
    }

    private Envelope envelope(SiloAddress target, String targetSilo, Envelope.Kind kind) {
        return new Envelope(1, 1, kind, "a", 1, this.self, targetSilo, 1, "account", "acc-1", 7, new byte[4], 42,
                "req-1", Map.of(), System.currentTimeMillis() + 60_000, 3, 0);
    }

    private static ClusterView view(long version, SiloEntry... entries) {
        return ClusterView.of(MembershipSnapshot.of(version, List.of(entries)), 8);
    }

    private static SiloEntry entry(String siloId, SiloAddress address, SiloStatus status) {
        return new SiloEntry(siloId, address, NOW, status, NOW, 1, Set.of("account"), List.of());
    }
}
