package dev.quark.cluster.transport;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.TransportSecurity;

/**
 * Carries {@link Envelope}s between silos: the SPI under calls, answers, probes and hand-offs. One transport
 * belongs to one silo. Quark ships an in-JVM transport ({@code transport.injvm}) for tests and the test kit;
 * a network transport (gRPC) implements the same SPI.
 * <p>
 * A transport works at the level of messages: it knows nothing of actors, views or codecs. It keeps the
 * {@link Envelope.Lane lanes} of one silo pair apart and each in order, and delivers to the handler on threads
 * of its own. It does not retry: what it cannot hand over fails at once with a
 * {@link SiloUnreachableException}, and what is lost after hand-over is the sender's to notice (answers have
 * deadlines, and membership tells when a silo is dead).
 */
public interface Transport extends AutoCloseable {

    /**
     * Starts listening for the envelopes of a silo.
     * @param siloId the silo this transport serves
     * @param handler receives every envelope addressed to it
     * @return where peers reach this silo, to be written to its membership entry
     * @throws IllegalStateException when the transport was started already or is closed
     */
    SiloAddress start(String siloId, EnvelopeHandler handler);

    /**
     * Sends an envelope.
     * @param target where the target silo listens, from its membership entry (or, for an answer, the
     * request's source address)
     * @param envelope the envelope
     * @return a stage completed once the envelope has been handed over to the target's side (not once it has
     * been handled), or failed with a {@link SiloUnreachableException} naming both silos when it cannot be:
     * nobody listens there, the link is down, or this transport is closed. A failed stage means the envelope was
     * not delivered: a transport never fails it once it has handed the envelope over (what is lost after that is
     * reported to {@link EnvelopeHandler#inDoubt} for requests), since the routing sends a call whose send failed
     * to another silo when its view has moved on
     */
    CompletionStage<Void> send(SiloAddress target, Envelope envelope);

    /**
     * Lets go of what the transport holds for a silo that left the cluster or was declared dead: its
     * connections and streams, so that they do not pile up over many joins and leaves. What waits to be sent
     * there fails with a {@link SiloUnreachableException}, and the requests sent there that wait for their answer
     * are reported to {@link EnvelopeHandler#inDoubt}; a later send there opens them again. By default it
     * does nothing, for transports that hold nothing per silo.
     * @param address where the departed silo listened
     */
    default void forget(SiloAddress address) {
    }

    /**
     * Undoes {@link #forget} for an address a live silo of the view has again (a silo restarted at the address of
     * one that left): answers there go out again. By default it does nothing.
     * @param address where the silo listens
     */
    default void welcome(SiloAddress address) {
    }

    /**
     * Closes what the transport holds for an address, its connections and streams, without refusing later sends
     * there (unlike {@link #forget}): the next send opens them again. For addresses nothing was heard from for a
     * while, such as a cluster client that went away (clients are in no view, so no view change lets go of them).
     * What waits to be sent there fails with a {@link SiloUnreachableException}, and the requests sent there that
     * wait for their answer are reported to {@link EnvelopeHandler#inDoubt}. By default it does nothing, for
     * transports that hold nothing per silo.
     * @param address where the quiet peer listens
     */
    default void disconnect(SiloAddress address) {
    }

    /**
     * Returns a stage completed once this transport's connection to an address takes envelopes of a lane again:
     * at once when it does; otherwise the transport opens it (once the reconnection back-off of a link that broke
     * is over) and completes the stage when the other side has accepted it. For a sender that waits to send there
     * again after a link broke, such as the retry of an idempotent call whose outcome is unknown. The stage fails
     * when that attempt fails (it is not made again for this stage), when the transport is closed, when the
     * address was {@link #forget forgotten} as departed (only a send connects there again), or when the
     * transport cannot tell; by default it fails at once with an {@link UnsupportedOperationException}, for
     * transports that keep no connections, and the sender relies on its other waits.
     * @param address where the peer listens
     * @param lane the lane to send on
     * @return the stage
     */
    default CompletionStage<Void> reconnect(SiloAddress address, Envelope.Lane lane) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(getClass().getSimpleName()
                + " does not tell when its connection to " + address + " is up"));
    }

    /**
     * Returns the addresses the transport holds connections or streams to, so that those where no live silo
     * of the view lives can be {@link #forget forgotten}. By default none, for transports that hold nothing
     * per silo.
     * @return the addresses, a copy
     */
    default Set<SiloAddress> peers() {
        return Set.of();
    }

    /**
     * Returns whether this transport's links to other silos use TLS, which the silo's membership entry publishes
     * so that a joining silo with the other setting fails at once. By default {@link TransportSecurity#UNKNOWN},
     * for transports that do not say (in-JVM ones).
     * @return whether the links use TLS
     */
    default TransportSecurity security() {
        return TransportSecurity.UNKNOWN;
    }

    /**
     * Tells the silos linked to this one that it is about to close, so that a graceful stop leaves none of their
     * requests with an unknown outcome: they stop sending requests here (what they had not written yet fails as not
     * sent, so that it is routed elsewhere), what they had written is still received and handed to the handler,
     * whose answers go out as usual, and {@link #close} then writes what waits to be sent before it closes the links.
     * Returns once every peer stopped sending requests, what they sent was handed to the handler and
     * {@code answered} says the handler answered all of it, or after a bound of the transport's own. This silo's
     * own sends, and the answers to them, go on until {@link #close}; calling it again, or after {@code close}, does
     * nothing. By default it does nothing, for transports that cannot tell their peers (the in-JVM one hands each
     * envelope over or fails its send).
     * @param answered whether the handler has answered every request it received, asked again until it says so
     */
    default void sayGoodbye(BooleanSupplier answered) {
    }

    /**
     * Stops listening and sending; envelopes not yet handed over are dropped, except those a
     * {@link #sayGoodbye goodbye} said before leaves time to write. Idempotent.
     */
    @Override
    void close();
}
