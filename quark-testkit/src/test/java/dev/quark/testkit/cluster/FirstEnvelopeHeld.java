package dev.quark.testkit.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.ForwardingTransport;
import dev.quark.cluster.transport.Transport;

/**
 * A silo's transport that holds the first envelope it sends that passes a test, set once the test knows what to hold,
 * until the test releases it: a reply that comes late, as after a pause.
 */
final class FirstEnvelopeHeld extends ForwardingTransport {

    private final AtomicReference<Predicate<Envelope>> test = new AtomicReference<>((envelope) -> false);

    private final AtomicInteger held = new AtomicInteger();

    private final CompletableFuture<Void> released = new CompletableFuture<>();

    FirstEnvelopeHeld(Transport delegate) {
        super(delegate);
    }

    /** Sets which envelope to hold: the first one sent from now on that passes the test. */
    void hold(Predicate<Envelope> test) {
        this.test.set(test);
    }

    /** Whether an envelope is held (or was, and has been released). */
    boolean holds() {
        return this.held.get() > 0;
    }

    /** Sends the envelope held, and lets every later one through. */
    void release() {
        this.released.complete(null);
    }

    @Override
    public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
        if (!this.test.get().test(envelope) || this.held.getAndIncrement() > 0) {
            return super.send(target, envelope);
        }
        return this.released.thenCompose((ignored) -> super.send(target, envelope));
    }
}
