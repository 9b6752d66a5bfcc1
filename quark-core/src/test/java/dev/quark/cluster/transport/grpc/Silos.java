package dev.quark.cluster.transport.grpc;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.grpc.proto.ServerFrame;
import io.grpc.stub.StreamObserver;
import org.jspecify.annotations.Nullable;

/**
 * Self-hosted gRPC transports on 127.0.0.1 ephemeral ports, each with a handler that records what arrives and
 * what is reported lost; closed after each test.
 */
final class Silos implements AutoCloseable {

    private final List<GrpcTransport> transports = new ArrayList<>();

    private final AtomicLong nextId = new AtomicLong(1);

    Silo start(String siloId, GrpcTransportSettings settings) {
        return start(siloId, settings, 0);
    }

    Silo start(String siloId, GrpcTransportSettings settings, int port) {
        GrpcTransport transport = GrpcTransport.selfHosted(settings, new InetSocketAddress("127.0.0.1", port), null);
        this.transports.add(transport);
        Recorder recorder = new Recorder();
        SiloAddress address = transport.start(siloId, recorder);
        return new Silo(siloId, address, transport, recorder);
    }

    static GrpcTransportSettings settings(String cluster) {
        return GrpcTransportSettings.builder(cluster)
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .build();
    }

    Envelope envelope(Silo from, Silo to, Envelope.Kind kind, byte[] payload) {
        long id = this.nextId.getAndIncrement();
        return new Envelope(id, id, kind, from.id(), 1, from.address(), to.id(), 1, "account", "acc-" + id, 7,
                payload, 42, "req-" + id, Map.of("tenant", "t1"), System.currentTimeMillis() + 60_000, 3, 0);
    }

    /** The answer to a request, from the silo it was sent to. */
    Envelope response(Silo from, Envelope request) {
        long id = this.nextId.getAndIncrement();
        return new Envelope(id, request.messageId(), Envelope.Kind.RESPONSE, from.id(), 1, from.address(),
                request.sourceSiloId(), 1, null, null, 0, new byte[0], request.callChainId(), null, Map.of(),
                request.deadlineEpochMillis(), 3, 0);
    }

    @Override
    public void close() {
        this.transports.forEach(GrpcTransport::close);
    }

    /** An observer of a raw {@code Link} stream that adds every frame the silo writes to a list. */
    static StreamObserver<ServerFrame> collect(List<ServerFrame> frames) {
        return new StreamObserver<>() {
            @Override
            public void onNext(ServerFrame value) {
                frames.add(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        };
    }

    record Silo(String id, SiloAddress address, GrpcTransport transport, Recorder recorder) {
    }

    static class Recorder implements EnvelopeHandler {

        final BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();

        /** Every request that will get no answer, refused or in doubt. */
        final Map<Long, RuntimeException> lost = new ConcurrentHashMap<>();

        /** The requests among them that may or may not have been handled. */
        final Map<Long, RuntimeException> inDoubt = new ConcurrentHashMap<>();

        /** An error the next envelope's handling throws, once. */
        volatile @Nullable Error failNext;

        /** What the handling of each envelope does besides recording it, such as answering it. */
        volatile @Nullable Consumer<Envelope> onReceive;

        @Override
        public void receive(Envelope envelope) {
            Error failure = this.failNext;
            if (failure != null) {
                this.failNext = null;
                throw failure;
            }
            this.received.add(envelope);
            Consumer<Envelope> also = this.onReceive;
            if (also != null) {
                also.accept(envelope);
            }
        }

        @Override
        public void lost(long messageId, RuntimeException failure) {
            this.lost.put(messageId, failure);
        }

        @Override
        public void inDoubt(long messageId, RuntimeException failure) {
            this.inDoubt.put(messageId, failure);
            this.lost.put(messageId, failure);
        }
    }
}
