package dev.quark.testkit.cluster;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.actor.RequestContext;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.routing.RoutingMetrics;
import dev.quark.cluster.transport.grpc.EnvelopeRejectedException;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Over gRPC: a call whose envelope is beyond the bounds every silo receives envelopes within (here a blank metadata
 * key an application put in its request context) is refused by the calling silo before it is written: a request's
 * caller gets the failure at once, and a one-way call, whose caller is not told, is logged at WARN naming the actor
 * and counted as a call that could not be delivered.
 */
class GrpcEnvelopeBoundsTests {

    private final TallyEnvironment environment = new TallyEnvironment();

    /** The calls silo-0 counted as failed for a membership reason: those it could not deliver. */
    private final List<Throwable> failed = new CopyOnWriteArrayList<>();

    private TallyCluster cluster;

    @AfterEach
    void close() {
        if (this.cluster != null) {
            this.cluster.close();
        }
    }

    @Test
    void callsWithABlankMetadataKeyAreRefusedByTheCallingSiloTheOneWayLoggedAndCounted() {
        GrpcTransportSettings settings = GrpcTransportSettings.builder("bounds").build();
        this.cluster = new TallyCluster(this.environment, TallyCluster.builder(this.environment, 2, (runtime) -> {
        })
            .routing((routing) -> routing.metrics(new RoutingMetrics() {

                @Override
                public void failedForMembership(Throwable failure) {
                    GrpcEnvelopeBoundsTests.this.failed.add(failure);
                }
            }))
            .transport((siloId) -> GrpcTransport.selfHosted(settings, new InetSocketAddress("127.0.0.1", 0), null)));
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        assertThat(tally.add(1)).isEqualTo(1);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        Logger logger = (Logger) LoggerFactory.getLogger("dev.quark.cluster.routing.ClusterRouter");
        logger.addAppender(logged);
        try (RequestContext.Scope scope = RequestContext.of("r-1", Map.of(" ", "v")).open()) {
            assertThatThrownBy(() -> tally.add(1)).isInstanceOf(SiloUnavailableException.class)
                .hasMessageContaining("metadata key ' ' is blank")
                .cause()
                .isInstanceOf(EnvelopeRejectedException.class);
            tally.addOneWay(1);
            await().atMost(TallyEnvironment.timeout()).until(() -> this.failed.size() == 2);
        }
        finally {
            logger.detachAppender(logged);
        }
        assertThat(this.failed).allSatisfy((failure) -> assertThat(failure).isInstanceOf(SiloUnavailableException.class)
            .hasCauseInstanceOf(EnvelopeRejectedException.class));
        assertThat(logged.list).filteredOn((event) -> event.getLevel() == Level.WARN)
            .singleElement()
            .satisfies((event) -> assertThat(event.getFormattedMessage())
                .startsWith("Dropped one-way call Tally/" + id + ".addOneWay() to silo silo-1: Silo silo-0 did not send ONE_WAY #")
                .contains("metadata key ' ' is blank"));
        assertThat(tally.total()).as("neither call reached the actor").isEqualTo(1);
    }
}
