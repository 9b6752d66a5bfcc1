package dev.quark.testkit.cluster;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.quark.actor.CallRejectedException;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.grpc.EnvelopeRejectedException;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Over gRPC: a call that a silo passes on to the actor's owner, and that the owner refuses as too large for its
 * {@code max-message-size}, reaches its caller as a {@link CallRejectedException} (sending it again cannot
 * succeed), not as the owner being unavailable. The caller here is an outsider on the cluster's network that sends
 * the call to a silo that does not own the actor, as a silo with an older view would.
 */
class ForwardedCallRejectedTests {

    /** silo-1, the owner, receives envelopes of at most this many bytes; silo-0 and the caller 4 MiB. */
    private static final int SMALL_LIMIT = 2048;

    private final TallyEnvironment environment = new TallyEnvironment();

    private final BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();

    private TallyCluster cluster;

    private GrpcTransport outsider;

    @AfterEach
    void close() {
        if (this.outsider != null) {
            this.outsider.close();
        }
        if (this.cluster != null) {
            this.cluster.close();
        }
    }

    @Test
    void aCallThatTheOwnerRefusesAsTooLargeWhenItIsPassedOnReachesTheCallerAsRejected() throws Exception {
        this.cluster = new TallyCluster(this.environment, TallyCluster.builder(this.environment, 2, (runtime) -> {
        })
            .transport((siloId) -> GrpcTransport.selfHosted(settings(siloId.equals("silo-1") ? SMALL_LIMIT
                    : 4 * 1024 * 1024), new InetSocketAddress("127.0.0.1", 0), null)));
        this.outsider = GrpcTransport.selfHosted(settings(4 * 1024 * 1024), new InetSocketAddress("127.0.0.1", 0),
                null);
        SiloAddress outsiderAddress = this.outsider.start("outsider", this.received::add);
        String id = this.cluster.idOwnedBy("silo-1");
        SiloEntry passer = this.cluster.silo(0).routing().view().silo("silo-0").orElseThrow();
        Envelope call = new Envelope(1, 1, Envelope.Kind.REQUEST, "outsider", 1, outsiderAddress, passer.siloId(),
                passer.epoch(), "Tally", id, ClusterEnvelopeTests.methodId("add(long)"),
                "[1]".getBytes(StandardCharsets.UTF_8), 7, "r-1", Map.of("padding", "x".repeat(2 * SMALL_LIMIT)),
                System.currentTimeMillis() + TallyEnvironment.timeout().toMillis(), 0, 0);

        this.outsider.send(passer.address(), call).toCompletableFuture().get(10, TimeUnit.SECONDS);

        Envelope answer = this.received.poll(TallyEnvironment.timeout().toMillis(), TimeUnit.MILLISECONDS);
        assertThat(answer).as("the answer of silo-0").isNotNull();
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.ERROR);
        Throwable failure = new JacksonPayloadCodec(JsonMapper.builder().build(), this.cluster.silo(0).runtime(),
                List.of())
            .decodeFailure(answer.payload());
        // The old code answered with a SiloUnavailableException, which callers may retry.
        assertThat(failure).isInstanceOfSatisfying(CallRejectedException.class, (rejected) -> {
            assertThat(rejected.getActor()).isEqualTo("Tally/" + id);
            assertThat(rejected.getMethod()).isEqualTo("add");
            assertThat(rejected.getReason()).isEqualTo(CallRejectedException.Reason.TOO_LARGE);
        });
        assertThat(failure).hasMessageContaining("passed on by silo silo-0 to silo silo-1")
            .hasCauseInstanceOf(EnvelopeRejectedException.class);
        assertThat(failure.getCause()).hasMessageContaining("more than the receiving silo's "
                + "quark.cluster.transport.max-message-size (" + SMALL_LIMIT + " bytes)");
        assertThat(this.cluster.silo(0).get(Tally.class, id).total()).as("the call ran nowhere").isZero();
    }

    private static GrpcTransportSettings settings(int maxMessageSize) {
        return GrpcTransportSettings.builder("bounds").maxMessageSize(maxMessageSize).build();
    }
}
