package dev.quark.cluster.transport.grpc;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.grpc.proto.ClientFrame;
import dev.quark.cluster.transport.grpc.proto.Hello;
import dev.quark.cluster.transport.grpc.proto.ServerFrame;
import dev.quark.cluster.transport.grpc.proto.SiloTransportGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This silo's stream to one peer for one lane: envelopes wait in a bounded queue and are written only while
 * gRPC says the stream is ready (its flow control), in the order sent. The stream is opened on the first send
 * and kept; when it breaks, what waits in the queue fails with the failure, the requests written on that
 * stream (not on a newer one of the link) that had no answer are reported lost, and the link stays down for a back-off (sends fail at once, naming the
 * failure) that doubles with each failure in a row and resets once a handshake is accepted.
 *
 * <pre>
 *   (no stream) --send--> OPEN --break--> BACK-OFF --send after back-off--> OPEN
 * </pre>
 */
final class PeerLink {

    private static final Logger logger = LoggerFactory.getLogger(PeerLink.class);

    private final String self;

    private final SiloAddress target;

    private final Envelope.Lane lane;

    private final ManagedChannel channel;

    private final GrpcTransportSettings settings;

    private final OutstandingRequests outstandingRequests;

    private final LossListener losses;

    private final Clock clock;

    private final Object lock = new Object();

    private final ArrayDeque<Queued> queue = new ArrayDeque<>();

    private final AtomicInteger outstanding = new AtomicInteger();

    private @Nullable Observer current;

    private int failures;

    private long retryAtMillis;

    private @Nullable RuntimeException lastFailure;

    private boolean closed;

    private String closedBecause = "its transport is closed";

    PeerLink(String self, SiloAddress target, Envelope.Lane lane, ManagedChannel channel,
            GrpcTransportSettings settings, OutstandingRequests outstandingRequests, LossListener losses,
            Clock clock) {
        this.self = self;
        this.target = target;
        this.lane = lane;
        this.channel = channel;
        this.settings = settings;
        this.outstandingRequests = outstandingRequests;
        this.losses = losses;
        this.clock = clock;
    }

    AtomicInteger outstanding() {
        return this.outstanding;
    }

    CompletableFuture<Void> send(Envelope envelope) {
        ClientFrame frame = EnvelopeFrames.toFrame(envelope);
        int size = frame.getSerializedSize();
        if (size > this.settings.maxMessageSize()) {
            return CompletableFuture.failedFuture(new EnvelopeRejectedException("Silo " + this.self + " did not send "
                    + envelope + ": it is " + size + " bytes, more than quark.cluster.transport.max-message-size ("
                    + this.settings.maxMessageSize() + " bytes)"));
        }
        CompletableFuture<Void> sent = new CompletableFuture<>();
        List<CompletableFuture<Void>> written;
        synchronized (this.lock) {
            RuntimeException refused = refusal(envelope);
            if (refused != null) {
                return CompletableFuture.failedFuture(refused);
            }
            if (this.current == null) {
                open();
            }
            this.queue.add(new Queued(frame, envelope, sent));
            written = drain();
        }
        written.forEach((future) -> future.complete(null));
        return sent;
    }

    private @Nullable RuntimeException refusal(Envelope envelope) {
        if (this.closed) {
            return new LinkBrokenException("Silo " + this.self + " cannot send " + envelope + ": " + this.closedBecause);
        }
        int inFlight = this.queue.size() + this.outstanding.get();
        if (inFlight >= this.settings.maxInFlight()) {
            this.outstandingRequests.sweep();
            inFlight = this.queue.size() + this.outstanding.get();
            if (inFlight >= this.settings.maxInFlight()) {
                return new PeerOverloadedException("Silo " + this.self + " did not send " + envelope + ": " + inFlight
                        + " envelopes are in flight to " + this.target + " on lane " + this.lane
                        + ", the most quark.cluster.transport.max-in-flight allows");
            }
        }
        if (this.current == null && this.lastFailure != null) {
            long wait = this.retryAtMillis - this.clock.millis();
            if (wait > 0) {
                String message = "Silo " + this.self + " cannot send " + envelope + ": its link to " + this.target
                        + " (lane " + this.lane + ") is down after " + this.failures
                        + " failure(s), next attempt in " + wait + " ms; last failure: " + this.lastFailure.getMessage();
                return (this.lastFailure instanceof HandshakeRefusedException)
                        ? new HandshakeRefusedException(message) : new LinkBrokenException(message);
            }
        }
        return null;
    }

