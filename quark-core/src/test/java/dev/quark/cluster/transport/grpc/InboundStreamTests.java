package dev.quark.cluster.transport.grpc;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import dev.quark.LogCapture;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.grpc.proto.ClientFrame;
import dev.quark.cluster.transport.grpc.proto.Hello;
import dev.quark.cluster.transport.grpc.proto.Kind;
import dev.quark.cluster.transport.grpc.proto.RejectedCause;
import dev.quark.cluster.transport.grpc.proto.ServerFrame;
import dev.quark.cluster.transport.grpc.proto.SiloTransportGrpc;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * The receiving side of one {@code Link} stream, driven without a network: how much it asks gRPC for, and on
 * which thread it hands envelopes to the silo.
 */
class InboundStreamTests {

    private static final SiloAddress A = new SiloAddress("127.0.0.1", 7001);

    private final ExecutorService deliveries = Executors.newVirtualThreadPerTaskExecutor();

    private final Handler handler = new Handler();

    /** What escaped a drain: nothing may. */
    private final List<Throwable> escaped = new CopyOnWriteArrayList<>();

    private final AtomicInteger drainsStarted = new AtomicInteger();

    private final AtomicInteger drainsEnded = new AtomicInteger();

    /** The deliveries, recording how many drains started (on the thread that queued) and how each ended. */
    private final Executor recording = (task) -> {
        this.drainsStarted.incrementAndGet();
        this.deliveries.execute(() -> {
            try {
                task.run();
                this.drainsEnded.incrementAndGet();
            }
            catch (Throwable ex) {
                this.escaped.add(ex);
            }
        });
    };

    private final Calls calls = new Calls();

    /** The streams the service ended for invalid frames, as it counted them. */
    private final List<GrpcTransportMetrics.InvalidFramesLimit> ended = new CopyOnWriteArrayList<>();

    private final GrpcTransportMetrics metrics = new GrpcTransportMetrics() {

        @Override
        public void streamEndedForInvalidFrames(InvalidFramesLimit limit) {
            InboundStreamTests.this.ended.add(limit);
        }
    };

    @AfterEach
    void close() {
        this.deliveries.shutdownNow();
    }

