package dev.quark.testkit.cluster;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.actor.CallRejectedException;
import dev.quark.actor.RequestContext;
import dev.quark.cluster.routing.RoutingMetrics;
import dev.quark.cluster.transport.grpc.EnvelopeRejectedException;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * Over gRPC: a call whose envelope is beyond the bounds every silo receives envelopes within (here a blank metadata
 * key an application put in its request context), or larger than the sending or the receiving silo's
 * {@code max-message-size}, fails with a {@link CallRejectedException} saying why: it is not routed again nor
 * retried, a one-way call's caller gets it at once when its own silo refuses to send it, and it is counted as
 * rejected, not as failed for a membership reason.
 */
class GrpcEnvelopeBoundsTests {

    /** silo-1 receives envelopes of at most this many bytes; silo-0 the default, 4 MiB. */
    private static final int SMALL_LIMIT = 2048;

    private final TallyEnvironment environment = new TallyEnvironment();

    private final List<Throwable> failed = new CopyOnWriteArrayList<>();

    private final List<CallRejectedException> rejected = new CopyOnWriteArrayList<>();

    private final List<String> retried = new CopyOnWriteArrayList<>();

    private final List<String> rerouted = new CopyOnWriteArrayList<>();

    @AutoClose
    private TallyCluster cluster;

    @Test
    void callsWithABlankMetadataKeyAreRejectedByTheCallingSiloTheOneWayAtOnceAndCountedAsRejected() {
        start();
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        assertThat(tally.add(1)).isEqualTo(1);
        try (RequestContext.Scope scope = RequestContext.of("r-1", Map.of(" ", "v")).open()) {
            CallRejectedException request = catchThrowableOfType(CallRejectedException.class, () -> tally.add(1));
            assertRejected(request, id, "add", CallRejectedException.Reason.BEYOND_BOUNDS);
            assertThat(request).hasMessageContaining("metadata key ' ' is blank");
            // The old code returned normally: the caller of a one-way call was not told.
            CallRejectedException oneWay = catchThrowableOfType(CallRejectedException.class, () -> tally.addOneWay(1));
            assertRejected(oneWay, id, "addOneWay", CallRejectedException.Reason.BEYOND_BOUNDS);
        }
        await().atMost(TallyEnvironment.timeout()).until(() -> this.rejected.size() == 2);
        assertThat(this.rejected).extracting(CallRejectedException::getReason)
            .containsOnly(CallRejectedException.Reason.BEYOND_BOUNDS);
        assertThat(this.failed).as("not counted as failed for a membership reason").isEmpty();
        assertThat(tally.total()).as("neither call reached the actor").isEqualTo(1);
    }

    @Test
    void aCallLargerThanTheReceivingSilosLimitIsRejectedThereAndTheCallerToldWhy() {
        start();
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        try (RequestContext.Scope scope = RequestContext.of("r-2", Map.of("padding", "x".repeat(2 * SMALL_LIMIT)))
            .open()) {
            CallRejectedException failure = catchThrowableOfType(CallRejectedException.class, () -> tally.add(1));
            assertRejected(failure, id, "add", CallRejectedException.Reason.TOO_LARGE);
            assertThat(failure.getCause()).hasMessageContaining("refused message #")
                .hasMessageContaining("more than the receiving silo's quark.cluster.transport.max-message-size ("
                        + SMALL_LIMIT + " bytes)");
        }
        await().atMost(TallyEnvironment.timeout()).until(() -> this.rejected.size() == 1);
        assertThat(this.failed).isEmpty();
        assertThat(tally.add(2)).as("the link carries on").isEqualTo(2);
    }

    @Test
    void aCallLargerThanTheSendingSilosLimitIsRejectedBeforeItIsSent() {
        start();
        String id = this.cluster.idOwnedBy("silo-0");
        Tally tally = this.cluster.silo(1).get(Tally.class, id);
        try (RequestContext.Scope scope = RequestContext.of("r-3", Map.of("padding", "x".repeat(2 * SMALL_LIMIT)))
            .open()) {
            CallRejectedException request = catchThrowableOfType(CallRejectedException.class, () -> tally.add(1));
            assertRejected(request, id, "add", CallRejectedException.Reason.TOO_LARGE);
            assertThat(request.getCause()).hasMessageStartingWith("Silo silo-1 did not send REQUEST #")
                .hasMessageContaining("more than quark.cluster.transport.max-message-size (" + SMALL_LIMIT + " bytes)");
            CallRejectedException oneWay = catchThrowableOfType(CallRejectedException.class, () -> tally.addOneWay(1));
            assertRejected(oneWay, id, "addOneWay", CallRejectedException.Reason.TOO_LARGE);
        }
        await().atMost(TallyEnvironment.timeout()).until(() -> this.rejected.size() == 2);
        assertThat(this.failed).isEmpty();
        assertThat(tally.total()).isZero();
    }

