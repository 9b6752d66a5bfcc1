package dev.quark.messaging;

import java.util.List;

/**
 * Thrown when a message is enqueued for, or due for delivery to, a destination no {@link MessagePublisher} serves.
 */
public class UnknownDestinationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String destination;

    /**
     * Creates the exception.
     * @param destination the unknown destination
     * @param known the destinations there are
     */
    public UnknownDestinationException(String destination, List<String> known) {
        super("No publisher serves the destination '" + destination + "'; known destinations: "
                + (known.isEmpty() ? "none (define a MessagePublisher bean for it)" : known));
        this.destination = destination;
    }
    private UnknownDestinationException(String message, String destination, boolean crossedSilos) {
        super(message);
        this.destination = destination;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param destination the field of that name
     * @return the exception
     */
    public static UnknownDestinationException crossedSilos(String message, String destination) {
        return new UnknownDestinationException(message, destination, true);
    }


    /**
     * Returns the unknown destination.
     * @return the destination
     */
    public String destination() {
        return this.destination;
    }
}
