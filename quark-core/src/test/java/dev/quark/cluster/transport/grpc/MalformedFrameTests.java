package dev.quark.cluster.transport.grpc;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.grpc.Silos.Silo;
import dev.quark.cluster.transport.grpc.proto.ClientFrame;
import dev.quark.cluster.transport.grpc.proto.Hello;
import dev.quark.cluster.transport.grpc.proto.Kind;
import dev.quark.cluster.transport.grpc.proto.Lane;
import dev.quark.cluster.transport.grpc.proto.ServerFrame;
import dev.quark.cluster.transport.grpc.proto.SiloTransportGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a silo does with frames no Quark silo would send: it refuses them with a reason, or ends the one
 * stream, and keeps serving.
 */
class MalformedFrameTests {

    private static final MethodDescriptor<byte[], byte[]> RAW_LINK = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName(SiloTransportGrpc.getLinkMethod().getFullMethodName())
        .setRequestMarshaller(new RawBytes())
        .setResponseMarshaller(new RawBytes())
        .build();

    private final Silos silos = new Silos();

    private ManagedChannel channel;

    @AfterEach
    void close() {
        if (this.channel != null) {
            this.channel.shutdownNow();
        }
        this.silos.close();
    }

    @Test
    void malformedEnvelopeIsRefusedWithAReasonAndTheStreamCarriesOn() throws Exception {
        Silo b = this.silos.start("b", Silos.settings("bank"));
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        List<ServerFrame> answers = new CopyOnWriteArrayList<>();
        StreamObserver<ClientFrame> stream = SiloTransportGrpc.newStub(this.channel).link(Silos.collect(answers));
        stream.onNext(hello("bank", Lane.LANE_CALL, "b"));
        Envelope valid = this.silos.envelope(b, b, Envelope.Kind.REQUEST, new byte[3]);
        ClientFrame good = EnvelopeFrames.toFrame(valid);
        stream.onNext(good.toBuilder().setEnvelope(good.getEnvelope().toBuilder().setKind(Kind.KIND_UNSPECIFIED).setMessageId(11)).build());
        stream.onNext(good.toBuilder().setEnvelope(good.getEnvelope().toBuilder().setTargetSiloId("z").setMessageId(12)).build());
        stream.onNext(good.toBuilder().setEnvelope(good.getEnvelope().toBuilder().setSourceSiloId("").setMessageId(13)).build());
        stream.onNext(good.toBuilder().setEnvelope(good.getEnvelope().toBuilder().setKind(Kind.KIND_PROBE).setMessageId(14)).build());
        stream.onNext(good.toBuilder().setEnvelope(good.getEnvelope().toBuilder().setSourcePort(70_000).setMessageId(15)).build());
        stream.onNext(hello("bank", Lane.LANE_CALL));
        stream.onNext(good);
        await().atMost(Duration.ofSeconds(5)).until(() -> answers.size() >= 7);
        assertThat(answers.get(0).hasAccepted()).isTrue();
        assertThat(answers.subList(1, 7)).allSatisfy((answer) -> assertThat(answer.hasRejected()).isTrue());
        assertThat(answers.get(1).getRejected().getMessageId()).isEqualTo(11);
        assertThat(answers.get(1).getRejected().getReason()).contains("kind KIND_UNSPECIFIED is not a known envelope kind");
        assertThat(answers.get(2).getRejected().getReason()).contains("is for silo z, not for silo b");
        assertThat(answers.get(3).getRejected().getReason()).contains("source silo id is blank");
        assertThat(answers.get(4).getRejected().getReason()).contains("travels on lane PROBE, not on lane CALL");
        assertThat(answers.get(5).getRejected().getReason()).contains("source port 70000 is not between 0 and 65535");
        assertThat(answers.get(6).getRejected().getReason()).contains("not an envelope");
        Envelope delivered = b.recorder().received.poll(5, TimeUnit.SECONDS);
        assertThat(delivered).usingRecursiveComparison().isEqualTo(valid);
        stream.onCompleted();
    }

