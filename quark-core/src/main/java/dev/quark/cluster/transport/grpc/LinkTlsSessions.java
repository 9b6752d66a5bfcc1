package dev.quark.cluster.transport.grpc;

import javax.net.ssl.SSLSession;

import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import org.jspecify.annotations.Nullable;

/**
 * Hands the TLS session of the connection a {@code Link} stream came on to the service while the stream starts
 * ({@link #current()}), so that a stream accepted after the silo's TLS material was updated, on a connection made
 * before, can be asked to move to a new one ({@code Renew}, {@link SiloTransportService#askRenewal}). The session is
 * in the gRPC context only while the call starts, not around each of its messages.
 */
final class LinkTlsSessions implements ServerInterceptor {

    static final LinkTlsSessions INSTANCE = new LinkTlsSessions();

    private static final Context.Key<SSLSession> SESSION = Context.key("quark-link-tls-session");

    private LinkTlsSessions() {
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            return next.startCall(call, headers);
        }
        Context withSession = Context.current().withValue(SESSION, session);
        Context previous = withSession.attach();
        try {
            return next.startCall(call, headers);
        }
        finally {
            withSession.detach(previous);
        }
    }

    /**
     * Returns the TLS session of the call starting on this thread.
     * @return the session, or {@code null} without TLS
     */
    static @Nullable SSLSession current() {
        return SESSION.get();
    }
}
