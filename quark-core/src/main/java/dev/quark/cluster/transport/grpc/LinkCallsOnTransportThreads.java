package dev.quark.cluster.transport.grpc;

import java.util.concurrent.Executor;

import dev.quark.cluster.transport.grpc.proto.SiloTransportGrpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs the callbacks of a served transport's {@code Link} calls on the thread that read their frames, and leaves
 * every other call of the application's gRPC server to that server's executor (see
 * {@link GrpcTransport#linkCallsOnTransportThreads()}).
 */
final class LinkCallsOnTransportThreads implements ServerCallExecutorSupplier {

    static final LinkCallsOnTransportThreads INSTANCE = new LinkCallsOnTransportThreads();

    private static final String LINK = SiloTransportGrpc.getLinkMethod().getFullMethodName();

    private static final Executor CALLING_THREAD = Runnable::run;

    private LinkCallsOnTransportThreads() {
    }

    @Override
    public <ReqT, RespT> @Nullable Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata metadata) {
        return LINK.equals(call.getMethodDescriptor().getFullMethodName()) ? CALLING_THREAD : null;
    }
}
