package dev.quark.messaging;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The destinations an application can enqueue for: its {@link MessagePublisher}s by name. Enqueueing for a name
 * that is not here fails at once, in the caller's transaction, with {@link UnknownDestinationException}.
 */
public final class Destinations {

    /** The longest destination name. */
    public static final int MAX_NAME_LENGTH = 200;

    private final Map<String, MessagePublisher> publishers;

    /**
     * Collects publishers.
     * @param publishers the publishers
     * @throws IllegalArgumentException naming the destination when two publishers serve the same one
     */
    public Destinations(Collection<? extends MessagePublisher> publishers) {
        Map<String, MessagePublisher> byName = new LinkedHashMap<>();
        for (MessagePublisher publisher : publishers) {
            String name = requireName(publisher.destination());
            MessagePublisher other = byName.putIfAbsent(name, publisher);
            if (other != null) {
                throw new IllegalArgumentException("Two publishers serve the destination '" + name + "': " + other
                        + " and " + publisher + "; give each destination one publisher");
            }
        }
        this.publishers = Map.copyOf(byName);
    }

    /**
     * Returns the publisher of a destination.
     * @param destination the destination
     * @return the publisher, or empty when none serves it
     */
    public Optional<MessagePublisher> find(String destination) {
        return Optional.ofNullable(this.publishers.get(destination));
    }

    /**
     * Returns the publisher of a destination.
     * @param destination the destination
     * @return the publisher
     * @throws UnknownDestinationException naming the destination and the known ones
     */
    public MessagePublisher require(String destination) {
        MessagePublisher publisher = this.publishers.get(destination);
        if (publisher == null) {
            throw new UnknownDestinationException(destination, names());
        }
        return publisher;
    }

    /**
     * Returns the destination names, sorted.
     * @return the names
     */
    public List<String> names() {
        return this.publishers.keySet().stream().sorted().toList();
    }

    static String requireName(String destination) {
        Objects.requireNonNull(destination, "destination must not be null");
        if (destination.isBlank() || destination.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("A destination is a name of 1 to " + MAX_NAME_LENGTH
                    + " characters, not blank, was '" + destination + "'");
        }
        return destination;
    }

    @Override
    public String toString() {
        return "Destinations" + names();
    }
}
