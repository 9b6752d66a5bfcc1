package dev.quark.cluster.transport.grpc;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.grpc.proto.ClientFrame;
import dev.quark.cluster.transport.grpc.proto.Hello;
import dev.quark.cluster.transport.grpc.proto.ServerFrame;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The receiving side of one {@code Link} stream, driven without a network: how much it asks gRPC for, and on
 * which thread it hands envelopes to the silo.
 */
class InboundStreamTests {

    private static final SiloAddress A = new SiloAddress("127.0.0.1", 7001);

    private final ExecutorService deliveries = Executors.newVirtualThreadPerTaskExecutor();

    private final Handler handler = new Handler();

    private final Calls calls = new Calls();

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

    private StreamObserver<ClientFrame> open(int window, Envelope.Lane lane) {
        GrpcTransportSettings settings = GrpcTransportSettings.builder("bank").inboundWindow(window).build();
        SiloTransportService service = new SiloTransportService(settings, this.deliveries,
                new OutstandingRequests(java.time.Clock.systemUTC()));
        service.bind("b", this.handler);
        this.calls.requests.clear();
        this.calls.frames.clear();
        this.calls.rejectedBy.clear();
        StreamObserver<ClientFrame> stream = service.link(this.calls);
        stream.onNext(ClientFrame.newBuilder()
            .setHello(Hello.newBuilder()
                .setClusterName("bank")
                .setProtocolVersion(GrpcTransport.PROTOCOL_VERSION)
                .setSourceSiloId("a")
                .setLane(EnvelopeFrames.lane(lane)))
            .build());
        assertThat(this.calls.frames).anyMatch(ServerFrame::hasAccepted);
        return stream;
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

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public void setOnCancelHandler(Runnable handler) {
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
            if (frame.hasRejected()) {
                this.rejectedBy.add(Thread.currentThread());
            }
            this.frames.add(frame);
        }

        @Override
        public void onError(Throwable failure) {
        }

        @Override
        public void onCompleted() {
        }
    }
}
