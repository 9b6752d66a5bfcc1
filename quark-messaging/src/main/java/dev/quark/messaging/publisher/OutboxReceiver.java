package dev.quark.messaging.publisher;

import dev.quark.actor.Actor;
import dev.quark.actor.SharedContract;
import dev.quark.messaging.OutboxMessage;

/**
 * The contract an actor destination's actors implement, through a contract of their own that extends it:
 * <pre>{@code
 * public interface OrderProjection extends OutboxReceiver { }
 *
 * @QuarkActor
 * class OrderProjectionActor extends AbstractActor implements OrderProjection {
 *     public void receive(OutboxMessage message) {
 *         if (seen.add(message.id())) { ... }   // or context().metadata().get(OutboxReceiver.MESSAGE_ID)
 *     }
 * }
 * }</pre>
 * The actor whose id is the message's key receives the message; the call returning acknowledges the delivery, an
 * exception makes the dispatcher retry it. Redeliveries carry the same {@link OutboxMessage#id()}, also in the
 * turn's context metadata under {@link #MESSAGE_ID} (and as its request id), for deduplication.
 * <p>
 * It is a {@link SharedContract}: any number of actor types implement it (one per actor destination), and it takes no
 * part in their type names, which come from their own contracts.
 */
@SharedContract
public interface OutboxReceiver extends Actor {

    /** The context metadata key of the message id. */
    String MESSAGE_ID = "quark-message-id";

    /** The context metadata key of the destination. */
    String DESTINATION = "quark-destination";

    /**
     * Receives a message.
     * @param message the message
     */
    void receive(OutboxMessage message);
}