    /** Called with the lock held. */
    private void open() {
        if (this.failures > 0) {
            this.channel.resetConnectBackoff();
        }
        Observer observer = new Observer();
        this.current = observer;
        SiloTransportGrpc.newStub(this.channel).link(observer);
        ClientCallStreamObserver<ClientFrame> stream = observer.stream;
        if (stream != null) {
            stream.onNext(ClientFrame.newBuilder()
                .setHello(Hello.newBuilder()
                    .setClusterName(this.settings.clusterName())
                    .setProtocolVersion(GrpcTransport.PROTOCOL_VERSION)
                    .setSourceSiloId(this.self)
                    .setLane(EnvelopeFrames.lane(this.lane)))
                .build());
        }
    }

    /**
     * Writes what the stream takes now. Called with the lock held.
     * @return the futures of the envelopes written, to complete once the lock is released
     */
    private List<CompletableFuture<Void>> drain() {
        Observer observer = this.current;
        if (observer == null || !observer.accepted || this.queue.isEmpty()) {
            return List.of();
        }
        ClientCallStreamObserver<ClientFrame> stream = observer.stream;
        if (stream == null) {
            return List.of();
        }
        List<CompletableFuture<Void>> written = new ArrayList<>();
        while (!this.queue.isEmpty() && stream.isReady()) {
            Queued next = this.queue.poll();
            Envelope.Kind kind = next.envelope().kind();
            if (kind == Envelope.Kind.REQUEST || kind == Envelope.Kind.HANDOFF || kind == Envelope.Kind.DIRECTORY
                    || kind == Envelope.Kind.PROBE
                    || kind == Envelope.Kind.INDIRECT_PROBE) {
                this.outstandingRequests.add(next.envelope().messageId(), this, observer,
                        next.envelope().deadlineEpochMillis());
            }
            stream.onNext(next.frame());
            written.add(next.sent());
        }
        return written;
    }

    private void onReady(Observer observer) {
        List<CompletableFuture<Void>> written;
        synchronized (this.lock) {
            if (this.current != observer) {
                return;
            }
            written = drain();
        }
        written.forEach((future) -> future.complete(null));
    }

    private void accepted(Observer observer) {
        List<CompletableFuture<Void>> written;
        synchronized (this.lock) {
            if (this.current != observer) {
                return;
            }
            observer.accepted = true;
            this.failures = 0;
            this.lastFailure = null;
            written = drain();
        }
        written.forEach((future) -> future.complete(null));
    }

    private void broken(Observer observer, RuntimeException failure) {
        List<Queued> unsent;
        synchronized (this.lock) {
            if (this.current != observer) {
                return;
            }
            this.current = null;
            this.failures++;
            this.lastFailure = failure;
            this.retryAtMillis = this.clock.millis() + backoffMillis(this.failures);
            unsent = new ArrayList<>(this.queue);
            this.queue.clear();
        }
        logger.debug("Link from silo {} to {} (lane {}) broke: {}", this.self, this.target, this.lane,
                failure.getMessage());
        unsent.forEach((queued) -> queued.sent().completeExceptionally(failure));
        List<Long> lost = this.outstandingRequests.removeSentOn(observer);
        if (!lost.isEmpty()) {
            RuntimeException inFlight = (failure instanceof HandshakeRefusedException) ? failure
                    : new LinkBrokenException("The link from silo " + this.self + " to " + this.target + " (lane "
                            + this.lane + ") broke while the message waited for its answer; it may or may not have "
                            + "been handled there: " + failure.getMessage());
            lost.forEach((messageId) -> this.losses.lost(messageId, inFlight));
        }
    }

