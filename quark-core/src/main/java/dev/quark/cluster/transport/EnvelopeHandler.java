package dev.quark.cluster.transport;

/**
 * Receives the envelopes a {@link Transport} delivers to its silo.
 */
@FunctionalInterface
public interface EnvelopeHandler {

    /**
     * Handles one envelope. A transport calls it on a thread of its own, never the sender's; envelopes of one
     * {@link Envelope.Lane lane} from one silo arrive one after another in the order sent, so the handler may
     * block briefly (a call waiting for room in a full mailbox holds back the calls behind it, which is the
     * back-pressure a caller should feel) but hands longer work to other threads.
     * @param envelope the envelope
     */
    void receive(Envelope envelope);
}
