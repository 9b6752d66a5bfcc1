package dev.quark.messaging.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.OutboxMessage;

/**
 * A publisher that records what it was given and fails while a predicate says so.
 */
final class RecordingPublisher implements MessagePublisher {

    private final String destination;

    private final List<OutboxMessage> received = new ArrayList<>();

    private volatile Predicate<OutboxMessage> failing = (message) -> false;

    RecordingPublisher(String destination) {
        this.destination = destination;
    }

    void failWhile(Predicate<OutboxMessage> failing) {
        this.failing = failing;
    }

    synchronized List<OutboxMessage> received() {
        return List.copyOf(this.received);
    }

    synchronized List<String> payloads() {
        return this.received.stream().map(OutboxMessage::payload).toList();
    }

    @Override
    public String destination() {
        return this.destination;
    }

    @Override
    public void publish(OutboxMessage message) throws Exception {
        synchronized (this) {
            this.received.add(message);
        }
        if (this.failing.test(message)) {
            throw new java.io.IOException("broker refused " + message.payload());
        }
    }
}