    private long backoffMillis(int failuresInARow) {
        long min = this.settings.reconnectBackoffMin().toMillis();
        long max = this.settings.reconnectBackoffMax().toMillis();
        int shift = Math.min(failuresInARow - 1, 20);
        return Math.min(max, min << shift);
    }

    private RuntimeException failureOf(Throwable error) {
        Status status = Status.fromThrowable(error);
        String description = (status.getDescription() != null) ? status.getDescription() : status.getCode().toString();
        if (status.getCode() == Status.Code.FAILED_PRECONDITION) {
            return new HandshakeRefusedException(description);
        }
        return new LinkBrokenException("The link from silo " + this.self + " to " + this.target + " (lane "
                + this.lane + ") broke: " + status.getCode() + " " + description + causeOf(status));
    }

    private static String causeOf(Status status) {
        Throwable cause = status.getCause();
        return (cause != null && cause.getMessage() != null)
                ? " (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")" : "";
    }

    /**
     * Closes the stream and fails what waits: the transport closes.
     */
    void close() {
        close("its transport is closed");
    }

    /**
     * Closes the stream and fails what waits.
     * @param because why, to end "cannot send ...: " in the failures of what waits and of later sends
     */
    void close(String because) {
        Observer observer;
        List<Queued> unsent;
        synchronized (this.lock) {
            this.closed = true;
            this.closedBecause = because;
            observer = this.current;
            this.current = null;
            unsent = new ArrayList<>(this.queue);
            this.queue.clear();
        }
        LinkBrokenException closing = new LinkBrokenException("Silo " + this.self + " closed its link to "
                + this.target + " (lane " + this.lane + "): " + because);
        unsent.forEach((queued) -> queued.sent().completeExceptionally(closing));
        ClientCallStreamObserver<ClientFrame> stream = (observer != null) ? observer.stream : null;
        if (stream != null) {
            try {
                stream.onCompleted();
            }
            catch (RuntimeException ex) {
                // The stream ended meanwhile.
            }
        }
        this.outstandingRequests.removeAllOf(this);
    }

    /**
     * Told of requests that will get no answer through this link.
     */
    @FunctionalInterface
    interface LossListener {

        void lost(long messageId, RuntimeException failure);
    }

    private record Queued(ClientFrame frame, Envelope envelope, CompletableFuture<Void> sent) {
    }

    /**
     * The responses of one stream: acceptance, refusals, its end.
     */
    private final class Observer implements ClientResponseObserver<ClientFrame, ServerFrame> {

        volatile @Nullable ClientCallStreamObserver<ClientFrame> stream;

        /** Whether the peer accepted the handshake: envelopes are written only then. */
        volatile boolean accepted;

        @Override
        public void beforeStart(ClientCallStreamObserver<ClientFrame> requestStream) {
            this.stream = requestStream;
            requestStream.setOnReadyHandler(() -> onReady(this));
        }

        @Override
        public void onNext(ServerFrame frame) {
            if (frame.hasAccepted()) {
                accepted(this);
            }
            else if (frame.hasRejected()) {
                long messageId = frame.getRejected().getMessageId();
                String reason = frame.getRejected().getReason();
                logger.warn("Silo at {} refused message #{} of silo {}: {}", PeerLink.this.target, messageId,
                        PeerLink.this.self, reason);
                PeerLink.this.outstandingRequests.answered(messageId);
                PeerLink.this.losses.lost(messageId, new EnvelopeRejectedException("The silo at "
                        + PeerLink.this.target + " refused message #" + messageId + ": " + reason));
            }
        }

        @Override
        public void onError(Throwable error) {
            broken(this, failureOf(error));
        }

        @Override
        public void onCompleted() {
            broken(this, new LinkBrokenException("The silo at " + PeerLink.this.target + " closed the link from silo "
                    + PeerLink.this.self + " (lane " + PeerLink.this.lane + ")"));
        }
    }
}