    @Test
    void unreadableFrameIsRefusedWithAReasonAndTheStreamCarriesOn() throws Exception {
        Silo b = this.silos.start("b", Silos.settings("bank"));
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        List<byte[]> answers = new CopyOnWriteArrayList<>();
        StreamObserver<byte[]> stream = ClientCalls.asyncBidiStreamingCall(
                this.channel.newCall(RAW_LINK, CallOptions.DEFAULT), recording(answers, new CopyOnWriteArrayList<>()));
        stream.onNext(hello("bank", Lane.LANE_CALL, "b").toByteArray());
        Envelope valid = this.silos.envelope(b, b, Envelope.Kind.REQUEST, new byte[3]);
        byte[] good = EnvelopeFrames.toFrame(valid).toByteArray();
        // Not a ClientFrame at all: gRPC's own marshaller would end the stream (INTERNAL) and log a stack trace.
        stream.onNext(new byte[] { (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff });
        stream.onNext(java.util.Arrays.copyOf(good, good.length / 2));
        stream.onNext(good);
        await().atMost(Duration.ofSeconds(5)).until(() -> answers.size() >= 3);
        List<ServerFrame> frames = new java.util.ArrayList<>();
        for (byte[] answer : answers) {
            frames.add(ServerFrame.parseFrom(answer));
        }
        assertThat(frames.get(0).hasAccepted()).isTrue();
        assertThat(frames.subList(1, 3)).allSatisfy((frame) -> {
            assertThat(frame.hasRejected()).isTrue();
            assertThat(frame.getRejected().getReason()).startsWith("an unreadable frame (");
        });
        Envelope delivered = b.recorder().received.poll(5, TimeUnit.SECONDS);
        assertThat(delivered).usingRecursiveComparison().isEqualTo(valid);
        stream.onCompleted();
    }

    @Test
    void unreadableFrameIsRefusedOnAnApplicationsGrpcServerTooAndTheStreamCarriesOn() throws Exception {
        GrpcTransport served = GrpcTransport.served(Silos.settings("bank"), new SiloAddress("127.0.0.1", 1));
        // As Spring's gRPC server does: the service bound, wrapped in the application's interceptors.
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.interceptForward(served.bindableService(), new ServerInterceptor() {
                @Override
                public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                        ServerCallHandler<Q, R> next) {
                    return next.startCall(call, headers);
                }
            }))
            .build()
            .start();
        Silos.Recorder recorder = new Silos.Recorder();
        try {
            served.start("b", recorder);
            this.channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
            List<byte[]> answers = new CopyOnWriteArrayList<>();
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            StreamObserver<byte[]> stream = ClientCalls.asyncBidiStreamingCall(
                    this.channel.newCall(RAW_LINK, CallOptions.DEFAULT), recording(answers, errors));
            stream.onNext(hello("bank", Lane.LANE_CALL, "a").toByteArray());
            Silo a = new Silo("a", new SiloAddress("127.0.0.1", 2), served, recorder);
            Silo b = new Silo("b", new SiloAddress("127.0.0.1", server.getPort()), served, recorder);
            Envelope valid = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[3]);
            // Not a ClientFrame: gRPC's own reader, which an application's server kept, ended the stream (CANCELLED
            // to the sender, a stack trace in the server's log).
            stream.onNext(new byte[] { (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff });
            stream.onNext(EnvelopeFrames.toFrame(valid).toByteArray());
            await().atMost(Duration.ofSeconds(5)).until(() -> answers.size() >= 2 || !errors.isEmpty());
            assertThat(errors).isEmpty();
            assertThat(ServerFrame.parseFrom(answers.get(0)).hasAccepted()).isTrue();
            assertThat(ServerFrame.parseFrom(answers.get(1)).getRejected().getReason()).startsWith("an unreadable frame (");
            assertThat(recorder.received.poll(5, TimeUnit.SECONDS)).usingRecursiveComparison().isEqualTo(valid);
            stream.onCompleted();
        }
        finally {
            served.close();
            server.shutdownNow();
        }
    }

    @Test
    void streamMixingUnreadableFramesWithValidEnvelopesIsEndedOnceOverItsBudgetAndTheSiloKeepsServing() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", GrpcTransportSettings.builder("bank").maxInvalidFrames(10, 100).build());
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        StreamObserver<byte[]> stream = ClientCalls.asyncBidiStreamingCall(
                this.channel.newCall(RAW_LINK, CallOptions.DEFAULT), failures(errors));
        stream.onNext(hello("bank", Lane.LANE_CALL, "a").toByteArray());
        byte[] valid = EnvelopeFrames.toFrame(this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[3])).toByteArray();
        // Never two unreadable frames in a row: only the budget of the stream's last 100 frames ends it.
        for (int i = 0; i < 11; i++) {
            stream.onNext(new byte[] { (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff });
            stream.onNext(valid);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !errors.isEmpty());
        assertThat(errors.get(0)).hasMessageContaining("INVALID_ARGUMENT")
            .hasMessageContaining("Silo b ends the Link stream from silo a: 11 of its last 21 frames were invalid, frames "
                    + "no Quark silo sends (more than 10 in 100, quark.cluster.transport.max-invalid-frames and "
                    + "invalid-frames-window), the last an unreadable frame (");
        await().atMost(Duration.ofSeconds(5)).until(() -> b.recorder().received.size() == 10);
        b.recorder().received.clear();
        Envelope after = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        a.transport().send(b.address(), after).toCompletableFuture().get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5))
            .until(() -> b.recorder().received.stream().anyMatch((e) -> e.messageId() == after.messageId()));
    }

    @Test
    void envelopeClaimingAnotherSourceThanTheHandshakesIsRefusedNamingBoth() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        Silo c = this.silos.start("c", Silos.settings("bank"));
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        List<ServerFrame> answers = new CopyOnWriteArrayList<>();
        StreamObserver<ClientFrame> stream = SiloTransportGrpc.newStub(this.channel).link(Silos.collect(answers));
        stream.onNext(hello("bank", Lane.LANE_CALL, "a"));
        Envelope forged = this.silos.envelope(c, b, Envelope.Kind.REQUEST, new byte[3]);
        Envelope genuine = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[3]);
        stream.onNext(EnvelopeFrames.toFrame(forged));
        stream.onNext(EnvelopeFrames.toFrame(genuine));
        await().atMost(Duration.ofSeconds(5)).until(() -> answers.size() >= 2);
        assertThat(answers.get(1).hasRejected()).isTrue();
        assertThat(answers.get(1).getRejected().getMessageId()).isEqualTo(forged.messageId());
        assertThat(answers.get(1).getRejected().getReason())
            .contains("claims to come from silo c, but its stream's handshake named silo a");
        Envelope delivered = b.recorder().received.poll(5, TimeUnit.SECONDS);
        assertThat(delivered).extracting(Envelope::messageId).isEqualTo(genuine.messageId());
        assertThat(b.recorder().received).isEmpty();
        stream.onCompleted();
    }

    @Test
    void refusalsWaitWhileTheSenderDoesNotReadAndNoneIsLost() throws Exception {
        Silo b = this.silos.start("b", GrpcTransportSettings.builder("bank").inboundWindow(500).build());
        // A small fixed window: the refusals fill it long before all are written.
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port())
            .usePlaintext()
            .flowControlWindow(65_535)
            .build();
        List<ServerFrame> answers = new CopyOnWriteArrayList<>();
        AtomicReference<ClientCallStreamObserver<ClientFrame>> requests = new AtomicReference<>();
        StreamObserver<ClientFrame> stream = SiloTransportGrpc.newStub(this.channel)
            .link(new ClientResponseObserver<ClientFrame, ServerFrame>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<ClientFrame> requestStream) {
                    requests.set(requestStream);
                    requestStream.disableAutoRequestWithInitial(0);
                }

                @Override
                public void onNext(ServerFrame value) {
                    answers.add(value);
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            });
        stream.onNext(hello("bank", Lane.LANE_CALL, "b"));
        Envelope template = this.silos.envelope(b, b, Envelope.Kind.REQUEST, new byte[3]);
        ClientFrame good = EnvelopeFrames.toFrame(template);
        String longName = "x".repeat(4000);
        int refused = 100;
        for (int i = 0; i < refused; i++) {
            // Meant for another silo: refused with a reason that names the envelope, about 8 KB.
            stream.onNext(good.toBuilder()
                .setEnvelope(good.getEnvelope().toBuilder().setTargetSiloId("z").setActorType(longName)
                    .setActorId(longName).setMessageId(1000 + i))
                .build());
        }
        stream.onNext(good);
        // The last envelope arrives once every refusal before it was made (and, before the fix, dropped).
        assertThat(b.recorder().received.poll(10, TimeUnit.SECONDS)).extracting(Envelope::messageId)
            .isEqualTo(template.messageId());
        requests.get().request(Integer.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10))
            .until(() -> answers.stream().filter(ServerFrame::hasRejected).count() == refused);
        assertThat(answers.stream().filter(ServerFrame::hasRejected).map((frame) -> frame.getRejected().getMessageId()))
            .containsExactlyElementsOf(java.util.stream.LongStream.range(1000, 1000 + refused).boxed().toList());
        stream.onCompleted();
    }

    @Test
    void streamWithoutHandshakeIsClosedWithAClearError() {
        Silo b = this.silos.start("b", Silos.settings("bank"));
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        StreamObserver<ClientFrame> stream = SiloTransportGrpc.newStub(this.channel).link(new StreamObserver<>() {
            @Override
            public void onNext(ServerFrame value) {
            }

            @Override
            public void onError(Throwable t) {
                errors.add(t);
            }

            @Override
            public void onCompleted() {
            }
        });
        stream.onNext(EnvelopeFrames.toFrame(this.silos.envelope(b, b, Envelope.Kind.REQUEST, new byte[0])));
        await().atMost(Duration.ofSeconds(5)).until(() -> !errors.isEmpty());
        assertThat(errors.get(0)).hasMessageContaining("INVALID_ARGUMENT").hasMessageContaining("expected a Hello frame first");
        assertThat(b.recorder().received).isEmpty();
    }

    @Test
    void unreadableFirstFrameIsClosedNamingWhyItCouldNotBeRead() {
        Silo b = this.silos.start("b", Silos.settings("bank"));
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        StreamObserver<byte[]> stream = ClientCalls.asyncBidiStreamingCall(
                this.channel.newCall(RAW_LINK, CallOptions.DEFAULT), failures(errors));
        stream.onNext(new byte[] { (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff });
        await().atMost(Duration.ofSeconds(5)).until(() -> !errors.isEmpty());
        assertThat(errors.get(0)).hasMessageContaining("INVALID_ARGUMENT")
            .hasMessageContaining("expected a Hello frame first on a Link stream, got an unreadable frame (");
    }

    @Test
    void streamOfGarbageIsEndedOnceMoreThanTheLimitCameInARow() {
        Silo b = this.silos.start("b", Silos.settings("bank"));
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        StreamObserver<byte[]> stream = ClientCalls.asyncBidiStreamingCall(
                this.channel.newCall(RAW_LINK, CallOptions.DEFAULT), failures(errors));
        stream.onNext(hello("bank", Lane.LANE_CALL, "b").toByteArray());
        int max = Silos.settings("bank").maxUnreadableFramesInARow();
        for (int i = 0; i <= max; i++) {
            stream.onNext(new byte[] { (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff });
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !errors.isEmpty());
        assertThat(errors.get(0)).hasMessageContaining("INVALID_ARGUMENT")
            .hasMessageContaining("Silo b ends the Link stream from silo b after " + (max + 1)
                    + " frames in a row that were unreadable or not envelopes (more than " + max
                    + ", quark.cluster.transport.max-unreadable-frames-in-a-row), the last an unreadable frame (");
    }

    @Test
    void envelopeCarryingTheFieldThatMarksUnreadableFramesIsHandledNormally() throws Exception {
        Silo b = this.silos.start("b", Silos.settings("bank"));
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        List<ServerFrame> answers = new CopyOnWriteArrayList<>();
        StreamObserver<ClientFrame> stream = SiloTransportGrpc.newStub(this.channel).link(Silos.collect(answers));
        stream.onNext(hello("bank", Lane.LANE_CALL, "b"));
        Envelope valid = this.silos.envelope(b, b, Envelope.Kind.REQUEST, new byte[3]);
        stream.onNext(EnvelopeFrames.toFrame(valid).toBuilder()
            .setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                .addField(UnreadableFrames.REASON_FIELD, com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                    .addLengthDelimited(com.google.protobuf.ByteString.copyFromUtf8("forged\nreason"))
                    .build())
                .build())
            .build());
        Envelope delivered = b.recorder().received.poll(5, TimeUnit.SECONDS);
        assertThat(delivered).usingRecursiveComparison().isEqualTo(valid);
        assertThat(answers).noneMatch(ServerFrame::hasRejected);
        stream.onCompleted();
    }

    @Test
    void randomAndMutatedFramesNeverStopTheSilo() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", b.address().port()).usePlaintext().build();
        Random random = new Random(20261201L);
        byte[] hello = hello("bank", Lane.LANE_CALL).toByteArray();
        byte[] valid = EnvelopeFrames.toFrame(this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[40])).toByteArray();
        long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        int streams = 0;
        while (System.nanoTime() < end) {
            StreamObserver<byte[]> stream = ClientCalls.asyncBidiStreamingCall(
                    this.channel.newCall(RAW_LINK, CallOptions.DEFAULT), ignoring());
            stream.onNext(random.nextBoolean() ? hello : mutate(hello, random));
            for (int i = 0; i < 20; i++) {
                byte[] frame = switch (random.nextInt(3)) {
                    case 0 -> randomBytes(random);
                    case 1 -> mutate(valid, random);
                    default -> truncate(valid, random);
                };
                stream.onNext(frame);
            }
            if (random.nextBoolean()) {
                stream.onCompleted();
            }
            else {
                stream.onError(new IllegalStateException("fuzz"));
            }
            streams++;
        }
        assertThat(streams).isGreaterThan(10);
        assertThat(b.recorder().received).allSatisfy((envelope) -> assertThat(envelope.targetSiloId()).isEqualTo("b"));
        b.recorder().received.clear();
        Envelope after = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        a.transport().send(b.address(), after).toCompletableFuture().get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5))
            .until(() -> b.recorder().received.stream().anyMatch((e) -> e.messageId() == after.messageId()));
    }

    private static ClientFrame hello(String cluster, Lane lane) {
        return hello(cluster, lane, "tester");
    }

    private static ClientFrame hello(String cluster, Lane lane, String sourceSiloId) {
        return ClientFrame.newBuilder()
            .setHello(Hello.newBuilder().setClusterName(cluster).setProtocolVersion(GrpcTransport.PROTOCOL_VERSION)
                .setSourceSiloId(sourceSiloId).setLane(lane))
            .build();
    }

    private static byte[] randomBytes(Random random) {
        byte[] bytes = new byte[random.nextInt(200)];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] mutate(byte[] original, Random random) {
        byte[] copy = original.clone();
        int flips = 1 + random.nextInt(4);
        for (int i = 0; i < flips; i++) {
            copy[random.nextInt(copy.length)] = (byte) random.nextInt(256);
        }
        return copy;
    }

    private static byte[] truncate(byte[] original, Random random) {
        return java.util.Arrays.copyOf(original, random.nextInt(original.length));
    }

    /** Keeps what the stream answers and how it fails. */
    private static <T> StreamObserver<T> recording(List<T> answers, List<Throwable> errors) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                answers.add(value);
            }

            @Override
            public void onError(Throwable t) {
                errors.add(t);
            }

            @Override
            public void onCompleted() {
            }
        };
    }

    private static <T> StreamObserver<T> ignoring() {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        };
    }

    private static StreamObserver<byte[]> failures(List<Throwable> errors) {
        return new StreamObserver<>() {
            @Override
            public void onNext(byte[] value) {
            }

            @Override
            public void onError(Throwable t) {
                errors.add(t);
            }

            @Override
            public void onCompleted() {
            }
        };
    }

    private static final class RawBytes implements MethodDescriptor.Marshaller<byte[]> {

        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }
}