    @Test
    void aRejectionThatATurnOnAnotherSiloLetsEscapeReachesTheCallerButIsCountedOnlyWhereItWasMade() {
        start();
        String outer = this.cluster.idOwnedBy("silo-1");
        String inner = this.cluster.idOwnedBy("silo-0");
        Tally tally = this.cluster.silo(0).get(Tally.class, outer);
        // The turn of the outer tally on silo-1 calls the inner one on silo-0 with an argument over silo-1's limit.
        CallRejectedException failure = catchThrowableOfType(CallRejectedException.class,
                () -> tally.echoThrough(inner, 2 * SMALL_LIMIT));
        assertThat(failure).as("a CallRejectedException").isNotNull();
        assertThat(failure.getActor()).as("naming the nested call's actor").isEqualTo("Tally/" + inner);
        assertThat(failure.getMethod()).isEqualTo("echo");
        assertThat(failure.getReason()).isEqualTo(CallRejectedException.Reason.TOO_LARGE);
        // A rejection silo-0 makes afterwards, to know that silo-0 has counted what it counts.
        try (RequestContext.Scope scope = RequestContext.of("r-4", Map.of(" ", "v")).open()) {
            assertThat(catchThrowableOfType(CallRejectedException.class, () -> tally.add(1))).isNotNull();
        }
        await().atMost(TallyEnvironment.timeout())
            .until(() -> this.rejected.stream()
                .anyMatch((counted) -> counted.getReason() == CallRejectedException.Reason.BEYOND_BOUNDS));
        // The old code counted the nested call's rejection twice: on silo-1, which made it, and on silo-0.
        assertThat(this.rejected).extracting(CallRejectedException::getReason)
            .containsExactlyInAnyOrder(CallRejectedException.Reason.TOO_LARGE,
                    CallRejectedException.Reason.BEYOND_BOUNDS);
        assertThat(this.failed).isEmpty();
    }

    @Test
    void anAnswerLargerThanTheAnsweringSilosLimitFailsTheCallAtOnceAsRejected() {
        start();
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        long started = System.nanoTime();
        // The old code dropped the answer at DEBUG: the caller waited for its ActorCallTimeoutException.
        CallRejectedException failure = catchThrowableOfType(CallRejectedException.class,
                () -> tally.repeat(2 * SMALL_LIMIT));
        assertThat(failure).as("a CallRejectedException").isNotNull();
        assertThat(failure.getActor()).isEqualTo("Tally/" + id);
        assertThat(failure.getMethod()).isEqualTo("repeat");
        assertThat(failure.getReason()).isEqualTo(CallRejectedException.Reason.TOO_LARGE);
        assertThat(failure).hasMessageContaining("answer");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("not a timeout")
            .isLessThan(TallyEnvironment.timeout());
        assertThat(tally.repeat(10)).as("the link carries on").hasSize(10);
    }

    @Test
    void aRejectedCallToAnIdempotentMethodIsNeitherRetriedNorRoutedAgain() {
        start();
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        try (RequestContext.Scope scope = RequestContext.of("r-5", Map.of("padding", "x".repeat(2 * SMALL_LIMIT)))
            .open()) {
            // The old code failed it with a SiloUnavailableException.
            CallRejectedException failure = catchThrowableOfType(CallRejectedException.class,
                    () -> tally.failIdempotently("k-1"));
            assertRejected(failure, id, "failIdempotently", CallRejectedException.Reason.TOO_LARGE);
        }
        await().atMost(TallyEnvironment.timeout()).until(() -> this.rejected.size() == 1);
        assertThat(this.retried).as("not retried").isEmpty();
        assertThat(this.rerouted).as("not routed again").isEmpty();
        assertThat(this.environment.arrivals("k-1")).as("it ran nowhere").isEmpty();
    }

    private void start() {
        RoutingMetrics metrics = new RoutingMetrics() {

            @Override
            public void failedForMembership(Throwable failure) {
                GrpcEnvelopeBoundsTests.this.failed.add(failure);
            }

            @Override
            public void rejected(CallRejectedException failure) {
                GrpcEnvelopeBoundsTests.this.rejected.add(failure);
            }

            @Override
            public void retried(String siloId) {
                GrpcEnvelopeBoundsTests.this.retried.add(siloId);
            }

            @Override
            public void rerouted(String refusingSiloId) {
                GrpcEnvelopeBoundsTests.this.rerouted.add(refusingSiloId);
            }
        };
        this.cluster = new TallyCluster(this.environment, TallyCluster.builder(this.environment, 2, (runtime) -> {
        })
            .routing((routing) -> routing.metrics(metrics))
            .transport((siloId) -> GrpcTransport.selfHosted(GrpcTransportSettings.builder("bounds")
                .maxMessageSize(siloId.equals("silo-1") ? SMALL_LIMIT : 4 * 1024 * 1024)
                .build(), new InetSocketAddress("127.0.0.1", 0), null)));
    }

    private static void assertRejected(CallRejectedException failure, String id, String method,
            CallRejectedException.Reason reason) {
        assertThat(failure).as("a CallRejectedException").isNotNull();
        assertThat(failure.getActor()).isEqualTo("Tally/" + id);
        assertThat(failure.getMethod()).isEqualTo(method);
        assertThat(failure.getReason()).isEqualTo(reason);
        assertThat(failure).hasMessageContaining("not retried")
            .hasCauseInstanceOf(EnvelopeRejectedException.class);
    }
}
