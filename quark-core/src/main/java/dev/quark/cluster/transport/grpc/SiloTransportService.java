package dev.quark.cluster.transport.grpc;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.grpc.proto.Accepted;
import dev.quark.cluster.transport.grpc.proto.ClientFrame;
import dev.quark.cluster.transport.grpc.proto.Goodbye;
import dev.quark.cluster.transport.grpc.proto.Hello;
import dev.quark.cluster.transport.grpc.proto.Rejected;
import dev.quark.cluster.transport.grpc.proto.Renew;
import dev.quark.cluster.transport.grpc.proto.ServerFrame;
import dev.quark.cluster.transport.grpc.proto.SiloTransportGrpc;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of the gRPC transport, a {@code BindableService}: each {@code Link} stream from a peer
 * starts with a handshake (cluster name and protocol version must match, else the stream is closed with
 * {@code FAILED_PRECONDITION} naming both sides' values), then carries the envelopes of one lane, which are
 * delivered to the silo's handler one after another, in order, on a virtual thread per stream (answers too:
 * completing a caller's future decodes its result with the application's types). The thread gRPC calls the
 * stream back on only checks a frame and queues it, and a refused one is queued too: its warning and its
 * {@code Rejected} frame come from the drain, in order with the envelopes around it, so that a flood of
 * malformed frames never logs on that thread: Netty's event loop, since the transport's own server is built with
 * {@code directExecutor()} and an application's server that serves it is given
 * {@link GrpcTransport#linkCallsOnTransportThreads()}.
 * <p>
 * Flow control: a stream asks gRPC for {@code inboundWindow} envelopes ahead and, each time half that many
 * have been handled, for as many more (one request per batch, not per envelope), so a silo buffers at most
 * {@code inboundWindow} per stream and a slow handler slows its sender down.
 * A malformed envelope, one larger than {@code maxMessageSize}, one meant for another silo, or one whose source
 * silo is not the silo named in the stream's handshake, is refused with a {@code Rejected} frame naming it and
 * the reason (a warning in the log for a stream's first few, {@link RefusalLog}); the stream carries on. Reasons
 * are cut and escaped ({@link PeerText}) before they are logged or written back. A stream whose frames are
 * unreadable or not envelopes more than {@link GrpcTransportSettings#maxUnreadableFramesInARow()} times in a row,
 * or whose last {@link GrpcTransportSettings#invalidFramesWindow()} frames hold more than
 * {@link GrpcTransportSettings#maxInvalidFrames()} frames no Quark silo sends ({@link InvalidFrameBudget}), is ended
 * with {@code INVALID_ARGUMENT}, and counted ({@link GrpcTransportMetrics#streamEndedForInvalidFrames}). Refusals wait while the stream is not ready and
 * hold back the next envelope until written, so none is lost. The gRPC server's own limit
 * ({@link GrpcTransport#inboundLimit}) is set higher, so that only a frame far beyond the limit ends its
 * stream.
 * <p>
 * Goodbye: before the silo closes, {@link #sayGoodbye} writes a {@code Goodbye} on every accepted stream of the
 * lanes that carry requests (calls and probes; the replies' streams carry on, so that the answers to this silo's own
 * requests still arrive) and refuses later handshakes on those lanes ({@code UNAVAILABLE}); a peer then writes nothing
 * more on the stream and half-closes it. A stream a peer half-closed ends only once the envelopes it wrote before
 * were handed to the silo and its refusals written, so that {@link #awaitFarewells} returns when everything peers
 * wrote was received.
 */
final class SiloTransportService implements BindableService, SiloTransportGrpc.AsyncService {

    private static final Logger logger = LoggerFactory.getLogger(SiloTransportService.class);

    private final GrpcTransportSettings settings;

    private final Executor deliveries;

    private final OutstandingRequests outstanding;

    private volatile @Nullable Binding binding;

    private final Set<InboundStream> streams = ConcurrentHashMap.newKeySet();

    /** Marks, in a stream's queue, the peer's half-close: the stream ends once what came before is handled. */
    private static final Object PEER_DONE = new Object();

    /** Set by {@link #sayGoodbye}: handshakes are refused from then on. */
    private volatile boolean closing;

    /**
     * The latest update of the material peers were asked to move their links for ({@link #askRenewal}), for streams
     * accepted later on older connections; {@code null} before the first.
     */
    private final AtomicReference<@Nullable MaterialUpdate> lastUpdate = new AtomicReference<>();

    /**
     * Guarded by itself: the streams told goodbye that have not ended yet. A stream that ended is never added: both
     * happen under this lock ({@link InboundStream#over}).
     */
    private final Set<InboundStream> farewells = new HashSet<>();

    private final GrpcTransportMetrics metrics;

    /** Whether a peer's client certificate must name the host its envelopes say they come from. */
    private final boolean peerNamesChecked;

    /** Whether a stream without a TLS session, whose peer's certificate goes unchecked, was logged. */
    private final AtomicBoolean noSessionWarned = new AtomicBoolean();

    SiloTransportService(GrpcTransportSettings settings, Executor deliveries, OutstandingRequests outstanding) {
        this(settings, deliveries, outstanding, GrpcTransportMetrics.NONE, false);
    }

    /**
     * Creates the service.
     * @param peerNamesChecked whether a peer that presents a certificate must be named by it: the host its envelopes
     * say they come from (the address it advertises, where this silo sends its answers) must be one of the
     * certificate's names, as its own channels check the certificates of the silos they connect to
     */
    SiloTransportService(GrpcTransportSettings settings, Executor deliveries, OutstandingRequests outstanding,
            GrpcTransportMetrics metrics, boolean peerNamesChecked) {
        this.settings = settings;
        this.deliveries = deliveries;
        this.outstanding = outstanding;
        this.metrics = metrics;
        this.peerNamesChecked = peerNamesChecked;
    }

    void bind(String siloId, EnvelopeHandler handler) {
        this.binding = new Binding(siloId, handler);
    }

    void unbind() {
        this.binding = null;
    }

    /**
     * Ends every stream from peers, so that a server shutting down gracefully does not wait for them; the
     * peers see their links broken (with an error, not a normal end: a peer moving its link to a new connection
     * must not take it for the end of a stream whose envelopes were all handled).
     */
    void endAll() {
        for (InboundStream stream : List.copyOf(this.streams)) {
            stream.abort();
        }
    }

    /**
     * Asks every peer whose stream was accepted to move its links to this silo to new connections ({@code Renew}):
     * this silo's TLS material was updated, and only a new handshake presents it. A stream accepted later is asked
     * too, right after its {@code Accepted}, when its connection's TLS session was made at or before the update: a
     * peer whose stream was being opened, or opened again on a connection that outlived the old one, at the update
     * (also before the silo was bound). Once the silo is closing ({@link #sayGoodbye}) nobody is asked.
     * @param generation which update of the material: a peer renews once per generation; a later update has a
     * greater one
     * @param updatedAtMillis when the material was updated, in {@link System#currentTimeMillis()}, as TLS sessions
     * tell their creation ({@link SSLSession#getCreationTime()})
     */
    void askRenewal(long generation, long updatedAtMillis) {
        MaterialUpdate update = new MaterialUpdate(generation, updatedAtMillis);
        // Before the streams are told: a stream accepted meanwhile either is among them or reads this. Of two updates
        // told at once the later one stays.
        if (this.lastUpdate.accumulateAndGet(update,
                (last, next) -> (last == null || next.generation() > last.generation()) ? next : last) != update) {
            return;
        }
        Binding bound = this.binding;
        if (bound == null) {
            return;
        }
        ServerFrame renew = update.frame(bound.siloId());
        for (InboundStream stream : List.copyOf(this.streams)) {
            stream.askToRenew(renew);
        }
    }

    /**
     * Tells every peer whose stream was accepted that this silo is about to close ({@code Goodbye}), and refuses the
     * handshakes of streams opened from now on, so that peers stop writing here. Envelopes go on being handled.
     * @param siloId this silo, named in the frame
     */
    void sayGoodbye(String siloId) {
        this.closing = true;
        ServerFrame goodbye = ServerFrame.newBuilder().setGoodbye(Goodbye.newBuilder().setSiloId(siloId)).build();
        for (InboundStream stream : List.copyOf(this.streams)) {
            stream.sayGoodbye(goodbye);
        }
    }

    /**
     * Waits until every stream told goodbye has ended: its peer half-closed it and what it wrote before was handed
     * to the silo, or it broke.
     * @param deadlineNanos until when to wait, in {@link System#nanoTime()}
     * @return how many such streams had not ended by then (0: all did)
     */
    int awaitFarewells(long deadlineNanos) {
        synchronized (this.farewells) {
            while (!this.farewells.isEmpty()) {
                long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0) {
                    return this.farewells.size();
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this.farewells, remaining);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return this.farewells.size();
                }
            }
            return 0;
        }
    }

    /** Forgets a stream that ended, and wakes {@link #awaitFarewells} when it was told goodbye. */
    private void ended(InboundStream stream) {
        this.streams.remove(stream);
        synchronized (this.farewells) {
            stream.over = true;
            if (this.farewells.remove(stream)) {
                this.farewells.notifyAll();
            }
        }
    }

    /** Whether a stream of the lane is told goodbye: those that carry requests to this silo. */
    private static boolean saysGoodbye(Envelope.@Nullable Lane lane) {
        return lane != Envelope.Lane.REPLY;
    }

    /**
     * Returns the service's definition with a reader of {@code Link} frames that never throws
     * ({@link UnreadableFrames}), so that an unreadable frame is refused like a malformed envelope on any server
     * that serves it: the transport's own, or the application's gRPC server in served mode.
     */
    @Override
    public ServerServiceDefinition bindService() {
        return ServerInterceptors.intercept(UnreadableFrames.tolerating(SiloTransportGrpc.bindService(this)),
                LinkTlsSessions.INSTANCE);
    }

    /** The first certificate of the peer's chain, {@code null} when it presented none. */
    private static @Nullable X509Certificate peerCertificate(SSLSession session) {
        try {
            Certificate[] chain = session.getPeerCertificates();
            return (chain.length > 0 && chain[0] instanceof X509Certificate first) ? first : null;
        }
        catch (SSLPeerUnverifiedException ex) {
            return null;
        }
    }

    @Override
    public StreamObserver<ClientFrame> link(StreamObserver<ServerFrame> responses) {
        ServerCallStreamObserver<ServerFrame> calls = (ServerCallStreamObserver<ServerFrame>) responses;
        calls.disableAutoRequest();
        calls.request(1);
        SSLSession session = LinkTlsSessions.current();
        if (session == null && this.peerNamesChecked && this.noSessionWarned.compareAndSet(false, true)) {
            logger.warn("A Link stream came without a TLS session this silo could read (TLS ended in front of it, by a "
                    + "sidecar or a proxy?): the certificates of peers connecting to it are not checked to name their "
                    + "addresses; logged once");
        }
        InboundStream stream = new InboundStream(calls, (session != null) ? session.getCreationTime() : Long.MAX_VALUE,
                (session != null && this.peerNamesChecked) ? peerCertificate(session) : null);
        calls.setOnReadyHandler(stream::flushRefusals);
        // Frames are written by the drain too, not only on gRPC's callbacks: once the call is cancelled, a write
        // is then dropped instead of throwing CANCELLED, and the drain stops writing.
        calls.setOnCancelHandler(() -> stream.done = true);
        this.streams.add(stream);
        return stream;
    }

    private record Binding(String siloId, EnvelopeHandler handler) {
    }

    /** An update of the silo's TLS material peers are asked to move their links for. */
    private record MaterialUpdate(long generation, long updatedAtMillis) {

        ServerFrame frame(String siloId) {
            return ServerFrame.newBuilder()
                .setRenew(Renew.newBuilder().setSiloId(siloId).setGeneration(this.generation))
                .build();
        }
    }

    /** An envelope refused on receipt, waiting for the drain to log it and tell its sender. */
    private record Refusal(long messageId, String reason, EnvelopeRejectedException.Reason cause) {
    }

    /**
     * One peer's stream for one lane.
     */
    private final class InboundStream implements StreamObserver<ClientFrame> {

        private final ServerCallStreamObserver<ServerFrame> responses;

        /**
         * What waits for the drain, in the order received: envelopes to hand to the silo and {@link Refusal}s to
         * log and answer, so that refusals, like envelopes, are bounded by the window and never cost the thread
         * that receives frames (Netty's event loop with the self-hosted server) more than a check.
         */
        private final Queue<Object> queue = new ConcurrentLinkedQueue<>();

        private final AtomicInteger size = new AtomicInteger();

        /** Guarded by this: refusals waiting for the stream to be ready. */
        private final Queue<ServerFrame> refusals = new ArrayDeque<>();

        private @Nullable String peer;

        /** The silo's handler when the handshake was accepted; envelopes are queued only after it. */
        private volatile @Nullable EnvelopeHandler handler;

        private Envelope.@Nullable Lane lane;

        private volatile boolean done;

        /** Guarded by this: whether the handshake was accepted, so that the stream may be told goodbye. */
        private boolean accepted;

        /** Guarded by the service's farewells: whether the stream ended (it is then never awaited). */
        private boolean over;

        /** Guarded by this: the peer half-closed, and the stream ends once its refusals waiting are written. */
        private boolean finishOnceRefused;

        /** Frames in a row that were unreadable or not envelopes; only the thread gRPC calls back on touches it. */
        private int unreadableInARow;

        /**
         * The invalid frames among the stream's last ones; only the thread gRPC calls back on touches it. Its bits
         * are allocated on the stream's first invalid frame, never for a stream refused at its handshake.
         */
        private final InvalidFrameBudget invalidFrames = new InvalidFrameBudget(
                SiloTransportService.this.settings.maxInvalidFrames(),
                SiloTransportService.this.settings.invalidFramesWindow());

        private final RefusalLog refusalLog = new RefusalLog(logger);

        /** How many envelopes handled between two requests for more: half the window, at least one. */
        private final int replenishEvery = Math.max(1, SiloTransportService.this.settings.inboundWindow() / 2);

        /** Envelopes handled since the stream last asked for more; only the drain touches it. */
        private int handledSinceRequest;

        /**
         * When the TLS session of the stream's connection was made, in {@link System#currentTimeMillis()};
         * {@link Long#MAX_VALUE} without TLS.
         */
        private final long tlsSessionMadeAt;

        /**
         * The certificate the peer presented, when it must name the host the stream's envelopes come from;
         * {@code null} without TLS, without the check, or when the peer presented none (client authentication
         * {@code none} or {@code optional}).
         */
        private final @Nullable X509Certificate peerCertificate;

        /** The last source host the peer's certificate was found to name; only gRPC's callback thread touches it. */
        private @Nullable String namedHost;

        InboundStream(ServerCallStreamObserver<ServerFrame> responses, long tlsSessionMadeAt,
                @Nullable X509Certificate peerCertificate) {
            this.responses = responses;
            this.tlsSessionMadeAt = tlsSessionMadeAt;
            this.peerCertificate = peerCertificate;
        }

        @Override
        public void onNext(ClientFrame frame) {
            if (this.done) {
                return;
            }
            if (this.lane == null) {
                handshake(frame);
                return;
            }
            String unreadable = UnreadableFrames.reason(frame);
            if (unreadable != null || !frame.hasEnvelope()) {
                unreadable((unreadable != null) ? unreadable : "a frame after the handshake that is not an envelope");
                return;
            }
            this.unreadableInARow = 0;
            int size = frame.getSerializedSize();
            int max = SiloTransportService.this.settings.maxMessageSize();
            if (size > max) {
                this.invalidFrames.valid();
                later(frame.getEnvelope().getMessageId(), "an envelope of " + size
                        + " bytes, more than the receiving silo's quark.cluster.transport.max-message-size (" + max
                        + " bytes)", EnvelopeRejectedException.Reason.TOO_LARGE);
                return;
            }
            Binding bound = SiloTransportService.this.binding;
            Envelope envelope;
            try {
                envelope = EnvelopeFrames.fromFrame(frame.getEnvelope());
            }
            catch (EnvelopeFrames.MalformedEnvelopeException ex) {
                // Invalid: no Quark silo of this protocol version sends it (no known kind, a blank silo id, a port
                // out of range).
                invalid(frame.getEnvelope().getMessageId(), "a malformed envelope: " + ex.getMessage());
                return;
            }
            catch (RuntimeException ex) {
                // Not invalid: a silo of this protocol version from before senders checked the bounds (metadata
                // entries, name lengths, a blank metadata key: EnvelopeBeyondBoundsException) sends such envelopes.
                this.invalidFrames.valid();
                later(frame.getEnvelope().getMessageId(), "a malformed envelope: " + ex.getMessage(),
                        (ex instanceof EnvelopeFrames.EnvelopeBeyondBoundsException beyond) ? beyond.reason()
                                : EnvelopeRejectedException.Reason.OTHER);
                return;
            }
            if (envelope.kind().lane() != this.lane) {
                invalid(envelope.messageId(), envelope + " travels on lane " + envelope.kind().lane()
                        + ", not on lane " + this.lane);
                return;
            }
            if (!envelope.sourceSiloId().equals(this.peer)) {
                invalid(envelope.messageId(), envelope + " claims to come from silo " + envelope.sourceSiloId()
                        + ", but its stream's handshake named silo " + this.peer);
                return;
            }
            if (!namesItsHost(envelope.sourceAddress().host())) {
                return;
            }
            this.invalidFrames.valid();
            if (bound == null || !bound.siloId().equals(envelope.targetSiloId())) {
                later(envelope.messageId(), envelope + " is for silo " + envelope.targetSiloId() + ", not for "
                        + ((bound != null) ? "silo " + bound.siloId() : "a silo that stopped listening"));
                return;
            }
            if (envelope.kind().isAnswer()) {
                SiloTransportService.this.outstanding.answered(envelope.correlationId(), envelope.sourceSiloId());
            }
            // Answers too are handed off: completing a caller's future decodes its result or failure (the
            // application's types and deserializers) and can run dependents, relays and sends of other silos' answers,
            // which must not hold gRPC's callback thread (Netty's event loop, which in served mode the application's
            // own connections share).
            enqueue(envelope);
        }

        /**
         * Checks that the peer's certificate names a host it says it sends from: the one its handshake names (a peer
         * from before that field names none) and the one each envelope carries, once per host (a silo's envelopes all
         * carry its advertised address). Otherwise ends the stream with {@code FAILED_PRECONDITION}, which its sender
         * takes for a refusal ({@link HandshakeRefusedException}), as a certificate of another authority: the silo's
         * certificate, not the network, must change.
         * @return whether the stream may go on
         */
        private boolean namesItsHost(String host) {
            X509Certificate certificate = this.peerCertificate;
            if (certificate == null || host.equals(this.namedHost)) {
                return true;
            }
            if (PeerCertificateNames.names(certificate, host)) {
                this.namedHost = host;
                return true;
            }
            close(Status.FAILED_PRECONDITION.withDescription("Silo " + here() + " refuses silo "
                    + PeerText.safe(this.peer) + ": its certificate (" + PeerText.safe(PeerCertificateNames
                        .describe(certificate)) + ") does not name " + PeerText.safe(host) + ", the host it sends "
                    + "from (the address it advertises). The sending silo needs a certificate that names the address "
                    + "it advertises, or the receiving silo must skip the host name check "
                    + "(quark.cluster.transport.ssl.verify-hostname=false, SiloTls.withoutHostnameCheck())"));
            return false;
        }

        /**
         * Refuses a frame no Quark silo sends (unreadable bytes, or a frame after the handshake that is not an
         * envelope), and ends the stream with {@code INVALID_ARGUMENT} when more than
         * {@link GrpcTransportSettings#maxUnreadableFramesInARow()} such frames came in a row, or when the frame
         * exceeds the stream's budget of invalid frames: that peer is not a Quark silo, and refusing it for ever
         * would only cost.
         */
        private void unreadable(String reason) {
            this.unreadableInARow++;
            int max = SiloTransportService.this.settings.maxUnreadableFramesInARow();
            if (this.unreadableInARow > max) {
                close(Status.INVALID_ARGUMENT.withDescription("Silo " + here() + " ends the Link stream from silo "
                        + PeerText.safe(this.peer) + " after " + this.unreadableInARow + " frames in a row that were "
                        + "unreadable or not envelopes (more than " + max
                        + ", quark.cluster.transport.max-unreadable-frames-in-a-row), the last " + PeerText.safe(reason)));
                countEnded(GrpcTransportMetrics.InvalidFramesLimit.UNREADABLE_IN_A_ROW);
                return;
            }
            invalid(0, reason);
        }

        /**
         * Refuses a frame no Quark silo sends, and ends the stream with {@code INVALID_ARGUMENT} instead when more
         * than the budget of its last frames were such frames, however many valid envelopes came between them.
         */
        private void invalid(long messageId, String reason) {
            InvalidFrameBudget budget = this.invalidFrames;
            if (budget.invalid()) {
                close(Status.INVALID_ARGUMENT.withDescription("Silo " + here() + " ends the Link stream from silo "
                        + PeerText.safe(this.peer) + ": " + budget.invalidInWindow() + " of its last "
                        + budget.counted() + " frames were invalid, frames no Quark silo sends (more than "
                        + budget.max() + " in " + budget.window() + ", quark.cluster.transport.max-invalid-frames "
                        + "and invalid-frames-window), the last " + PeerText.safe(reason)));
                countEnded(GrpcTransportMetrics.InvalidFramesLimit.INVALID_IN_WINDOW);
                return;
            }
            later(messageId, reason);
        }

        /** Counts the stream ended, after ending it: metrics that throw change nothing about the stream. */
        private void countEnded(GrpcTransportMetrics.InvalidFramesLimit limit) {
            try {
                SiloTransportService.this.metrics.streamEndedForInvalidFrames(limit);
            }
            catch (RuntimeException ex) {
                logger.debug("Transport metrics failed to count a stream ended for invalid frames", ex);
            }
        }

        private String here() {
            Binding bound = SiloTransportService.this.binding;
            return (bound != null) ? bound.siloId() : "(not listening)";
        }

        /**
         * Queues a refusal for the drain, which logs it and writes its {@code Rejected} frame in order with the
         * envelopes around it.
         */
        private void later(long messageId, String reason) {
            later(messageId, reason, EnvelopeRejectedException.Reason.OTHER);
        }

        /**
         * Queues a refusal saying what it is for, so that the sender can tell an envelope that can never be sent
         * (too large, beyond the bounds) from one refused for where it went.
         */
        private void later(long messageId, String reason, EnvelopeRejectedException.Reason cause) {
            enqueue(new Refusal(messageId, reason, cause));
        }

        private void enqueue(Object item) {
            this.queue.add(item);
            if (this.size.getAndIncrement() == 0) {
                SiloTransportService.this.deliveries.execute(this::drain);
            }
        }

        private void handshake(ClientFrame frame) {
            Binding bound = SiloTransportService.this.binding;
            String here = (bound != null) ? bound.siloId() : "(not listening)";
            if (!frame.hasHello()) {
                String unreadable = UnreadableFrames.reason(frame);
                close(Status.INVALID_ARGUMENT.withDescription("Silo " + here
                        + " expected a Hello frame first on a Link stream"
                        + ((unreadable != null) ? ", got " + PeerText.safe(unreadable) : "")));
                return;
            }
            Hello hello = frame.getHello();
            String cluster = SiloTransportService.this.settings.clusterName();
            if (!cluster.equals(hello.getClusterName()) || hello.getProtocolVersion() != GrpcTransport.PROTOCOL_VERSION) {
                close(Status.FAILED_PRECONDITION.withDescription("Silo " + here + " refuses silo "
                        + PeerText.safe(hello.getSourceSiloId()) + ": cluster name '" + cluster
                        + "' and protocol version " + GrpcTransport.PROTOCOL_VERSION + " here, cluster name '"
                        + PeerText.safe(hello.getClusterName()) + "' and protocol version "
                        + hello.getProtocolVersion() + " there"));
                return;
            }
            if (bound == null) {
                close(Status.UNAVAILABLE.withDescription("Silo " + here + " is not listening"));
                return;
            }
            try {
                this.lane = EnvelopeFrames.lane(hello.getLane());
            }
            catch (RuntimeException ex) {
                close(Status.INVALID_ARGUMENT.withDescription("Silo " + here + " refuses silo "
                        + PeerText.safe(hello.getSourceSiloId()) + ": " + PeerText.safe(ex.getMessage())));
                return;
            }
            this.peer = hello.getSourceSiloId();
            if (!hello.getSourceHost().isEmpty() && !namesItsHost(hello.getSourceHost())) {
                return;
            }
            this.handler = bound.handler();
            synchronized (this) {
                // With endAll's finish and sayGoodbye on a thread that closes the transport: never two writes at once
                // on the call, and none after its end; a stream is either accepted before the goodbye (and told it)
                // or refused.
                if (this.done) {
                    return;
                }
                if (SiloTransportService.this.closing && saysGoodbye(this.lane)) {
                    refuseWhileClosing(here);
                    return;
                }
                this.responses.onNext(ServerFrame.newBuilder()
                    .setAccepted(Accepted.newBuilder().setSiloId(bound.siloId()))
                    .build());
                this.accepted = true;
                MaterialUpdate update = SiloTransportService.this.lastUpdate.get();
                // A session made in the update's millisecond may hold either material: asked, the peer moves once more.
                if (update != null && this.tlsSessionMadeAt <= update.updatedAtMillis()
                        && !SiloTransportService.this.closing) {
                    this.responses.onNext(update.frame(bound.siloId()));
                }
            }
            try {
                this.responses.request(SiloTransportService.this.settings.inboundWindow());
            }
            catch (RuntimeException ex) {
                // The call ended meanwhile.
            }
        }

        private void drain() {
            EnvelopeHandler handler = this.handler;
            do {
                Object item = this.queue.poll();
                if (item instanceof Refusal refusal) {
                    try {
                        refuse(refusal.messageId(), refusal.reason(), refusal.cause());
                    }
                    catch (RuntimeException ex) {
                        // Nothing may end the drain with size not counted down: the stream would stall for good.
                        this.done = true;
                        logger.debug("Failed to refuse an envelope on the Link stream from silo {}: {}",
                                PeerText.safe(this.peer), ex.toString());
                    }
                }
                else if (item instanceof Envelope envelope) {
                    handle(handler, envelope);
                }
                else if (item == PEER_DONE) {
                    finishOnceRefused();
                }
            }
            while (this.size.decrementAndGet() > 0);
        }

        private void handle(@Nullable EnvelopeHandler handler, Envelope envelope) {
            try {
                Objects.requireNonNull(handler, "no handler: an envelope queued before the handshake").receive(envelope);
            }
            catch (RuntimeException ex) {
                logger.warn("Failed to handle {}", envelope, ex);
            }
            catch (Throwable ex) {
                // An Error must not end the drain: the stream would stop asking for envelopes for good.
                logger.error("Failed to handle {}", envelope, ex);
            }
            handled();
        }

        /**
         * Counts an envelope handled and gives its credit back to the sender in batches of half the window, so
         * that a stream asks gRPC for more once per {@code inboundWindow / 2} envelopes rather than once per
         * envelope. The sender keeps at least half the window of credit meanwhile, so it never waits for a batch,
         * and the envelopes buffered here stay within the window. Called by one thread at a time (the drain).
         */
        private void handled() {
            this.handledSinceRequest++;
            if (this.handledSinceRequest < this.replenishEvery || this.done) {
                return;
            }
            int credit = this.handledSinceRequest;
            this.handledSinceRequest = 0;
            try {
                this.responses.request(credit);
            }
            catch (RuntimeException ex) {
                // The call ended meanwhile.
            }
        }

        /**
         * Refuses an envelope with a {@code Rejected} frame to its sender. The frame waits in the stream's queue
         * while gRPC says the stream is not ready, and the stream asks for the next envelope only once the frame
         * is written: refusals are flow-controlled like everything else, never dropped, and a sender that does
         * not read them is not read either.
         */
        private void refuse(long messageId, String reason, EnvelopeRejectedException.Reason cause) {
            String safe = PeerText.safe(reason);
            this.refusalLog.refused(PeerText.safe(this.peer), messageId, safe);
            ServerFrame rejected = ServerFrame.newBuilder()
                .setRejected(Rejected.newBuilder()
                    .setMessageId(messageId)
                    .setReason(safe)
                    .setCause(EnvelopeFrames.cause(cause)))
                .build();
            synchronized (this) {
                if (this.done) {
                    return;
                }
                this.refusals.add(rejected);
            }
            flushRefusals();
        }

        /**
         * Writes the refusals the stream takes now, and asks for one envelope more per refusal written. Called
         * on a refusal and whenever gRPC says the stream is ready again.
         */
        void flushRefusals() {
            int written = 0;
            synchronized (this) {
                try {
                    while (!this.done && !this.refusals.isEmpty() && this.responses.isReady()) {
                        this.responses.onNext(this.refusals.poll());
                        written++;
                    }
                }
                catch (RuntimeException ex) {
                    // The call was cancelled or ended meanwhile (the drain writes outside gRPC's callbacks).
                    this.done = true;
                    logger.debug("Link stream from silo {} ended while refusals were written: {}",
                            PeerText.safe(this.peer), ex.toString());
                }
            }
            if (written > 0 && !this.done) {
                try {
                    this.responses.request(written);
                }
                catch (RuntimeException ex) {
                    // The call ended meanwhile.
                }
            }
            boolean finishNow;
            synchronized (this) {
                finishNow = this.finishOnceRefused && this.refusals.isEmpty();
            }
            if (finishNow) {
                finish();
            }
        }

        private void close(Status status) {
            String peer = PeerText.safe(this.peer);
            offTheCallbackThread(() -> {
                logger.warn("Closed a Link stream: {}", status.getDescription());
                this.refusalLog.ended(peer);
            });
            SiloTransportService.this.ended(this);
            synchronized (this) {
                // With the drain's writes: never two writes at once on the call.
                this.done = true;
                try {
                    this.responses.onError(status.asRuntimeException());
                }
                catch (RuntimeException ex) {
                    // The call ended meanwhile.
                }
            }
        }

        /**
         * Logs a stream's end on a thread of the deliveries, not on gRPC's callback thread (Netty's event loop): a
         * peer that opens and spoils streams in a loop must not make that thread write a log line per stream.
         */
        private void offTheCallbackThread(Runnable log) {
            try {
                SiloTransportService.this.deliveries.execute(log);
            }
            catch (RuntimeException ex) {
                // The transport is closing: its deliveries take no more work.
                logger.debug("Could not log the end of a Link stream from silo {}: {}", PeerText.safe(this.peer),
                        ex.toString());
            }
        }

        @Override
        public void onError(Throwable failure) {
            this.done = true;
            SiloTransportService.this.ended(this);
            String peer = PeerText.safe(this.peer);
            offTheCallbackThread(() -> {
                this.refusalLog.ended(peer);
                logger.debug("Link stream from silo {} on lane {} broke: {}", peer, this.lane, failure.toString());
            });
        }

        /**
         * The peer half-closed the stream: it ends once the envelopes the peer wrote before are handled, so that a
         * silo saying goodbye knows when it has received everything.
         */
        @Override
        public void onCompleted() {
            if (this.done) {
                finish();
                return;
            }
            try {
                enqueue(PEER_DONE);
            }
            catch (RejectedExecutionException ex) {
                // The transport closed: nothing is handled any more.
                finish();
            }
        }

        /**
         * Tells the peer this silo is about to close, when its handshake was accepted; the stream is then awaited by
         * {@link #awaitFarewells} until it ends.
         */
        void sayGoodbye(ServerFrame goodbye) {
            synchronized (this) {
                if (this.done || !this.accepted || !saysGoodbye(this.lane)) {
                    return;
                }
                synchronized (SiloTransportService.this.farewells) {
                    if (this.over) {
                        return;
                    }
                    SiloTransportService.this.farewells.add(this);
                }
                try {
                    this.responses.onNext(goodbye);
                }
                catch (RuntimeException ex) {
                    // The call ended meanwhile.
                    this.done = true;
                    SiloTransportService.this.ended(this);
                }
            }
        }

        /**
         * Writes a {@code Renew} frame to the peer, when its handshake was accepted, the stream goes on and the silo is
         * not closing: under the stream's monitor, as the goodbye is written, so that no {@code Renew} follows one.
         */
        void askToRenew(ServerFrame frame) {
            synchronized (this) {
                if (this.done || !this.accepted || SiloTransportService.this.closing) {
                    return;
                }
                try {
                    this.responses.onNext(frame);
                }
                catch (RuntimeException ex) {
                    // The call ended meanwhile: its end is reported as any end.
                }
            }
        }

        /** Refuses a handshake that came after the goodbye: the peer's send fails as not sent, and is routed again. */
        private void refuseWhileClosing(String here) {
            this.done = true;
            SiloTransportService.this.ended(this);
            try {
                this.responses.onError(Status.UNAVAILABLE.withDescription("Silo " + here + " is closing: it takes no "
                        + "new Link streams").asRuntimeException());
            }
            catch (RuntimeException ex) {
                // The call ended meanwhile.
            }
        }

        /**
         * Ends the stream once the peer half-closed it and what it wrote before was handled: at once, or, when refusals
         * wait for the stream to be ready, once they are written (their senders learn those envelopes were not run).
         */
        private void finishOnceRefused() {
            synchronized (this) {
                if (!this.done && !this.refusals.isEmpty()) {
                    this.finishOnceRefused = true;
                    return;
                }
            }
            finish();
        }

        /** Ends the stream from this side with an error, once: the transport closes. */
        void abort() {
            end(true);
        }

        /**
         * Ends the stream from this side, once: its peer half-closed it and what it wrote before was handled.
         */
        void finish() {
            end(false);
        }

        private void end(boolean closing) {
            SiloTransportService.this.ended(this);
            synchronized (this) {
                if (!this.done) {
                    this.done = true;
                    try {
                        if (closing) {
                            this.responses.onError(Status.UNAVAILABLE.withDescription("the silo is closing")
                                .asRuntimeException());
                        }
                        else {
                            this.responses.onCompleted();
                        }
                    }
                    catch (RuntimeException ex) {
                        // The call ended meanwhile.
                    }
                }
            }
            String peer = PeerText.safe(this.peer);
            offTheCallbackThread(() -> this.refusalLog.ended(peer));
        }
    }
}
