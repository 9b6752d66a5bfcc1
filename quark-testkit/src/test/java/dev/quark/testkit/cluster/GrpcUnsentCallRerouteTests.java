package dev.quark.testkit.cluster;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.routing.RoutingMetrics;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.ForwardingTransport;
import dev.quark.cluster.transport.Transport;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.cluster.transport.grpc.LinkBrokenException;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Over gRPC: a call to a silo that left and whose server is gone, while the caller's view still names it, is
 * refused by the connection (nobody listens at its port any more), or by the link's back-off after the leaver
 * closed a stream of the caller's; the transport fails the send, the envelope was not handed over, and the caller
 * routes the call again to the actor's new owner.
 */
class GrpcUnsentCallRerouteTests {

    private final TallyEnvironment environment = new TallyEnvironment();

    private final List<String> rerouted = new CopyOnWriteArrayList<>();

    /** The failures of silo-0's sends of calls, as its transport reported them. */
    private final List<Throwable> sendFailures = new CopyOnWriteArrayList<>();

    @AutoClose
    private TallyCluster cluster;

    private RecordedSends staleTransport;

    @Test
    void callRefusedByTheConnectionToASiloWhoseServerIsGoneIsRoutedAgainToTheNewOwner() {
        GrpcTransportSettings settings = GrpcTransportSettings.builder("unsent-reroute").build();
        this.cluster = new TallyCluster(this.environment, TallyCluster
            .builder(this.environment, 3, (runtime) -> {
            })
            .routing((routing) -> routing.metrics(new RoutingMetrics() {

                @Override
                public void rerouted(String refusingSiloId) {
                    GrpcUnsentCallRerouteTests.this.rerouted.add(refusingSiloId);
                }
            }))
            .transport((siloId) -> {
                GrpcTransport transport = GrpcTransport.selfHosted(settings, new InetSocketAddress("127.0.0.1", 0),
                        null);
                if (!siloId.equals("silo-0")) {
                    return transport;
                }
                this.staleTransport = new RecordedSends(transport, this.sendFailures);
                return this.staleTransport;
            }));
        TestSilo stale = this.cluster.silo(0);
        String id = this.cluster.idOwnedBy("silo-1");
        SiloAddress leaver = this.cluster.silo(1).address();
        stale.holdViews();
        this.cluster.cluster().stopSilo(1);
        // silo-0 may still hold a stream the leaver closed without having learnt it yet: a request written there would
        // be in doubt, not unsent (another case). Closing silo-0's links to the leaver makes the call open a new one,
        // which the gone server refuses before anything is written.
        this.staleTransport.disconnect(leaver);
        assertThat(this.cluster.ownerOf(id, stale)).as("the stale view's owner").isEqualTo("silo-1");

        assertThat(stale.get(Tally.class, id).add(3)).isEqualTo(3);
        assertThat(stale.get(Tally.class, id).where()).isEqualTo("silo-2");
        // The leave's notice answered on the call lane may have left silo-0 a stream the leaver closed: then the
        // send fails during the link's back-off after that close, before a new stream is refused by the connection.
        // Either way the envelope was never written.
        assertThat(this.sendFailures).as("refused by the connection or the link's back-off, not written")
            .singleElement()
            .isInstanceOf(LinkBrokenException.class)
            .satisfies((failure) -> assertThat(failure.getMessage()).containsAnyOf("Connection refused",
                    "is down after"));
        assertThat(this.rerouted).containsExactly("silo-1");
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /** A transport that records the failures of the calls it could not hand over. */
    private static final class RecordedSends extends ForwardingTransport {

        private final List<Throwable> failures;

        RecordedSends(Transport transport, List<Throwable> failures) {
            super(transport);
            this.failures = failures;
        }

        @Override
        public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
            CompletionStage<Void> sent = super.send(target, envelope);
            if (envelope.kind() != Envelope.Kind.REQUEST) {
                return sent;
            }
            // The stage the routing gets is the one that records: a failure is recorded before the routing hears
            // of it (callbacks on one stage run in no set order), so the test sees it once the call has failed.
            return sent.whenComplete((ignored, failure) -> {
                if (failure != null) {
                    this.failures.add(failure);
                }
            });
        }
    }
}
