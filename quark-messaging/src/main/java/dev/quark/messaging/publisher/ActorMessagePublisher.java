package dev.quark.messaging.publisher;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

import dev.quark.actor.ActorRefFactory;
import dev.quark.actor.RequestContext;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.OutboxMessage;

/**
 * Delivers a destination's messages to actors: the message with key {@code k} goes to the actor {@code k} of an
 * {@link OutboxReceiver} contract, as a request/response call whose return acknowledges the delivery. The call runs
 * in a {@link RequestContext} whose request id is the message id and whose metadata holds the message's headers
 * plus {@link OutboxReceiver#MESSAGE_ID} and {@link OutboxReceiver#DESTINATION}.
 */
public final class ActorMessagePublisher implements MessagePublisher {

    private final String destination;

    private final ActorRefFactory actors;

    private final Class<? extends OutboxReceiver> contract;

    /**
     * Creates the publisher.
     * @param destination the destination it serves
     * @param actors where actor references come from
     * @param contract the receiving actors' contract
     */
    public ActorMessagePublisher(String destination, ActorRefFactory actors, Class<? extends OutboxReceiver> contract) {
        this.destination = MessagePublisher.of(destination, (message) -> {
        }).destination();
        this.actors = Objects.requireNonNull(actors, "actors must not be null");
        this.contract = Objects.requireNonNull(contract, "contract must not be null");
    }

    @Override
    public String destination() {
        return this.destination;
    }

    @Override
    public void publish(OutboxMessage message) {
        Map<String, String> metadata = new HashMap<>(message.headers());
        metadata.put(OutboxReceiver.MESSAGE_ID, message.id().toString());
        metadata.put(OutboxReceiver.DESTINATION, message.destination());
        try (RequestContext.Scope scope = RequestContext.of(message.id().toString(), metadata).open()) {
            this.actors.get(this.contract, message.key()).receive(message);
        }
    }

    @Override
    public String toString() {
        return "ActorMessagePublisher[" + this.destination + " -> " + this.contract.getName() + "]";
    }
}
