package dev.quark.cluster.transport.grpc;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.grpc.Silos.Silo;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sending silo holds its envelopes to the bounds every silo receives envelopes within (metadata entries, name
 * and metadata key lengths, blank metadata keys): one beyond them fails its send at once, is never written, and the
 * link carries on.
 */
class SenderBoundsTests {

    private static final String TOO_LONG = "k".repeat(EnvelopeFrames.MAX_NAME_LENGTH + 1);

    @AutoClose
    private final Silos silos = new Silos();

    @ParameterizedTest(name = "{0}")
    @MethodSource("beyondTheBounds")
    void anEnvelopeBeyondTheBoundsFailsItsSendAtOnceIsNotWrittenAndTheLinkCarriesOn(UnaryOperator<Envelope> change,
            String reason) throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        Envelope before = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[3]);
        a.transport().send(b.address(), before).toCompletableFuture().get(5, TimeUnit.SECONDS);
        Envelope beyond = change.apply(this.silos.envelope(a, b, Envelope.Kind.ONE_WAY, new byte[3]));

        CompletableFuture<Void> sent = a.transport().send(b.address(), beyond).toCompletableFuture();

        // At once: the old code wrote it, and only the receiver refused it.
        assertThat(sent).isCompletedExceptionally();
        assertThat(sent.exceptionNow()).isInstanceOf(EnvelopeRejectedException.class)
            .hasMessage("Silo a did not send " + PeerText.safe(beyond.toString()) + ": " + reason
                    + " (beyond the bounds every silo receives envelopes within)");
        assertThat(((EnvelopeRejectedException) sent.exceptionNow()).reason())
            .isEqualTo(EnvelopeRejectedException.Reason.BEYOND_BOUNDS);
        Envelope after = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[3]);
        a.transport().send(b.address(), after).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).extracting(Envelope::messageId)
            .isEqualTo(before.messageId());
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).extracting(Envelope::messageId)
            .isEqualTo(after.messageId());
        assertThat(b.recorder().received).isEmpty();
        assertThat(a.recorder().lost).isEmpty();
    }

    static Stream<Arguments> beyondTheBounds() {
        return Stream.of(
                beyond("too many metadata entries", (envelope) -> with(envelope, null, null, entries(257)),
                        "257 metadata entries, more than 256"),
                beyond("a metadata key too long", (envelope) -> with(envelope, null, null, Map.of(TOO_LONG, "v")),
                        "metadata key '" + "k".repeat(64) + "...' is 4097 characters long, more than 4096"),
                beyond("a blank metadata key", (envelope) -> with(envelope, null, null, Map.of(" ", "v")),
                        "metadata key ' ' is blank"),
                beyond("an empty metadata key", (envelope) -> with(envelope, null, null, Map.of("", "v")),
                        "metadata key '' is blank"),
                beyond("an actor type too long", (envelope) -> with(envelope, TOO_LONG, null, envelope.metadata()),
                        "actor type is 4097 characters long, more than 4096"),
                beyond("a request id too long", (envelope) -> with(envelope, null, TOO_LONG, envelope.metadata()),
                        "request id is 4097 characters long, more than 4096"));
    }

    @Test
    void aSiloIdBeyondTheBoundsIsTheConfigurationsFaultNotTheCalls() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        Envelope envelope = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[3]);
        Envelope beyond = new Envelope(envelope.messageId(), envelope.correlationId(), envelope.kind(),
                envelope.sourceSiloId(), envelope.sourceEpoch(), envelope.sourceAddress(), TOO_LONG,
                envelope.targetEpoch(), envelope.actorType(), envelope.actorId(), envelope.methodId(),
                envelope.payload(), envelope.callChainId(), envelope.requestId(), envelope.metadata(),
                envelope.deadlineEpochMillis(), envelope.membershipVersion(), envelope.forwardCount());

        CompletableFuture<Void> sent = a.transport().send(b.address(), beyond).toCompletableFuture();

        assertThat(sent).isCompletedExceptionally();
        assertThat(sent.exceptionNow()).isInstanceOf(EnvelopeRejectedException.class)
            .hasMessageContaining("target silo id is 4097 characters long, more than 4096 (the silos' configuration, "
                    + "not the call)");
        // The old code said BEYOND_BOUNDS, which the routing reports as the caller's fault (CallRejectedException).
        assertThat(((EnvelopeRejectedException) sent.exceptionNow()).reason())
            .isEqualTo(EnvelopeRejectedException.Reason.OTHER);
    }

    @Test
    void aMembershipIncarnationBeyondTheBoundsIsTheTablesFaultNotTheCalls() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        Envelope beyond = withIncarnation(this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[3]), TOO_LONG);

        CompletableFuture<Void> sent = a.transport().send(b.address(), beyond).toCompletableFuture();

        assertThat(sent).isCompletedExceptionally();
        assertThat(sent.exceptionNow()).isInstanceOf(EnvelopeRejectedException.class)
            .hasMessageContaining("membership incarnation is 4097 characters long, more than 4096 (the silos' "
                    + "configuration, not the call)");
        assertThat(((EnvelopeRejectedException) sent.exceptionNow()).reason())
            .isEqualTo(EnvelopeRejectedException.Reason.OTHER);
        assertThat(b.recorder().received.poll(200, TimeUnit.MILLISECONDS)).as("nothing written").isNull();
    }

    @Test
    void anEnvelopeAtTheBoundsIsSentAndArrives() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        Map<String, String> metadata = entries(255);
        metadata.put("k".repeat(EnvelopeFrames.MAX_NAME_LENGTH), "v".repeat(10_000));
        String longest = "t".repeat(EnvelopeFrames.MAX_NAME_LENGTH);
        Envelope atTheBounds = withIncarnation(with(this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[3]),
                longest, longest, metadata), longest);
        a.transport().send(b.address(), atTheBounds).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).usingRecursiveComparison().isEqualTo(atTheBounds);
    }

    private static Arguments beyond(String what, UnaryOperator<Envelope> change, String reason) {
        return Arguments.of(Named.of(what, change), reason);
    }

    private static Map<String, String> entries(int count) {
        return IntStream.range(0, count)
            .boxed()
            .collect(Collectors.toMap((i) -> "key-" + i, (i) -> "value-" + i, (x, y) -> x,
                    java.util.HashMap::new));
    }

    /** The envelope with another actor type and request id (when given) and metadata. */
    private static Envelope with(Envelope envelope, @Nullable String actorType, @Nullable String requestId,
            Map<String, String> metadata) {
        return new Envelope(envelope.messageId(), envelope.correlationId(), envelope.kind(), envelope.sourceSiloId(),
                envelope.sourceEpoch(), envelope.sourceAddress(), envelope.targetSiloId(), envelope.targetEpoch(),
                (actorType != null) ? actorType : envelope.actorType(), envelope.actorId(), envelope.methodId(),
                envelope.payload(), envelope.callChainId(), (requestId != null) ? requestId : envelope.requestId(),
                metadata, envelope.deadlineEpochMillis(), envelope.membershipVersion(),
                envelope.membershipIncarnation(), envelope.forwardCount());
    }

    /** The envelope with another membership table incarnation. */
    private static Envelope withIncarnation(Envelope envelope, String incarnation) {
        return new Envelope(envelope.messageId(), envelope.correlationId(), envelope.kind(), envelope.sourceSiloId(),
                envelope.sourceEpoch(), envelope.sourceAddress(), envelope.targetSiloId(), envelope.targetEpoch(),
                envelope.actorType(), envelope.actorId(), envelope.methodId(), envelope.payload(),
                envelope.callChainId(), envelope.requestId(), envelope.metadata(), envelope.deadlineEpochMillis(),
                envelope.membershipVersion(), incarnation, envelope.forwardCount());
    }
}
