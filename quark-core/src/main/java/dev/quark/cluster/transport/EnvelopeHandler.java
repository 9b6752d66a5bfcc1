package dev.quark.cluster.transport;

/**
 * Receives the envelopes a {@link Transport} delivers to its silo.
 */
@FunctionalInterface
public interface EnvelopeHandler {

    /**
     * Handles one envelope. A transport calls it on a thread of its own, never the sender's; envelopes of one
     * {@link Envelope.Lane lane} from one silo arrive one after another in the order sent, so the handler must
     * not block: whatever waits (a call waiting for room in a full mailbox) waits on a thread of its own, or
     * the envelopes behind it, for other actors and their answers, would wait too.
     * @param envelope the envelope
     */
    void receive(Envelope envelope);

    /**
     * Learns that a message this silo sent and that waits for an answer (a request, hand-off or probe) will
     * get none through the transport, and was not handled: the receiving silo refused it. The transport calls it
     * on a thread of its own. By default it does nothing, and the message's deadline ends the wait.
     * @param messageId the message id of the message sent
     * @param failure why no answer will come, to complete the wait with
     */
    default void lost(long messageId, RuntimeException failure) {
    }

    /**
     * Learns that a message this silo sent and that waits for an answer will get none through the transport,
     * and may or may not have been handled: the link it was written to broke before the answer came. The
     * transport calls it on a thread of its own. By default it is {@link #lost}.
     * @param messageId the message id of the message sent
     * @param failure why no answer will come, to complete the wait with
     */
    default void inDoubt(long messageId, RuntimeException failure) {
        lost(messageId, failure);
    }
}
