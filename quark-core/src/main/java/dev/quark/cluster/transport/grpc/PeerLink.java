package dev.quark.cluster.transport.grpc;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
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
 * gRPC says the stream is ready (its flow control), in the order sent. Senders never wait on each other: each
 * adds its envelope to a lock-free queue, and the one that finds no drain running writes everything queued
 * (other senders' envelopes too) and completes their futures outside the lock. The stream is opened on the first send
 * and kept; when it breaks, what waits in the queue fails with the failure, the requests written on that
 * stream (not on a newer one of the link) that had no answer are reported lost, and the link stays down for a back-off (sends fail at once, naming the
 * failure) that doubles with each failure in a row and resets once a handshake is accepted. A sender that waits
 * to send again ({@link #reconnect}) has the stream opened as soon as the back-off is over, without a send. When
 * the link is closed ({@link #close}), what waits in the queue fails and the requests written on it that had no
 * answer are reported in doubt, as when its stream breaks. When the peer says goodbye on the stream (it is about to
 * close), the link writes nothing more on it: what waits in the queue fails as not sent, the stream is half-closed,
 * and the link waits out its back-off as after a break; the requests written on it keep waiting for their answers,
 * which the closing peer sends before it closes, for {@link GrpcTransportSettings#goodbyeTimeout()}, and only those
 * still unanswered then are reported in doubt.
 *
 * <pre>
 *   (no stream) --send--> OPEN --break--> BACK-OFF --send after back-off--> OPEN
 * </pre>
 * <p>
 * <b>The in-flight count</b> is {@code queued + outstanding}: {@code queued} counts the envelopes of the queue,
 * {@code outstanding} the requests written on this link that wait for their answer (kept by the
 * {@link OutstandingRequests}). An envelope moves from one to the other, so their order matters, or a sender
 * checking {@link GrpcTransportSettings#maxInFlight()} could see the envelope in neither and let one too many in:
 * <ul>
 * <li>a sender reserves its place first ({@code queued} up), and reads {@code queued} before {@code outstanding};</li>
 * <li>the drainer adds a request to {@code outstanding} before it takes it off {@code queued} (so a reader sees it
 * in one count at least, in both at worst: a bound met early, never passed);</li>
 * <li>{@code queued} goes down once for every envelope that leaves the queue, on every path: refused, written,
 * failed to write, or failed to be counted as outstanding; {@code outstanding} goes down when the answer
 * comes, the stream breaks, the link closes or the deadline passes.</li>
 * </ul>
 */
final class PeerLink {

    private static final Logger logger = LoggerFactory.getLogger(PeerLink.class);

    private final String self;

    /** The host this silo advertises, said in the handshake: the certificate it presents must name it. */
    private final String selfHost;

    private final SiloAddress target;

    private final Envelope.Lane lane;

    /** The channel of the link's next stream; replaced when the link is {@linkplain #renew renewed}. */
    private volatile ManagedChannel channel;

    private final GrpcTransportSettings settings;

    private final OutstandingRequests outstandingRequests;

    private final LossListener losses;

    private final RenewalListener renewals;


    private final Object lock = new Object();

    /** Envelopes sent and not yet written, in the order sent; any thread adds, only the drainer takes. */
    private final Queue<Queued> queue = new ConcurrentLinkedQueue<>();

    /** How many envelopes the queue holds (its own size is not constant-time). */
    private final AtomicInteger queued = new AtomicInteger();

    /** Drain requests not yet served: the sender that raises it from 0 drains, the others leave it to that one. */
    private final AtomicInteger drainRequests = new AtomicInteger();

    private final AtomicInteger outstanding = new AtomicInteger();

    // Written with the lock held, read without it by send's early refusal.
    private volatile @Nullable Observer current;

    private volatile int failures;

    /**
     * When the back-off after the last break is over, in {@link System#nanoTime} (the back-off is waited out in
     * real time, so it is measured in real time too).
     */
    private volatile long retryAtNanos;

    private volatile @Nullable RuntimeException lastFailure;

    private volatile boolean closed;

    private volatile String closedBecause = "its transport is closed";

    /** Guarded by lock: the stages of {@link #reconnect}, completed when a stream is accepted, failed when it breaks. */
    private final List<CompletableFuture<Void>> reconnects = new ArrayList<>();

    PeerLink(String self, String selfHost, SiloAddress target, Envelope.Lane lane, ManagedChannel channel,
            GrpcTransportSettings settings, OutstandingRequests outstandingRequests, LossListener losses,
            RenewalListener renewals) {
        this.renewals = renewals;
        this.self = self;
        this.selfHost = selfHost;
        this.target = target;
        this.lane = lane;
        this.channel = channel;
        this.settings = settings;
        this.outstandingRequests = outstandingRequests;
        this.losses = losses;
    }

    /** The address of the silo the link goes to. */
    SiloAddress target() {
        return this.target;
    }

    AtomicInteger outstanding() {
        return this.outstanding;
    }

    /**
     * Returns how many envelopes wait in the queue, not yet written, for tests.
     * @return the count
     */
    int queued() {
        return this.queued.get();
    }

    /**
     * Returns a stage completed once a stream of this link has been accepted by the peer: at once when the current
     * one has; otherwise when the one being opened is, or the one this opens now, or once the back-off after a
     * break is over. Failed when that stream breaks or is refused, or the link closes.
     * @return the stage
     */
    CompletableFuture<Void> reconnect() {
        long wait;
        CompletableFuture<Void> up = new CompletableFuture<>();
        synchronized (this.lock) {
            if (this.closed) {
                return CompletableFuture.failedFuture(new LinkBrokenException("Silo " + this.self
                        + " cannot reconnect to " + this.target + " (lane " + this.lane + "): " + this.closedBecause));
            }
            Observer observer = this.current;
            if (observer != null && observer.accepted && !observer.retiring) {
                return CompletableFuture.completedFuture(null);
            }
            this.reconnects.add(up);
            if (observer != null) {
                return up;
            }
            wait = (this.lastFailure != null) ? millisUntilRetry() : 0;
            if (wait <= 0) {
                open();
                return up;
            }
        }
        CompletableFuture.delayedExecutor(wait, TimeUnit.MILLISECONDS).execute(this::openForReconnects);
        return up;
    }

    /** Opens a stream when none is open and a sender waits for one, its back-off over. */
    private void openForReconnects() {
        synchronized (this.lock) {
            if (!this.closed && this.current == null && !this.reconnects.isEmpty()) {
                open();
            }
        }
    }

    /** Takes the stages of {@link #reconnect} waiting. Called with the lock held. */
    private List<CompletableFuture<Void>> takeReconnects() {
        if (this.reconnects.isEmpty()) {
            return List.of();
        }
        List<CompletableFuture<Void>> taken = List.copyOf(this.reconnects);
        this.reconnects.clear();
        return taken;
    }

    /**
     * Sends an envelope: refused at once, nothing written, when it is beyond the bounds a receiving silo holds
     * envelopes to ({@link EnvelopeFrames#checkBounds}) or larger than the limit, or when the link cannot take it
     * now; otherwise queued and written in order.
     * @return a stage completed once the envelope is written, failed when it is not
     */
    CompletableFuture<Void> send(Envelope envelope) {
        try {
            EnvelopeFrames.checkBounds(envelope);
        }
        catch (EnvelopeFrames.EnvelopeBeyondBoundsException ex) {
            return CompletableFuture.failedFuture(new EnvelopeRejectedException("Silo " + this.self + " did not send "
                    + PeerText.safe(envelope.toString()) + ": " + ex.getMessage()
                    + " (beyond the bounds every silo receives envelopes within)", ex.reason()));
        }
        ClientFrame frame = EnvelopeFrames.toFrame(envelope);
        int size = frame.getSerializedSize();
        if (size > this.settings.maxMessageSize()) {
            return CompletableFuture.failedFuture(new EnvelopeRejectedException("Silo " + this.self + " did not send "
                    + PeerText.safe(envelope.toString()) + ": it is " + size + " bytes, more than quark.cluster.transport.max-message-size ("
                    + this.settings.maxMessageSize() + " bytes)", EnvelopeRejectedException.Reason.TOO_LARGE));
        }
        RuntimeException refused;
        try {
            refused = refusal(envelope);
        }
        catch (RuntimeException | Error ex) {
            // The place reserved is given back on every path, or the link would count it in flight for ever.
            this.queued.decrementAndGet();
            if (ex instanceof Error error) {
                throw error;
            }
            return CompletableFuture.failedFuture(ex);
        }
        if (refused != null) {
            this.queued.decrementAndGet();
            return CompletableFuture.failedFuture(refused);
        }
        CompletableFuture<Void> sent = new CompletableFuture<>();
        this.queue.offer(new Queued(frame, envelope, sent));
        drain();
        return sent;
    }

    /**
     * Reserves the envelope's place in the queue, then says why it cannot be sent now, read without the lock: the
     * link is closed, too many envelopes are in flight, or it waits out its back-off; {@code null} keeps the place.
     * Reserving before counting keeps concurrent senders from all passing a bound that only one of them fits
     * under. Checked again by the drainer, under the lock, before writing.
     */
    private @Nullable RuntimeException refusal(Envelope envelope) {
        int inFlight = this.queued.incrementAndGet() + this.outstanding.get();
        if (this.closed) {
            return new LinkBrokenException("Silo " + this.self + " cannot send " + envelope + ": " + this.closedBecause);
        }
        if (inFlight > this.settings.maxInFlight()) {
            this.outstandingRequests.sweep();
            inFlight = this.queued.get() + this.outstanding.get();
            if (inFlight > this.settings.maxInFlight()) {
                return new PeerOverloadedException("Silo " + this.self + " did not send " + envelope + ": "
                        + (inFlight - 1) + " envelopes are in flight to " + this.target + " on lane " + this.lane
                        + ", the most quark.cluster.transport.max-in-flight allows");
            }
        }
        return backingOff(envelope);
    }

    private @Nullable RuntimeException backingOff(Envelope envelope) {
        RuntimeException failure = this.lastFailure;
        if (this.current == null && failure != null) {
            long wait = millisUntilRetry();
            if (wait > 0) {
                String message = "Silo " + this.self + " cannot send " + envelope + ": its link to " + this.target
                        + " (lane " + this.lane + ") is down after " + this.failures
                        + " failure(s), next attempt in " + wait + " ms; last failure: " + failure.getMessage();
                if (failure instanceof HandshakeRefusedException) {
                    return new HandshakeRefusedException(message);
                }
                return (failure instanceof TlsHandshakeException && failure.getCause() != null)
                        ? new TlsHandshakeException(message, failure.getCause()) : new LinkBrokenException(message);
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
                    .setSourceHost(this.selfHost)
                    .setLane(EnvelopeFrames.lane(this.lane)))
                .build());
        }
    }

    /**
     * Asks for the queue to be drained: the caller that finds no drain running runs it, for everything queued
     * until the queue is empty or the stream stops taking more; a caller that finds one running leaves its
     * envelopes to it. So many senders never wait on each other, one thread at a time writes to the stream (in
     * queue order), and the futures of what was written are completed outside the lock.
     */
    private void drain() {
        if (this.drainRequests.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        List<CompletableFuture<Void>> written = new ArrayList<>();
        List<Failed> failed = new ArrayList<>();
        try {
            while (true) {
                synchronized (this.lock) {
                    drainLocked(written, failed);
                }
                complete(written, failed);
                missed = this.drainRequests.addAndGet(-missed);
                if (missed == 0) {
                    return;
                }
            }
        }
        catch (RuntimeException | Error ex) {
            // Whatever escaped, the link must not stay "being drained" for ever: the next send, onReady or
            // handshake drains again.
            complete(written, failed);
            this.drainRequests.set(0);
            throw ex;
        }
    }

    private static void complete(List<CompletableFuture<Void>> written, List<Failed> failed) {
        written.forEach((future) -> future.complete(null));
        written.clear();
        failed.forEach((refused) -> refused.queued().sent().completeExceptionally(refused.failure()));
        failed.clear();
    }

    /**
     * Writes what the stream takes now, opening it first when the link has none; refuses what waits when the
     * link was closed or waits out its back-off. Called by the one drainer, with the lock held.
     */
    private void drainLocked(List<CompletableFuture<Void>> written, List<Failed> failed) {
        if (this.queue.isEmpty()) {
            return;
        }
        if (this.closed || (this.current == null && this.lastFailure != null
                && millisUntilRetry() > 0)) {
            for (Queued next = this.queue.poll(); next != null; next = this.queue.poll()) {
                this.queued.decrementAndGet();
                RuntimeException refused = this.closed ? new LinkBrokenException("Silo " + this.self
                        + " cannot send " + next.envelope() + ": " + this.closedBecause) : backingOff(next.envelope());
                failed.add(new Failed(next, (refused != null) ? refused : new LinkBrokenException("Silo "
                        + this.self + " cannot send " + next.envelope() + ": its link to " + this.target
                        + " is down")));
            }
            return;
        }
        if (this.current == null) {
            open();
        }
        Observer observer = this.current;
        if (observer == null || !observer.accepted || observer.retiring) {
            return;
        }
        ClientCallStreamObserver<ClientFrame> stream = observer.stream;
        if (stream == null) {
            return;
        }
        while (stream.isReady()) {
            Queued next = this.queue.poll();
            if (next == null) {
                return;
            }
            try {
                if (awaitsAnswer(next.envelope().kind())) {
                    this.outstandingRequests.add(next.envelope().messageId(), next.envelope().targetSiloId(), this,
                            observer, next.envelope().deadlineEpochMillis());
                }
            }
            catch (RuntimeException | Error ex) {
                // Not written, so not outstanding either; the queued count is restored below all the same, or the
                // link would count it in flight for ever and end up refusing every send as overloaded.
                this.outstandingRequests.forget(next.envelope().messageId(), this);
                failed.add(new Failed(next, new LinkBrokenException("Silo " + this.self + " could not send "
                        + next.envelope() + " to " + this.target + " (lane " + this.lane + "): " + ex)));
                if (ex instanceof Error error) {
                    throw error;
                }
                continue;
            }
            finally {
                // After it entered the outstanding count: a sender checking max-in-flight meanwhile sees it at
                // least once, never in neither count (see the class javadoc).
                this.queued.decrementAndGet();
            }
            try {
                stream.onNext(next.frame());
            }
            catch (RuntimeException ex) {
                // The stream cannot take it (cancelled, half-closed): that envelope fails, the stream is given up
                // (its onError breaks the link: what waits fails, the next send reopens after the back-off).
                failed.add(new Failed(next, new LinkBrokenException("Silo " + this.self + " could not write "
                        + next.envelope() + " to its link to " + this.target + " (lane " + this.lane + "): " + ex)));
                stream.cancel("Silo " + this.self + " could not write an envelope", ex);
                return;
            }
            written.add(next.sent());
        }
    }

    private static boolean awaitsAnswer(Envelope.Kind kind) {
        return kind == Envelope.Kind.REQUEST || kind == Envelope.Kind.HANDOFF || kind == Envelope.Kind.DIRECTORY
                || kind == Envelope.Kind.PROBE || kind == Envelope.Kind.INDIRECT_PROBE;
    }

    private void onReady(Observer observer) {
        if (this.current == observer) {
            drain();
        }
    }

    private void accepted(Observer observer) {
        List<CompletableFuture<Void>> reconnected;
        synchronized (this.lock) {
            if (this.current != observer) {
                return;
            }
            observer.accepted = true;
            this.failures = 0;
            this.lastFailure = null;
            reconnected = takeReconnects();
        }
        reconnected.forEach((up) -> up.complete(null));
        drain();
    }

    /** Takes everything queued out of the queue. Called with the lock held. */
    private List<Queued> takeQueued() {
        List<Queued> taken = new ArrayList<>();
        for (Queued next = this.queue.poll(); next != null; next = this.queue.poll()) {
            this.queued.decrementAndGet();
            taken.add(next);
        }
        return taken;
    }

    /**
     * The peer said goodbye on a stream: nothing more is written on it, and the requests written on it wait for
     * their answers for the goodbye timeout before they are reported in doubt, rather than at the stream's end.
     */
    private void goodbye(Observer observer) {
        LinkBrokenException leaving = new LinkBrokenException("The silo at " + this.target + " is closing: it said "
                + "goodbye on the link from silo " + this.self + " (lane " + this.lane + ")");
        if (!giveUp(observer, leaving, true)) {
            return;
        }
        logger.debug("Silo at {} said goodbye on the link from silo {} (lane {})", this.target, this.self, this.lane);
        reportUnansweredLater(observer, "said goodbye on the link from silo " + this.self);
    }

    /**
     * Reports in doubt, after the goodbye timeout, the requests written on a stream that ended without breaking
     * and are still unanswered then: their answers come on the peer's own streams, so they are waited for.
     * @param what what happened to the stream, after "The silo at ... "
     */
    private void reportUnansweredLater(Observer observer, String what) {
        long grace = this.settings.goodbyeTimeout().toMillis();
        CompletableFuture.delayedExecutor(grace, TimeUnit.MILLISECONDS).execute(() -> {
            List<Long> unanswered = this.outstandingRequests.removeSentOn(observer);
            if (!unanswered.isEmpty()) {
                LinkBrokenException inDoubt = new LinkBrokenException("The silo at " + this.target + " " + what
                        + " (lane " + this.lane + ") and gave no answer within " + grace
                        + " ms (quark.cluster.transport.goodbye-timeout); the message may or may not have been "
                        + "handled there");
                unanswered.forEach((messageId) -> this.losses.inDoubt(messageId, inDoubt));
            }
        });
    }

    /**
     * Moves the link to a new stream on a new channel without failing anything (the TLS material was replaced): the
     * current stream takes no more envelopes and is half-closed; once the peer ended it, having handed everything
     * written on it to its silo, the next stream is opened on the new channel and takes what queued meanwhile, in
     * order. The requests written on the old stream wait for their answers, which come on the peer's own streams, as
     * any request does. A peer that does not end the old stream within the goodbye timeout has it cancelled: the
     * requests written on it are then in doubt (the peer may not have handled them), what queued meanwhile goes on the
     * next stream all the same, and no back-off is waited. A link without an open stream opens its next one on the new
     * channel; a second renewal while the first waits for the peer only changes the channel of the next stream.
     * @param next the channel of the link's next stream
     */
    void renew(ManagedChannel next) {
        Observer retiring;
        synchronized (this.lock) {
            this.channel = next;
            retiring = this.current;
            if (this.closed || retiring == null || retiring.retiring) {
                return;
            }
            retiring.retiring = true;
            ClientCallStreamObserver<ClientFrame> stream = retiring.stream;
            if (stream != null) {
                try {
                    stream.onCompleted();
                }
                catch (RuntimeException ex) {
                    // The stream ended meanwhile: its end reports it, as a break.
                }
            }
        }
        logger.debug("Renewing the link from silo {} to {} (lane {})", this.self, this.target, this.lane);
        CompletableFuture.delayedExecutor(this.settings.goodbyeTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .execute(() -> retireLate(retiring));
    }

    /** A stream being renewed ended as it should: the next one opens and takes what queued meanwhile. */
    private void retired(Observer observer) {
        synchronized (this.lock) {
            if (this.current != observer) {
                return;
            }
            this.current = null;
        }
        drain();
        openForReconnects();
    }

    /**
     * A stream being renewed that the peer did not end within the goodbye timeout is cancelled; its requests may not
     * have been handled, so they are in doubt, and the next stream opens for what queued meanwhile.
     */
    private void retireLate(Observer observer) {
        synchronized (this.lock) {
            if (this.current != observer) {
                return;
            }
            this.current = null;
        }
        ClientCallStreamObserver<ClientFrame> stream = observer.stream;
        if (stream != null) {
            stream.cancel("the silo at " + this.target + " did not end a renewed stream within the goodbye timeout",
                    null);
        }
        List<Long> unanswered = this.outstandingRequests.removeSentOn(observer);
        if (!unanswered.isEmpty()) {
            LinkBrokenException inDoubt = new LinkBrokenException("The silo at " + this.target + " did not end the "
                    + "renewed link from silo " + this.self + " (lane " + this.lane + ") within "
                    + this.settings.goodbyeTimeout().toMillis() + " ms (quark.cluster.transport.goodbye-timeout), so "
                    + "it was cancelled; the message may or may not have been handled there");
            unanswered.forEach((messageId) -> this.losses.inDoubt(messageId, inDoubt));
        }
        drain();
        openForReconnects();
    }

    private void broken(Observer observer, RuntimeException failure) {
        if (!giveUp(observer, failure, false)) {
            return;
        }
        logger.debug("Link from silo {} to {} (lane {}) broke: {}", this.self, this.target, this.lane,
                failure.getMessage());
        List<Long> lost = this.outstandingRequests.removeSentOn(observer);
        if (!lost.isEmpty()) {
            RuntimeException inFlight = (failure instanceof HandshakeRefusedException) ? failure
                    : new LinkBrokenException("The link from silo " + this.self + " to " + this.target + " (lane "
                            + this.lane + ") broke while the message waited for its answer; it may or may not have "
                            + "been handled there: " + failure.getMessage());
            lost.forEach((messageId) -> this.losses.inDoubt(messageId, inFlight));
        }
    }

    /**
     * Gives up a stream that broke or was told goodbye, when the link still holds it: the link waits out a back-off,
     * and what waits in its queue, and the stages of {@link #reconnect}, fail with the failure.
     * @param halfClose whether to half-close the stream first (after a goodbye: it may still bring answers)
     * @return whether the link held the stream (otherwise a newer one, or none, took its place, and nothing is done)
     */
    private boolean giveUp(Observer observer, RuntimeException failure, boolean halfClose) {
        List<Queued> unsent;
        List<CompletableFuture<Void>> reconnects;
        synchronized (this.lock) {
            if (this.current != observer) {
                return false;
            }
            this.current = null;
            this.failures++;
            this.lastFailure = failure;
            this.retryAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMillis(this.failures));
            unsent = takeQueued();
            reconnects = takeReconnects();
            ClientCallStreamObserver<ClientFrame> stream = observer.stream;
            if (halfClose && stream != null) {
                // Under the lock, as every write of the drain: never two writes at once on the stream.
                try {
                    stream.onCompleted();
                }
                catch (RuntimeException ex) {
                    // The stream ended meanwhile: its end reports nothing, this link no longer holds it.
                }
            }
        }
        unsent.forEach((queued) -> queued.sent().completeExceptionally(failure));
        reconnects.forEach((up) -> up.completeExceptionally(failure));
        return true;
    }

    /** How long the back-off after the last break still lasts, in milliseconds rounded up; 0 or less when over. */
    private long millisUntilRetry() {
        long nanos = this.retryAtNanos - System.nanoTime();
        return (nanos <= 0) ? nanos : TimeUnit.NANOSECONDS.toMillis(nanos + 999_999);
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
        Throwable refusal = TlsRefusal.of(error);
        if (refusal != null) {
            String plaintextPeer = TlsRefusal.isNotTls(refusal) ? "the silo at " + this.target
                    + " does not speak TLS (plaintext?), silo " + this.self + " uses TLS: " : "";
            return new TlsHandshakeException("The TLS handshake of the link from silo " + this.self + " to "
                    + this.target + " (lane " + this.lane + ") was refused: " + plaintextPeer
                    + refusal.getClass().getSimpleName() + ": " + refusal.getMessage(), refusal);
        }
        return new LinkBrokenException("The link from silo " + this.self + " to " + this.target + " (lane "
                + this.lane + ") broke: " + status.getCode() + " " + description + causeOf(status));
    }

    private static String causeOf(Status status) {
        Throwable cause = status.getCause();
        return (cause != null && cause.getMessage() != null)
                ? " (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")" : "";
    }

    /** Whether the link was closed, for tests. */
    boolean isClosed() {
        return this.closed;
    }

    /**
     * Closes the stream and fails what waits: the transport closes.
     */
    void close() {
        close("its transport is closed");
    }

    /**
     * Closes the stream and fails what waits; the requests written on the link that had no answer are reported in
     * doubt, as when the stream breaks.
     * @param because why, to end "cannot send ...: " in the failures of what waits and of later sends
     */
    void close(String because) {
        Observer observer;
        List<Queued> unsent;
        List<CompletableFuture<Void>> reconnects;
        synchronized (this.lock) {
            this.closed = true;
            this.closedBecause = because;
            observer = this.current;
            this.current = null;
            unsent = takeQueued();
            reconnects = takeReconnects();
        }
        LinkBrokenException closing = new LinkBrokenException("Silo " + this.self + " closed its link to "
                + this.target + " (lane " + this.lane + "): " + because);
        unsent.forEach((queued) -> queued.sent().completeExceptionally(closing));
        reconnects.forEach((up) -> up.completeExceptionally(closing));
        ClientCallStreamObserver<ClientFrame> stream = (observer != null) ? observer.stream : null;
        if (stream != null) {
            try {
                if (observer != null && observer.retiring) {
                    // Half-closed already by its renewal: ended here, or it would keep its old channel open.
                    stream.cancel("Silo " + this.self + " closed its link: " + because, null);
                }
                else {
                    stream.onCompleted();
                }
            }
            catch (RuntimeException ex) {
                // The stream ended meanwhile.
            }
        }
        List<Long> unanswered = this.outstandingRequests.removeAllOf(this);
        if (!unanswered.isEmpty()) {
            LinkBrokenException inDoubt = new LinkBrokenException("Silo " + this.self + " closed its link to "
                    + this.target + " (lane " + this.lane + ") while the message waited for its answer; it may or may "
                    + "not have been handled there: " + because);
            unanswered.forEach((messageId) -> this.losses.inDoubt(messageId, inDoubt));
        }
    }

    /**
     * Told when the peer asks for the links to it to move to new connections ({@code Renew}: its TLS material was
     * updated).
     */
    @FunctionalInterface
    interface RenewalListener {

        /**
         * @param peer the silo that asked
         * @param generation which update of the peer's material: the peer asks on each of its streams
         */
        void renewalAsked(SiloAddress peer, long generation);
    }

    /**
     * Told of requests that will get no answer through this link.
     */
    @FunctionalInterface
    interface LossListener {

        /** A request the peer refused: it was not handled. */
        void lost(long messageId, RuntimeException failure);

        /** A request written to a stream that broke before its answer came: it may or may not have been handled. */
        default void inDoubt(long messageId, RuntimeException failure) {
            lost(messageId, failure);
        }
    }

    private record Queued(ClientFrame frame, Envelope envelope, CompletableFuture<Void> sent) {
    }

    private record Failed(Queued queued, RuntimeException failure) {
    }

    /**
     * The responses of one stream: acceptance, refusals, its end.
     */
    private final class Observer implements ClientResponseObserver<ClientFrame, ServerFrame> {

        volatile @Nullable ClientCallStreamObserver<ClientFrame> stream;

        /** Whether the peer accepted the handshake: envelopes are written only then. */
        volatile boolean accepted;

        /** Whether the link is moving to a new stream ({@link #renew}): nothing more is written on this one. */
        volatile boolean retiring;

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
            else if (frame.hasGoodbye()) {
                goodbye(this);
            }
            else if (frame.hasRenew()) {
                PeerLink.this.renewals.renewalAsked(PeerLink.this.target, frame.getRenew().getGeneration());
            }
            else if (frame.hasRejected()) {
                long messageId = frame.getRejected().getMessageId();
                String reason = frame.getRejected().getReason();
                logger.warn("Silo at {} refused message #{} of silo {}: {}", PeerLink.this.target, messageId,
                        PeerLink.this.self, reason);
                PeerLink.this.outstandingRequests.forget(messageId, PeerLink.this);
                PeerLink.this.losses.lost(messageId, new EnvelopeRejectedException("The silo at "
                        + PeerLink.this.target + " refused message #" + messageId + ": " + reason,
                        EnvelopeFrames.reason(frame.getRejected().getCause())));
            }
        }

        @Override
        public void onError(Throwable error) {
            broken(this, failureOf(error));
        }

        @Override
        public void onCompleted() {
            if (this.retiring) {
                retired(this);
                return;
            }
            broken(this, new LinkBrokenException("The silo at " + PeerLink.this.target + " closed the link from silo "
                    + PeerLink.this.self + " (lane " + PeerLink.this.lane + ")"));
        }
    }
}
