package dev.quark.testkit.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.ForwardingTransport;
import dev.quark.cluster.transport.Transport;

/**
 * A test silo's own transport (gRPC, say), which the test cluster can hold still as a long stop-the-world pause
 * would: while {@link #pause() paused}, the envelopes that arrive and the transport's reports of lost messages are
 * held instead of handed to the silo, and the envelopes the silo sends are held instead of sent, their sends
 * completing only once they went out. Its peers see silence, not a refusal: their probes and calls to it wait for
 * answers that do not come (as when a host stops answering but keeps its connections). {@link #resume()} hands over
 * and sends what was held, in the order it came, as a silo does with what its sockets buffered during a pause.
 * <p>
 * Unlike a real pause, the transport's own threads go on (connections stay up, gRPC answers keep-alive pings), what
 * was already being handed to the silo when the pause began is not held, and what arrives is taken at once, so the
 * peers' sends feel no back-pressure (a paused process's window fills) and what is held is bounded only by the pause's
 * length: pause for seconds, not minutes.
 */
final class PausableTransport extends ForwardingTransport {

    private final Object lock = new Object();

    /** Guarded by the lock. */
    private boolean paused;

    /** Guarded by the lock: what arrived or was sent while paused, in order. */
    private final List<Held> held = new ArrayList<>();

    /** Guarded by the lock: the envelopes received and sent late, since the transport started. */
    private int receivedLate;

    private int sentLate;

    PausableTransport(Transport delegate) {
        super(delegate);
    }

    @Override
    public SiloAddress start(String siloId, EnvelopeHandler handler) {
        return delegate().start(siloId, new HeldHandler(handler));
    }

    @Override
    public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
        synchronized (this.lock) {
            if (this.paused) {
                CompletableFuture<Void> sent = new CompletableFuture<>();
                this.sentLate++;
                this.held.add(new Held(() -> sendHeld(target, envelope, sent), () -> sent.completeExceptionally(
                        new IllegalStateException("The paused transport closed before " + envelope + " was sent"))));
                return sent;
            }
        }
        return delegate().send(target, envelope);
    }

    private void sendHeld(SiloAddress target, Envelope envelope, CompletableFuture<Void> sent) {
        CompletionStage<Void> sending;
        try {
            sending = delegate().send(target, envelope);
        }
        catch (RuntimeException ex) {
            sent.completeExceptionally(ex);
            return;
        }
        sending.whenComplete((done, failure) -> {
            if (failure != null) {
                sent.completeExceptionally(failure);
            }
            else {
                sent.complete(null);
            }
        });
    }

    /**
     * Returns how many envelopes arrived while the transport was paused, to be handed over late.
     * @return the count since the transport was made
     */
    int receivedLate() {
        synchronized (this.lock) {
            return this.receivedLate;
        }
    }

    /**
     * Returns how many envelopes the silo sent while the transport was paused, to be sent late.
     * @return the count since the transport was made
     */
    int sentLate() {
        synchronized (this.lock) {
            return this.sentLate;
        }
    }

    /** Holds what arrives and what is sent from now on. */
    void pause() {
        synchronized (this.lock) {
            this.paused = true;
        }
    }

    /**
     * Hands over and sends what was held, in order, on the calling thread, then lets envelopes through again. What
     * arrives or is sent while the held work runs waits behind it.
     * @throws RuntimeException the first failure of the silo's handler, once everything held was handed over
     */
    void resume() {
        RuntimeException failed = null;
        while (true) {
            List<Held> late;
            synchronized (this.lock) {
                if (this.held.isEmpty()) {
                    this.paused = false;
                    break;
                }
                late = List.copyOf(this.held);
                this.held.clear();
            }
            for (Held work : late) {
                try {
                    work.run().run();
                }
                catch (RuntimeException ex) {
                    // The rest is handed over all the same, as the silo's transport would.
                    if (failed == null) {
                        failed = ex;
                    }
                    else {
                        failed.addSuppressed(ex);
                    }
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** Runs a report now, or holds it while paused. */
    private void handOver(Runnable report, boolean envelope) {
        synchronized (this.lock) {
            if (this.paused) {
                if (envelope) {
                    this.receivedLate++;
                }
                this.held.add(new Held(report, () -> {
                }));
                return;
            }
        }
        report.run();
    }

    /**
     * Closes the transport; what it held is dropped, the sends failing, as a process killed while paused loses
     * what its sockets buffered.
     */
    @Override
    public void close() {
        List<Held> dropped;
        synchronized (this.lock) {
            this.paused = false;
            dropped = List.copyOf(this.held);
            this.held.clear();
        }
        dropped.forEach((work) -> work.drop().run());
        super.close();
    }

    /** What was held: how it runs once resumed, and what dropping it does. */
    private record Held(Runnable run, Runnable drop) {
    }

    /** The silo's handler, reached through the pause. */
    private final class HeldHandler implements EnvelopeHandler {

        private final EnvelopeHandler handler;

        HeldHandler(EnvelopeHandler handler) {
            this.handler = handler;
        }

        @Override
        public void receive(Envelope envelope) {
            handOver(() -> this.handler.receive(envelope), true);
        }

        @Override
        public void lost(long messageId, RuntimeException failure) {
            handOver(() -> this.handler.lost(messageId, failure), false);
        }

        @Override
        public void inDoubt(long messageId, RuntimeException failure) {
            handOver(() -> this.handler.inDoubt(messageId, failure), false);
        }
    }
}
