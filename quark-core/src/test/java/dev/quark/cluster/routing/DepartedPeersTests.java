package dev.quark.cluster.routing;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DepartedPeersTests {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @AutoClose
    private final GrpcTransport transport = GrpcTransport.selfHosted(GrpcTransportSettings.builder("bank").build(),
            new InetSocketAddress("127.0.0.1", 0), null);

    private SiloAddress self;

    @Test
    void aLinkALateProbeReopenedToAForgottenAddressIsClosedByTheNextView() {
        this.self = this.transport.start("a", (envelope) -> { });
        // Nobody listens there; the links are opened on send all the same.
        SiloAddress gone = new SiloAddress("127.0.0.1", 1);
        SiloAddress live = new SiloAddress("127.0.0.1", 2);
        DepartedPeers departedPeers = new DepartedPeers("a", this.transport);
        departedPeers.accept(view(1, entry("a", this.self, SiloStatus.ACTIVE), entry("b", gone, SiloStatus.ACTIVE),
                entry("c", live, SiloStatus.ACTIVE)));
        this.transport.send(live, envelope(live, "c", Envelope.Kind.REQUEST));
        this.transport.send(gone, envelope(gone, "b", Envelope.Kind.REQUEST));
        departedPeers.accept(view(2, entry("a", this.self, SiloStatus.ACTIVE), entry("b", gone, SiloStatus.DEAD),
                entry("c", live, SiloStatus.ACTIVE)));
        assertThat(this.transport.peers()).containsExactly(live);
        // A late probe (relayed for another silo) to the forgotten address opens links there again.
        this.transport.send(gone, envelope(gone, "b", Envelope.Kind.PROBE));
        assertThat(this.transport.peers()).containsExactlyInAnyOrder(live, gone);
        departedPeers.accept(view(3, entry("a", this.self, SiloStatus.ACTIVE), entry("c", live, SiloStatus.ACTIVE)));
        assertThat(this.transport.peers()).containsExactly(live);
    }

    @Test
    void linksToAClusterClientWhereNoSiloEverLivedAreKeptSoThatItsAnswersGoOut() {
        this.self = this.transport.start("a", (envelope) -> { });
        SiloAddress client = new SiloAddress("127.0.0.1", 3);
        SiloAddress other = new SiloAddress("127.0.0.1", 4);
        DepartedPeers departedPeers = new DepartedPeers("a", this.transport);
        departedPeers.accept(view(1, entry("a", this.self, SiloStatus.ACTIVE)));
        // The answer to a client's call opens links to the client, which is in no view.
        this.transport.send(client, envelope(client, "client-1", Envelope.Kind.RESPONSE));
        departedPeers.accept(view(2, entry("a", this.self, SiloStatus.ACTIVE), entry("b", other, SiloStatus.ACTIVE)));
        departedPeers.accept(view(3, entry("a", this.self, SiloStatus.ACTIVE)));
        assertThat(this.transport.peers()).containsExactly(client);
    }

    @Test
    void aClusterClientAtTheAddressOfASiloThatLeftGetsItsAnswersOnceItsRequestArrived() {
        this.self = this.transport.start("a", (envelope) -> { });
        SiloAddress recycled = new SiloAddress("127.0.0.1", 5);
        DepartedPeers departedPeers = new DepartedPeers("a", this.transport);
        departedPeers.accept(view(1, entry("a", this.self, SiloStatus.ACTIVE), entry("b", recycled, SiloStatus.ACTIVE)));
        departedPeers.accept(view(2, entry("a", this.self, SiloStatus.ACTIVE)));
        assertThat(this.transport.send(recycled, envelope(recycled, "client-1", Envelope.Kind.RESPONSE))
            .toCompletableFuture()).isCompletedExceptionally();
        // A cluster client now listens where silo b did; it calls silo a, which never calls it.
        departedPeers.heardFrom(recycled);
        this.transport.send(recycled, envelope(recycled, "client-1", Envelope.Kind.RESPONSE));
        assertThat(this.transport.peers()).contains(recycled);
        departedPeers.accept(view(3, entry("a", this.self, SiloStatus.ACTIVE), entry("c", new SiloAddress("127.0.0.1", 6),
                SiloStatus.ACTIVE)));
        assertThat(this.transport.peers()).contains(recycled);
    }

    @Test
    void linksToASiloFirstSeenAlreadyDeadAreClosed() {
        this.self = this.transport.start("a", (envelope) -> { });
        SiloAddress dead = new SiloAddress("127.0.0.1", 7);
        DepartedPeers departedPeers = new DepartedPeers("a", this.transport);
        // A late probe, relayed for another silo, to a silo this one never saw alive.
        this.transport.send(dead, envelope(dead, "b", Envelope.Kind.PROBE));
        departedPeers.accept(view(1, entry("a", this.self, SiloStatus.ACTIVE), entry("b", dead, SiloStatus.DEAD)));
        assertThat(this.transport.peers()).doesNotContain(dead);
    }

    @Test
    void aClusterClientHeardFromAtTheAddressOfADeadEntryKeepsItsLinksOverLaterViews() {
        this.self = this.transport.start("a", (envelope) -> { });
        SiloAddress recycled = new SiloAddress("127.0.0.1", 8);
        DepartedPeers departedPeers = new DepartedPeers("a", this.transport);
        departedPeers.accept(view(1, entry("a", this.self, SiloStatus.ACTIVE), entry("b", recycled, SiloStatus.DEAD)));
        departedPeers.heardFrom(recycled);
        this.transport.send(recycled, envelope(recycled, "client-1", Envelope.Kind.RESPONSE));
        departedPeers.accept(view(2, entry("a", this.self, SiloStatus.ACTIVE), entry("b", recycled, SiloStatus.DEAD),
                entry("c", new SiloAddress("127.0.0.1", 9), SiloStatus.ACTIVE)));
        assertThat(this.transport.peers()).contains(recycled);
    }

    @Test
    void linksToTheSilosOwnAddressAreKept() {
        this.self = this.transport.start("a", (envelope) -> { });
        DepartedPeers departedPeers = new DepartedPeers("a", this.transport);
        this.transport.send(this.self, envelope(this.self, "a", Envelope.Kind.PROBE));
        departedPeers.accept(view(1, entry("a", this.self, SiloStatus.ACTIVE)));
        assertThat(this.transport.peers()).containsExactly(this.self);
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