    @Test
    void creditGoesBackInBatchesOfHalfTheWindowNeverMoreThanHandled() {
        StreamObserver<ClientFrame> stream = open(8, Envelope.Lane.CALL);
        assertThat(this.calls.requests).containsExactly(1, 8);
        for (int i = 1; i <= 7; i++) {
            stream.onNext(frame(i, Envelope.Kind.REQUEST));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> this.handler.received.size() == 7);
        // 7 handled: one batch of 4 given back, 3 held until the next batch is complete.
        await().atMost(Duration.ofSeconds(5)).until(() -> this.calls.requests.size() == 3);
        assertThat(this.calls.requests).containsExactly(1, 8, 4);
        stream.onNext(frame(8, Envelope.Kind.REQUEST));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.calls.requests.size() == 4);
        assertThat(this.calls.requests).containsExactly(1, 8, 4, 4);
    }

    @Test
    void aWindowOfOneGivesEachCreditBackAtOnce() {
        StreamObserver<ClientFrame> stream = open(1, Envelope.Lane.CALL);
        stream.onNext(frame(1, Envelope.Kind.REQUEST));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.calls.requests.size() == 3);
        assertThat(this.calls.requests).containsExactly(1, 1, 1);
    }

    @Test
    void answersAreHandedOffLikeCallsNeverHandledOnTheThreadThatReceivesThem() {
        StreamObserver<ClientFrame> replies = open(4, Envelope.Lane.REPLY);
        replies.onNext(frame(1, Envelope.Kind.RESPONSE));
        replies.onNext(frame(2, Envelope.Kind.ERROR));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.handler.received.size() == 2);
        assertThat(this.handler.received).extracting(Envelope::messageId).containsExactly(1L, 2L);
        assertThat(this.handler.threads).doesNotContain(Thread.currentThread()).allMatch(Thread::isVirtual);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.calls.requests.size() == 3);
        assertThat(this.calls.requests).containsExactly(1, 4, 2);
    }

    @Test
    void refusalsAreLoggedAndWrittenByTheDrainInOrderNeverOnTheThreadThatReceivesFrames() {
        StreamObserver<ClientFrame> stream = open(4, Envelope.Lane.CALL);
        stream.onNext(frame(1, Envelope.Kind.REQUEST));
        stream.onNext(ClientFrame.newBuilder()
            .setHello(Hello.newBuilder().setClusterName("bank").setSourceSiloId("a"))
            .build());
        stream.onNext(frame(3, Envelope.Kind.RESPONSE));
        stream.onNext(frame(4, Envelope.Kind.REQUEST));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.calls.frames.stream().filter(ServerFrame::hasRejected).count() == 2);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.handler.received.size() == 2);
        assertThat(this.handler.received).extracting(Envelope::messageId).containsExactly(1L, 4L);
        assertThat(this.calls.frames.stream().filter(ServerFrame::hasRejected).map((frame) -> frame.getRejected()))
            .satisfiesExactly(
                    (first) -> assertThat(first.getReason()).contains("not an envelope"),
                    (second) -> assertThat(second.getReason()).contains("#3").contains("lane REPLY"));
        // Both written by the stream's drain, a virtual thread, not by the thread that called onNext.
        assertThat(this.calls.rejectedBy).hasSize(2)
            .doesNotContain(Thread.currentThread())
            .allMatch(Thread::isVirtual);
        // The refusals used window slots, each given back once its frame is written (1 each), the envelopes as
        // a batch of half the window (2).
        await().atMost(Duration.ofSeconds(5)).until(() -> this.calls.requests.size() == 5);
        assertThat(this.calls.requests).containsExactly(1, 4, 1, 1, 2);
    }

    @Test
    void aStreamOfFramesThatAreNotEnvelopesIsEndedOnceMoreThanTheLimitCameInARow() {
        StreamObserver<ClientFrame> stream = open(4, Envelope.Lane.CALL);
        int max = GrpcTransportSettings.builder("bank").inboundWindow(4).build().maxUnreadableFramesInARow();
        assertThat(max).isEqualTo(16);
        for (int i = 0; i < max; i++) {
            stream.onNext(notAnEnvelope());
        }
        // An envelope in between starts the count again.
        stream.onNext(frame(1, Envelope.Kind.REQUEST));
        for (int i = 0; i < max; i++) {
            stream.onNext(notAnEnvelope());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> this.handler.received.size() == 1);
        assertThat(this.calls.errors).isEmpty();
        stream.onNext(notAnEnvelope());
        assertThat(this.calls.errors).singleElement().satisfies((error) -> {
            assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(Status.fromThrowable(error).getDescription()).isEqualTo("Silo b ends the Link stream from silo a after 17 "
                    + "frames in a row that were unreadable or not envelopes (more than 16, "
                    + "quark.cluster.transport.max-unreadable-frames-in-a-row), the last a frame after the "
                    + "handshake that is not an envelope");
        });
        stream.onNext(frame(2, Envelope.Kind.REQUEST));
        awaitDrained();
        assertThat(this.handler.received).extracting(Envelope::messageId).containsExactly(1L);
    }

    @Test
    void theUnreadableFramesInARowThatEndAStreamAreSetApartFromTheWindow() {
        StreamObserver<ClientFrame> stream = open(GrpcTransportSettings.builder("bank").inboundWindow(64)
            .maxUnreadableFramesInARow(3).build(), Envelope.Lane.CALL);
        for (int i = 0; i < 3; i++) {
            stream.onNext(notAnEnvelope());
        }
        assertThat(this.calls.errors).isEmpty();
        stream.onNext(notAnEnvelope());
        assertThat(this.calls.errors).singleElement().satisfies((error) -> assertThat(Status.fromThrowable(error)
            .getDescription()).isEqualTo("Silo b ends the Link stream from silo a after 4 frames in a row that were "
                    + "unreadable or not envelopes (more than 3, quark.cluster.transport.max-unreadable-frames-in-a-row), "
                    + "the last a frame after the handshake that is not an envelope"));
    }

    @Test
    void aStreamMixingInvalidFramesWithValidEnvelopesIsEndedOnceMoreThanItsBudgetOfItsLastFramesWereInvalid() {
        try (LogCapture logged = LogCapture.of(SiloTransportService.class)) {
            // At most 4 invalid among the last 10 frames; never more than one in a row.
            StreamObserver<ClientFrame> stream = open(GrpcTransportSettings.builder("bank").inboundWindow(4)
                .maxMessageSize(8192).maxInvalidFrames(4, 10).build(), Envelope.Lane.CALL);
            long id = 0;
            List<ClientFrame> invalid = List.of(notAnEnvelope(), unreadable(), frame(101, Envelope.Kind.RESPONSE),
                    forged(102));
            for (ClientFrame frame : invalid) {
                stream.onNext(frame);
                stream.onNext(frame(++id, Envelope.Kind.REQUEST));
            }
            // 4 of the last 8 frames invalid: within the budget. Envelopes refused for their target silo, for
            // exceeding the receiver's bounds on metadata or for their size are not invalid (Quark silos send those):
            // they slide the 4 out of the window as the valid ones do.
            stream.onNext(envelope(100, (envelope) -> envelope.putAllMetadata(entries(257))));
            for (int i = 0; i < 3; i++) {
                ClientFrame good = frame(200 + i, Envelope.Kind.REQUEST);
                stream.onNext(good.toBuilder().setEnvelope(good.getEnvelope().toBuilder().setTargetSiloId("z")).build());
            }
            stream.onNext(frame(300, Envelope.Kind.REQUEST).toBuilder()
                .setEnvelope(frame(300, Envelope.Kind.REQUEST).getEnvelope().toBuilder()
                    .setPayload(ByteString.copyFrom(new byte[10_000])))
                .build());
            for (int i = 0; i < 5; i++) {
                stream.onNext(frame(++id, Envelope.Kind.REQUEST));
            }
            // The window holds no invalid frame now: 4 more, each followed by an envelope, are within it again.
            for (ClientFrame frame : invalid) {
                stream.onNext(frame);
                stream.onNext(frame(++id, Envelope.Kind.REQUEST));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> this.handler.received.size() == 13
                    && this.calls.rejectedBy.size() == 13);
            assertThat(this.calls.errors).isEmpty();
            assertThat(this.calls.frames.stream().filter(ServerFrame::hasRejected).map(ServerFrame::getRejected))
                .as("only the refusals for the envelope's own fault say so")
                .filteredOn((rejected) -> rejected.getCause() != RejectedCause.REJECTED_CAUSE_OTHER)
                .extracting((rejected) -> rejected.getMessageId(), (rejected) -> rejected.getCause())
                .containsExactly(tuple(100L, RejectedCause.REJECTED_CAUSE_BEYOND_BOUNDS),
                        tuple(300L, RejectedCause.REJECTED_CAUSE_TOO_LARGE));
            // A fifth: 5 of the last 10 frames.
            stream.onNext(notAnEnvelope());
            String description = "Silo b ends the Link stream from silo a: 5 of its last 10 frames were invalid, frames "
                    + "no Quark silo sends (more than 4 in 10, quark.cluster.transport.max-invalid-frames and "
                    + "invalid-frames-window), the last a frame after the handshake that is not an envelope";
            assertThat(this.calls.errors).singleElement().satisfies((error) -> {
                assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(Status.fromThrowable(error).getDescription()).isEqualTo(description);
            });
            // Logged by a thread of the deliveries, off gRPC's callback thread.
            await().atMost(Duration.ofSeconds(5))
                .until(() -> logged.events().stream().anyMatch((event) -> event.getFormattedMessage().contains(description)));
            assertThat(logged.events()).filteredOn((event) -> event.getFormattedMessage().contains(description))
                .singleElement()
                .satisfies((event) -> assertThat(event.getLevel()).isEqualTo(Level.WARN));
            stream.onNext(frame(++id, Envelope.Kind.REQUEST));
            awaitDrained();
            assertThat(this.handler.received).hasSize(13);
        }
    }

    @Test
    void streamsEndedForInvalidFramesAreCountedNotEnvelopesRefusedWithinTheStream() {
        StreamObserver<ClientFrame> budgeted = open(GrpcTransportSettings.builder("bank").inboundWindow(4)
            .maxInvalidFrames(1, 10).build(), Envelope.Lane.CALL);
        for (int i = 1; i <= 20; i++) {
            budgeted.onNext(envelope(i, (envelope) -> envelope.putAllMetadata(entries(257))));
            budgeted.onNext(envelope(100 + i, (envelope) -> envelope.putMetadata(" ", "v")));
        }
        budgeted.onNext(notAnEnvelope());
        await().atMost(Duration.ofSeconds(5)).until(() -> this.calls.rejectedBy.size() == 41);
        assertThat(this.calls.errors).isEmpty();
        assertThat(this.ended).as("envelopes beyond the bounds and one invalid frame within the budget").isEmpty();
        budgeted.onNext(notAnEnvelope());
        assertThat(this.calls.errors).hasSize(1);
        assertThat(this.ended).containsExactly(GrpcTransportMetrics.InvalidFramesLimit.INVALID_IN_WINDOW);

        StreamObserver<ClientFrame> garbage = open(GrpcTransportSettings.builder("bank").inboundWindow(4)
            .maxUnreadableFramesInARow(3).build(), Envelope.Lane.CALL);
        for (int i = 0; i < 4; i++) {
            garbage.onNext(unreadable());
        }
        assertThat(this.calls.errors).hasSize(1);
        assertThat(this.ended).containsExactly(GrpcTransportMetrics.InvalidFramesLimit.INVALID_IN_WINDOW,
                GrpcTransportMetrics.InvalidFramesLimit.UNREADABLE_IN_A_ROW);
        // Frames after the end are dropped, and the end is counted once.
        garbage.onNext(unreadable());
        assertThat(this.ended).hasSize(2);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("envelopesNoQuarkSiloSends")
    void aMalformedEnvelopeThatNoQuarkSiloSendsCountsAgainstTheBudgetOfInvalidFrames(
            UnaryOperator<dev.quark.cluster.transport.grpc.proto.Envelope.Builder> malform, String reason) {
        StreamObserver<ClientFrame> stream = open(GrpcTransportSettings.builder("bank").inboundWindow(4)
            .maxInvalidFrames(1, 10).build(), Envelope.Lane.CALL);
        stream.onNext(envelope(1, malform));
        stream.onNext(frame(2, Envelope.Kind.REQUEST));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.calls.rejectedBy.size() == 1
                && this.handler.received.size() == 1);
        assertThat(this.calls.frames.stream().filter(ServerFrame::hasRejected).findFirst().orElseThrow().getRejected())
            .satisfies((rejected) -> {
                assertThat(rejected.getMessageId()).isEqualTo(1L);
                assertThat(rejected.getReason()).isEqualTo("a malformed envelope: " + reason);
                assertThat(rejected.getCause()).isEqualTo(RejectedCause.REJECTED_CAUSE_OTHER);
            });
        assertThat(this.calls.errors).isEmpty();
        // A second: 2 of the last 3 frames (the old code counted malformed envelopes as valid ones).
        stream.onNext(envelope(3, malform));
        assertThat(this.calls.errors).singleElement().satisfies((error) -> {
            assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(Status.fromThrowable(error).getDescription()).isEqualTo("Silo b ends the Link stream from silo "
                    + "a: 2 of its last 3 frames were invalid, frames no Quark silo sends (more than 1 in 10, "
                    + "quark.cluster.transport.max-invalid-frames and invalid-frames-window), the last a malformed "
                    + "envelope: " + reason);
        });
    }

    static Stream<Arguments> envelopesNoQuarkSiloSends() {
        return Stream.of(
                malformation("no kind", (envelope) -> envelope.setKind(Kind.KIND_UNSPECIFIED),
                        "kind KIND_UNSPECIFIED is not a known envelope kind"),
                malformation("an unknown kind", (envelope) -> envelope.setKindValue(999),
                        "kind UNRECOGNIZED is not a known envelope kind"),
                malformation("a blank source silo id", (envelope) -> envelope.setSourceSiloId(" "),
                        "source silo id is blank"),
                malformation("a blank target silo id", (envelope) -> envelope.setTargetSiloId(""),
                        "target silo id is blank"),
                malformation("a blank source host", (envelope) -> envelope.setSourceHost(""), "source host is blank"),
                malformation("a source port above 65535", (envelope) -> envelope.setSourcePort(65536),
                        "source port 65536 is not between 0 and 65535"),
                malformation("a negative source port", (envelope) -> envelope.setSourcePort(-1),
                        "source port 4294967295 is not between 0 and 65535"),
                malformation("a negative forward count", (envelope) -> envelope.setForwardCount(-1),
                        "forward count 4294967295 is out of range"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("envelopesBeyondTheReceiversBounds")
    void anEnvelopeBeyondTheReceiversBoundsIsRefusedWithoutCountingAgainstTheBudgetOfInvalidFrames(
            UnaryOperator<dev.quark.cluster.transport.grpc.proto.Envelope.Builder> enlarge, String reason) {
        StreamObserver<ClientFrame> stream = open(GrpcTransportSettings.builder("bank").inboundWindow(4)
            .maxInvalidFrames(1, 10).build(), Envelope.Lane.CALL);
        for (int i = 1; i <= 3; i++) {
            stream.onNext(envelope(i, enlarge));
        }
        // One invalid frame: within the budget of 1 only because the three envelopes did not count.
        stream.onNext(notAnEnvelope());
        stream.onNext(frame(5, Envelope.Kind.REQUEST));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.calls.rejectedBy.size() == 4
                && this.handler.received.size() == 1);
        assertThat(this.calls.errors).isEmpty();
        assertThat(this.calls.frames.stream().filter(ServerFrame::hasRejected).map(ServerFrame::getRejected))
            .extracting((rejected) -> rejected.getReason())
            .containsExactly("a malformed envelope: " + reason, "a malformed envelope: " + reason,
                    "a malformed envelope: " + reason, "a frame after the handshake that is not an envelope");
        assertThat(this.calls.frames.stream().filter(ServerFrame::hasRejected).map(ServerFrame::getRejected))
            .extracting((rejected) -> rejected.getCause())
            .as("the sender is told which envelopes cannot be sent again")
            .containsExactly(RejectedCause.REJECTED_CAUSE_BEYOND_BOUNDS, RejectedCause.REJECTED_CAUSE_BEYOND_BOUNDS,
                    RejectedCause.REJECTED_CAUSE_BEYOND_BOUNDS, RejectedCause.REJECTED_CAUSE_OTHER);
    }

    static Stream<Arguments> envelopesBeyondTheReceiversBounds() {
        String longName = "x".repeat(EnvelopeFrames.MAX_NAME_LENGTH + 1);
        return Stream.of(
                malformation("too many metadata entries", (envelope) -> envelope.putAllMetadata(entries(257)),
                        "257 metadata entries, more than 256"),
                malformation("a metadata key too long", (envelope) -> envelope.putMetadata(longName, "v"),
                        "metadata key '" + "x".repeat(64) + "...' is 4097 characters long, more than 4096"),
                // A same-version sender refuses only null metadata keys: RequestContext.of("r", Map.of(" ", "v")).
                malformation("a blank metadata key", (envelope) -> envelope.putMetadata(" ", "v"),
                        "metadata key ' ' is blank"),
                malformation("an actor type too long", (envelope) -> envelope.setActorType(longName),
                        "actor type is 4097 characters long, more than 4096"),
                malformation("a request id too long", (envelope) -> envelope.setRequestId(longName),
                        "request id is 4097 characters long, more than 4096"));
    }

    private static Arguments malformation(String what,
            UnaryOperator<dev.quark.cluster.transport.grpc.proto.Envelope.Builder> change, String reason) {
        return Arguments.of(Named.of(what, change), reason);
    }

    @Test
    void refusalsAreLoggedAtWarnOnlyForAStreamsFirstFewAndTheOthersCountedWhenItEnds() {
        try (LogCapture logged = LogCapture.of(SiloTransportService.class, Level.INFO)) {
            StreamObserver<ClientFrame> stream = open(4, Envelope.Lane.CALL);
            // Envelopes refused for their target silo (a stale view sends those): they never end the stream, however
            // many.
            for (int i = 1; i <= 200; i++) {
                ClientFrame frame = frame(i, Envelope.Kind.REQUEST);
                stream.onNext(frame.toBuilder().setEnvelope(frame.getEnvelope().toBuilder().setTargetSiloId("z")).build());
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> this.calls.rejectedBy.size() == 200);
            assertThat(thisStreams(logged)).hasSize(RefusalLog.LOUD).allMatch((event) -> event.getLevel() == Level.WARN);
            assertThat(thisStreams(logged).get(RefusalLog.LOUD - 1).getFormattedMessage())
                .contains("#5").contains("further refusals are logged at DEBUG");
            stream.onCompleted();
            // Counted by a thread of the deliveries, off gRPC's callback thread.
            await().atMost(Duration.ofSeconds(5)).until(() -> thisStreams(logged).size() > RefusalLog.LOUD);
            assertThat(thisStreams(logged)).hasSize(RefusalLog.LOUD + 1);
            assertThat(thisStreams(logged).get(RefusalLog.LOUD).getFormattedMessage())
                .isEqualTo("Silo refused 195 more envelopes from silo a (logged at DEBUG)");
        }
    }

    @Test
    void aPeersTextInAReasonIsCutAndEscapedBeforeItIsLoggedOrWrittenBack() {
        try (LogCapture logged = LogCapture.of(SiloTransportService.class)) {
            StreamObserver<ClientFrame> stream = open(4, Envelope.Lane.CALL);
            ClientFrame good = frame(1, Envelope.Kind.REQUEST);
            String target = "z\nWARN forged line\r\u0007" + "x".repeat(3_000);
            stream.onNext(good.toBuilder()
                .setEnvelope(good.getEnvelope().toBuilder().setTargetSiloId(target.translateEscapes()))
                .build());
            await().atMost(Duration.ofSeconds(5)).until(() -> this.calls.rejectedBy.size() == 1);
            String reason = this.calls.frames.stream().filter(ServerFrame::hasRejected).findFirst().orElseThrow()
                .getRejected().getReason();
            assertThat(reason).contains("a -> z\\nWARN forged line\\r\\u0007xxx")
                .doesNotContain("\n".translateEscapes()).doesNotContain("\r".translateEscapes())
                .endsWith(" more characters cut)")
                .hasSizeLessThan(PeerText.MAX_LENGTH + 40);
            assertThat(logged.events().stream().filter((event) -> event.getFormattedMessage().contains("forged line")))
                .singleElement()
                .satisfies((event) -> assertThat(event.getFormattedMessage()).contains(reason));
        }
    }

    @Test
    void aFrameCarryingTheFieldThatMarksUnreadableFramesIsHandledNormally() {
        StreamObserver<ClientFrame> stream = open(4, Envelope.Lane.CALL);
        ClientFrame forged = frame(1, Envelope.Kind.REQUEST).toBuilder()
            .setUnknownFields(UnknownFieldSet.newBuilder()
                .addField(UnreadableFrames.REASON_FIELD, UnknownFieldSet.Field.newBuilder()
                    .addLengthDelimited(ByteString.copyFromUtf8("forged\nreason".translateEscapes()))
                    .build())
                .build())
            .build();
        stream.onNext(forged);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.handler.received.size() == 1);
        assertThat(this.calls.frames).noneMatch(ServerFrame::hasRejected);
    }

    @Test
    void aWriteThatFailsBecauseTheCallWasCancelledNeverStopsTheDrain() {
        StreamObserver<ClientFrame> stream = open(4, Envelope.Lane.CALL);
        assertThat(this.calls.onCancel).isNotNull();
        // The peer cancels between isReady() and onNext(): gRPC's observer throws CANCELLED on the drain.
        this.calls.cancelOnNextWrite = true;
        stream.onNext(notAnEnvelope());
        // The drain ends normally (on the old code CANCELLED escaped it, with the stream's size never counted
        // down), and the stream takes no frame after the cancel.
        await().atMost(Duration.ofSeconds(5)).until(() -> this.drainsEnded.get() == 1);
        assertThat(this.escaped).isEmpty();
        stream.onNext(frame(1, Envelope.Kind.REQUEST));
        awaitDrained();
        assertThat(this.calls.frames).noneMatch(ServerFrame::hasRejected);
        assertThat(this.handler.received).isEmpty();
    }

    /**
     * The events of this class's stream (peer a, refused for their target silo, and its summary): the logger is shared
     * with the other test classes' silos, whose streams may still be draining.
     */
    private static List<ILoggingEvent> thisStreams(LogCapture logged) {
        return logged.events().stream()
            .filter((event) -> event.getFormattedMessage().contains("is for silo z, not for silo b")
                    || event.getFormattedMessage().contains("more envelopes from silo a "))
            .toList();
    }

    private static ClientFrame notAnEnvelope() {
        return ClientFrame.newBuilder().setHello(Hello.newBuilder().setClusterName("bank").setSourceSiloId("a")).build();
    }

    /** A request's frame with some of its envelope's fields changed. */
    private static ClientFrame envelope(long id,
            UnaryOperator<dev.quark.cluster.transport.grpc.proto.Envelope.Builder> change) {
        ClientFrame frame = frame(id, Envelope.Kind.REQUEST);
        return frame.toBuilder().setEnvelope(change.apply(frame.getEnvelope().toBuilder())).build();
    }

    private static Map<String, String> entries(int count) {
        return IntStream.range(0, count).boxed().collect(Collectors.toMap((i) -> "k" + i, (i) -> ""));
    }

    /**
     * Waits until every drain the stream started has ended. A stream starts a drain on the thread that queues into
     * its empty queue (the one calling {@code onNext}) and a drain ends only once the queue is empty: whatever a
     * frame sent before queued has been handled by then, so that an envelope not handled then was not queued.
     */
    private void awaitDrained() {
        await().atMost(Duration.ofSeconds(5))
            .until(() -> this.drainsEnded.get() + this.escaped.size() == this.drainsStarted.get());
    }

    /**
     * A silo asks the peers of its accepted streams to move their links once its TLS material was updated, but not
     * once it said goodbye: a peer would move its links, the answers' among them, to a silo about to close.
     */
    @Test
    void aSiloThatSaidGoodbyeAsksNoPeerToRenew() {
        SiloTransportService service = new SiloTransportService(GrpcTransportSettings.builder("bank").build(),
                this.recording, new OutstandingRequests(java.time.Clock.systemUTC()), this.metrics, false);
        service.bind("b", this.handler);
        this.calls.frames.clear();
        service.link(this.calls).onNext(hello(Envelope.Lane.REPLY));
        service.askRenewal(7, System.currentTimeMillis());
        assertThat(this.calls.frames).filteredOn(ServerFrame::hasRenew)
            .singleElement()
            .satisfies((frame) -> assertThat(frame.getRenew().getGeneration()).isEqualTo(7));

        service.sayGoodbye("b");
        service.askRenewal(8, System.currentTimeMillis());

        assertThat(this.calls.frames).filteredOn(ServerFrame::hasRenew).hasSize(1);
    }

    /** Bytes that are not a frame, as the transport's reader hands them to the stream. */
    @SuppressWarnings("unchecked")
    private static ClientFrame unreadable() {
        SiloTransportService service = new SiloTransportService(GrpcTransportSettings.builder("bank").build(),
                Runnable::run, new OutstandingRequests(java.time.Clock.systemUTC()));
        ClientFrame frame = ((MethodDescriptor.Marshaller<ClientFrame>) service.bindService()
            .getMethod(SiloTransportGrpc.getLinkMethod().getFullMethodName())
            .getMethodDescriptor()
            .getRequestMarshaller()).parse(new ByteArrayInputStream(new byte[] { (byte) 0xff, (byte) 0xff }));
        assertThat(UnreadableFrames.reason(frame)).startsWith("an unreadable frame (");
        return frame;
    }

    /** An envelope claiming another source silo than the stream's handshake named. */
    private static ClientFrame forged(long id) {
        ClientFrame frame = frame(id, Envelope.Kind.REQUEST);
        return frame.toBuilder().setEnvelope(frame.getEnvelope().toBuilder().setSourceSiloId("c")).build();
    }

    private StreamObserver<ClientFrame> open(int window, Envelope.Lane lane) {
        return open(GrpcTransportSettings.builder("bank").inboundWindow(window).build(), lane);
    }

    private StreamObserver<ClientFrame> open(GrpcTransportSettings settings, Envelope.Lane lane) {
        SiloTransportService service = new SiloTransportService(settings, this.recording,
                new OutstandingRequests(java.time.Clock.systemUTC()), this.metrics, false);
        service.bind("b", this.handler);
        this.calls.requests.clear();
        this.calls.frames.clear();
        this.calls.rejectedBy.clear();
        this.calls.errors.clear();
        StreamObserver<ClientFrame> stream = service.link(this.calls);
        stream.onNext(hello(lane));
        assertThat(this.calls.frames).anyMatch(ServerFrame::hasAccepted);
        return stream;
    }

    /** The handshake of silo a's stream for a lane. */
    private static ClientFrame hello(Envelope.Lane lane) {
        return ClientFrame.newBuilder()
            .setHello(Hello.newBuilder()
                .setClusterName("bank")
                .setProtocolVersion(GrpcTransport.PROTOCOL_VERSION)
                .setSourceSiloId("a")
                .setLane(EnvelopeFrames.lane(lane)))
            .build();
    }

    private static ClientFrame frame(long id, Envelope.Kind kind) {
        return EnvelopeFrames.toFrame(new Envelope(id, id, kind, "a", 1, A, "b", 1, "account", "acc-" + id, 7,
                new byte[] { 1, 2, 3 }, 42, null, Map.of(), System.currentTimeMillis() + 60_000, 0, 0));
    }

    /** Records what it is handed, and on which thread. */
    private static final class Handler implements EnvelopeHandler {

        final List<Envelope> received = new CopyOnWriteArrayList<>();

        final List<Thread> threads = new CopyOnWriteArrayList<>();

        @Override
        public void receive(Envelope envelope) {
            this.threads.add(Thread.currentThread());
            this.received.add(envelope);
        }
    }

    /** The server side of a call, always ready, recording what the service asks for and writes. */
    private static final class Calls extends ServerCallStreamObserver<ServerFrame> {

        final List<Integer> requests = new CopyOnWriteArrayList<>();

        final List<ServerFrame> frames = new CopyOnWriteArrayList<>();

        final List<Thread> rejectedBy = new CopyOnWriteArrayList<>();

        final List<Throwable> errors = new CopyOnWriteArrayList<>();

        volatile boolean cancelOnNextWrite;

        volatile Runnable onCancel;

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public void setOnCancelHandler(Runnable handler) {
            this.onCancel = handler;
        }

        @Override
        public void setCompression(String compression) {
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setOnReadyHandler(Runnable handler) {
        }

        @Override
        public void disableAutoInboundFlowControl() {
        }

        @Override
        public void disableAutoRequest() {
        }

        @Override
        public void request(int count) {
            this.requests.add(count);
        }

        @Override
        public void setMessageCompression(boolean enable) {
        }

        @Override
        public void onNext(ServerFrame frame) {
            if (this.cancelOnNextWrite) {
                this.cancelOnNextWrite = false;
                if (this.onCancel != null) {
                    this.onCancel.run();
                }
                throw Status.CANCELLED.withDescription("call already cancelled").asRuntimeException();
            }
            if (frame.hasRejected()) {
                this.rejectedBy.add(Thread.currentThread());
            }
            this.frames.add(frame);
        }

        @Override
        public void onError(Throwable failure) {
            this.errors.add(failure);
        }

        @Override
        public void onCompleted() {
        }
    }
}
