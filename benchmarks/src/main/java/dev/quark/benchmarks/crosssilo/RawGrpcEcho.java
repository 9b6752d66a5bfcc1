package dev.quark.benchmarks.crosssilo;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import org.jspecify.annotations.Nullable;

/**
 * The physical reference: a gRPC bidirectional-stream echo with grpc-java and its Netty transport (the ones Quark's
 * transport uses, plaintext) on 127.0.0.1, tuned as grpc-java advises for handlers that never block: {@code
 * directExecutor()} on both ends, so messages are handled on Netty's event loops with no hand-off. One stream carries every call, as one Quark link
 * carries every call between two silos: each message is an 8-byte call id followed by the payload, the server
 * writes it back as it is, and the client completes the call's future from a map of pending calls. No actor, no
 * codec, no envelope: the cost of the wire and of gRPC alone.
 */
final class RawGrpcEcho implements CrossSiloSide {

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {

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
    };

    private static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("bench.Echo", "Echo"))
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();

    private final LongAdder served = new LongAdder();

    private final Map<Long, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();

    private final AtomicLong nextId = new AtomicLong();

    private final Server server;

    private final ManagedChannel channel;

    private final StreamObserver<byte[]> requests;

    RawGrpcEcho() throws IOException {
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .directExecutor()
            .addService(ServerServiceDefinition.builder("bench.Echo")
                .addMethod(ECHO, ServerCalls.asyncBidiStreamingCall((responses) -> new StreamObserver<byte[]>() {

                    @Override
                    public void onNext(byte[] message) {
                        RawGrpcEcho.this.served.increment();
                        responses.onNext(message);
                    }

                    @Override
                    public void onError(Throwable error) {
                    }

                    @Override
                    public void onCompleted() {
                        responses.onCompleted();
                    }
                }))
                .build())
            .build()
            .start();
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", this.server.getPort())
            .usePlaintext()
            .directExecutor()
            .build();
        this.requests = ClientCalls.asyncBidiStreamingCall(this.channel.newCall(ECHO, CallOptions.DEFAULT),
                new StreamObserver<byte[]>() {

                    @Override
                    public void onNext(byte[] message) {
                        CompletableFuture<byte[]> call = RawGrpcEcho.this.pending
                            .remove(ByteBuffer.wrap(message).getLong());
                        if (call != null) {
                            call.complete(message);
                        }
                    }

                    @Override
                    public void onError(Throwable error) {
                        RawGrpcEcho.this.pending.values().forEach((call) -> call.completeExceptionally(error));
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
    }

    @Override
    public byte[] call(byte[] payload) throws Exception {
        return callAsync(payload).toCompletableFuture().get(1, TimeUnit.MINUTES);
    }

    @Override
    public CompletionStage<byte[]> callAsync(byte[] payload) {
        long id = this.nextId.incrementAndGet();
        byte[] message = ByteBuffer.allocate(Long.BYTES + payload.length).putLong(id).put(payload).array();
        CompletableFuture<byte[]> call = new CompletableFuture<>();
        this.pending.put(id, call);
        // A stream observer takes one message at a time.
        synchronized (this.requests) {
            this.requests.onNext(message);
        }
        return call;
    }

    @Override
    public long served() {
        return this.served.sum();
    }

    @Override
    public void close() {
        synchronized (this.requests) {
            this.requests.onCompleted();
        }
        this.channel.shutdownNow();
        this.server.shutdownNow();
        awaitQuietly(this.channel, this.server);
    }

    private static void awaitQuietly(ManagedChannel channel, @Nullable Server server) {
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
            if (server != null) {
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
