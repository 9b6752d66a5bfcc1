package dev.quark.messaging.runtime;

import java.time.Clock;
import java.util.Map;
import java.util.Objects;

import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.Outbox;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.OutboxStore;

/**
 * The {@link Outbox}: checks the destination, writes the message as JSON, and appends it to the store in the
 * caller's transaction, in the partition its key hashes to.
 */
public final class DefaultOutbox implements Outbox {

    /** The longest key. */
    public static final int MAX_KEY_LENGTH = 255;

    private final OutboxStore store;

    private final Destinations destinations;

    private final MessageCodec codec;

    private final Partitioner partitioner;

    private final Clock clock;

    /**
     * Creates an outbox.
     * @param store the store
     * @param destinations the destinations messages may be enqueued for
     * @param codec writes messages
     * @param partitioner hashes keys into partitions, the dispatcher's
     * @param clock the clock of {@code createdAt} and message ids
     */
    public DefaultOutbox(OutboxStore store, Destinations destinations, MessageCodec codec, Partitioner partitioner,
            Clock clock) {
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.destinations = Objects.requireNonNull(destinations, "destinations must not be null");
        this.codec = Objects.requireNonNull(codec, "codec must not be null");
        this.partitioner = Objects.requireNonNull(partitioner, "partitioner must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
    }

    @Override
    public MessageId enqueue(String destination, String key, Object message, Map<String, String> headers) {
        NewMessage prepared = prepare(destination, key, message, headers);
        this.store.append(prepared);
        return prepared.id();
    }

    /**
     * Checks and writes a message as {@link #enqueue} does, without appending it: for writers that append it
     * themselves, such as {@link DefaultStateOutbox}.
     * @param destination the destination, served by a publisher
     * @param key the ordering key
     * @param message the message
     * @param headers the headers
     * @return the message to append
     * @throws dev.quark.messaging.UnknownDestinationException when no publisher serves the destination
     * @throws dev.quark.messaging.MessageSerializationException when the message cannot be written as JSON
     */
    public NewMessage prepare(String destination, String key, Object message, Map<String, String> headers) {
        Objects.requireNonNull(destination, "destination must not be null");
        Objects.requireNonNull(key, "key must not be null");
        Objects.requireNonNull(message, "message must not be null");
        Objects.requireNonNull(headers, "headers must not be null");
        if (key.isBlank() || key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("A message key is 1 to " + MAX_KEY_LENGTH
                    + " characters, not blank, was '" + key + "' (destination '" + destination + "')");
        }
        this.destinations.require(destination);
        String payload = this.codec.write(destination, message);
        return new NewMessage(MessageId.next(this.clock), destination, key, this.partitioner.partition(key),
                message.getClass().getName(), payload, headers, this.clock.instant());
    }

    /**
     * Returns the store messages are appended to.
     * @return the store
     */
    public OutboxStore store() {
        return this.store;
    }

    @Override
    public String toString() {
        return "DefaultOutbox[" + this.store + ", " + this.destinations + "]";
    }
}
