package dev.quark.cluster.routing;

import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.SiloUnreachableException;
import dev.quark.cluster.transport.Transport;
import org.jspecify.annotations.Nullable;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A transport that keeps what it sends and lets the test hand envelopes to the silo. The directory's
 * re-registration round notices, which every view makes, are kept apart, in {@link #rounds}.
 */
final class CapturingTransport implements Transport {

    final BlockingQueue<Envelope> sent = new LinkedBlockingQueue<>();

    /** Addresses a send to fails at once, as to an address where nobody listens any more. */
    final Set<SiloAddress> unreachable = ConcurrentHashMap.newKeySet();

    /**
     * Addresses a send to never completes, as to an address that does not answer: the envelopes sent there are kept
     * in {@link #sentToSilent}, not in {@link #sent}.
     */
    final Set<SiloAddress> silent = ConcurrentHashMap.newKeySet();

    /** The directory's re-registration round notices sent (to any address that is not silent or unreachable). */
    final BlockingQueue<Envelope> rounds = new LinkedBlockingQueue<>();

    /** The envelopes sent to {@link #silent} addresses. */
    final BlockingQueue<Envelope> sentToSilent = new LinkedBlockingQueue<>();

    /**
     * Whether {@link #reconnect} says at once that the link is up (and keeps the address in {@link #reconnected}), as a
     * transport whose link came back would; by default it cannot tell, as the interface's default says.
     */
    volatile boolean linksComeBack;

    /**
     * Whether {@link #reconnect} never says that the link is up (and keeps the address in {@link #reconnected}), as
     * a transport whose link stays down would; {@link #linksComeBack} wins.
     */
    volatile boolean linksStayDown;

    /** The addresses {@link #reconnect} was asked for while {@link #linksComeBack} or {@link #linksStayDown}. */
    final BlockingQueue<SiloAddress> reconnected = new LinkedBlockingQueue<>();

    private volatile @Nullable EnvelopeHandler handler;

    @Override
    public SiloAddress start(String siloId, EnvelopeHandler handler) {
        this.handler = handler;
        return new SiloAddress("127.0.0.1", 9001);
    }

    EnvelopeHandler handler() {
        EnvelopeHandler started = this.handler;
        assertThat(started).isNotNull();
        return started;
    }

    @Override
    public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
        if (this.unreachable.contains(target)) {
            return CompletableFuture.failedFuture(new SiloUnreachableException("nobody listens at " + target));
        }
        if (this.silent.contains(target)) {
            this.sentToSilent.add(envelope);
            return new CompletableFuture<>();
        }
        if (envelope.kind() == Envelope.Kind.NOTICE
                && RegistrationRounds.TOPIC.equals(envelope.metadata().get(SiloNotices.TOPIC))) {
            this.rounds.add(envelope);
            return CompletableFuture.completedFuture(null);
        }
        this.sent.add(envelope);
        return CompletableFuture.completedFuture(null);
    }

    Envelope next() throws InterruptedException {
        Envelope envelope = this.sent.poll(10, TimeUnit.SECONDS);
        assertThat(envelope).as("an envelope sent within 10 s").isNotNull();
        return envelope;
    }

    @Override
    public CompletionStage<Void> reconnect(SiloAddress address, Envelope.Lane lane) {
        if (!this.linksComeBack && !this.linksStayDown) {
            return Transport.super.reconnect(address, lane);
        }
        this.reconnected.add(address);
        return this.linksComeBack ? CompletableFuture.completedFuture(null) : new CompletableFuture<>();
    }

    @Override
    public void close() {
    }
}
