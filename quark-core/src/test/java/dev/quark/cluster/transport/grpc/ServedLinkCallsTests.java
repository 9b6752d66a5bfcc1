package dev.quark.cluster.transport.grpc;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.grpc.Silos.Silo;
import dev.quark.cluster.transport.grpc.proto.SiloTransportGrpc;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A transport served by an application's gRPC server given {@link GrpcTransport#linkCallsOnTransportThreads()}:
 * the envelopes of an open link are handled without the server's executor, which the application's own calls keep.
 */
class ServedLinkCallsTests {

    private static final MethodDescriptor<Void, Void> OTHER = MethodDescriptor.<Void, Void>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("shop.Orders/Place")
        .setRequestMarshaller(new NoMessages())
        .setResponseMarshaller(new NoMessages())
        .build();

    private final Silos silos = new Silos();

    private final ExecutorService applicationExecutor = Executors.newSingleThreadExecutor();

    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void close() {
        this.release.countDown();
        this.silos.close();
        this.applicationExecutor.shutdownNow();
    }

    @Test
    void envelopesOfAnOpenLinkAreHandledWhileTheServersExecutorIsBusy() throws Exception {
        GrpcTransport served = GrpcTransport.served(Silos.settings("bank"), new SiloAddress("127.0.0.1", 1));
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(served.bindableService())
            .executor(this.applicationExecutor)
            .callExecutor(GrpcTransport.linkCallsOnTransportThreads())
            .build()
            .start();
        try {
            Silos.Recorder recorder = new Silos.Recorder();
            served.start("b", recorder);
            Silo b = new Silo("b", new SiloAddress("127.0.0.1", server.getPort()), served, recorder);
            Silo a = this.silos.start("a", Silos.settings("bank"));
            Envelope first = this.silos.envelope(a, b, Envelope.Kind.ONE_WAY, new byte[3]);
            a.transport().send(b.address(), first).toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(recorder.received.poll(5, TimeUnit.SECONDS)).usingRecursiveComparison().isEqualTo(first);

            CountDownLatch busy = new CountDownLatch(1);
            this.applicationExecutor.execute(() -> {
                busy.countDown();
                awaitRelease();
            });
            assertThat(busy.await(5, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 3; i++) {
                Envelope next = this.silos.envelope(a, b, Envelope.Kind.ONE_WAY, new byte[] { (byte) i });
                a.transport().send(b.address(), next).toCompletableFuture().get(5, TimeUnit.SECONDS);
                assertThat(recorder.received.poll(5, TimeUnit.SECONDS)).as("envelope %d, the executor busy", i)
                    .usingRecursiveComparison()
                    .isEqualTo(next);
            }
        }
        finally {
            this.release.countDown();
            served.close();
            server.shutdownNow();
        }
    }

    @Test
    void linkCallsRunOnTheCallingThreadAndTheServersOtherCallsAreLeftToItsExecutor() {
        Executor link = GrpcTransport.linkCallsOnTransportThreads()
            .getExecutor(new CallOf<>(SiloTransportGrpc.getLinkMethod()), new Metadata());
        assertThat(link).isNotNull();
        AtomicReference<Thread> ran = new AtomicReference<>();
        link.execute(() -> ran.set(Thread.currentThread()));
        assertThat(ran.get()).as("run inline").isSameAs(Thread.currentThread());

        assertThat(GrpcTransport.linkCallsOnTransportThreads().getExecutor(new CallOf<>(OTHER), new Metadata()))
            .isNull();
    }

    @Test
    void anApplicationsOwnSupplierPlacesItsOwnCallsAndLinkCallsStayOnTheCallingThread() {
        Executor own = (task) -> {
            throw new AssertionError("the application's executor");
        };
        ServerCallExecutorSupplier both = GrpcTransport.linkCallsOnTransportThreads(new ServerCallExecutorSupplier() {
            @Override
            public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata metadata) {
                return own;
            }
        });

        assertThat(both.getExecutor(new CallOf<>(OTHER), new Metadata())).isSameAs(own);
        Executor link = both.getExecutor(new CallOf<>(SiloTransportGrpc.getLinkMethod()), new Metadata());
        AtomicReference<Thread> ran = new AtomicReference<>();
        link.execute(() -> ran.set(Thread.currentThread()));
        assertThat(ran.get()).isSameAs(Thread.currentThread());
    }

    private void awaitRelease() {
        try {
            this.release.await(30, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /** A call of a method, with nothing behind it: the supplier only reads its method. */
    private static final class CallOf<Q, R> extends ServerCall<Q, R> {

        private final MethodDescriptor<Q, R> method;

        CallOf(MethodDescriptor<Q, R> method) {
            this.method = method;
        }

        @Override
        public void request(int numMessages) {
        }

        @Override
        public void sendHeaders(Metadata headers) {
        }

        @Override
        public void sendMessage(R message) {
        }

        @Override
        public void close(Status status, Metadata trailers) {
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public Attributes getAttributes() {
            return Attributes.EMPTY;
        }

        @Override
        public MethodDescriptor<Q, R> getMethodDescriptor() {
            return this.method;
        }
    }

    private static final class NoMessages implements MethodDescriptor.Marshaller<Void> {

        @Override
        public InputStream stream(@Nullable Void value) {
            return InputStream.nullInputStream();
        }

        @Override
        public @Nullable Void parse(InputStream stream) {
            return null;
        }
    }
}
