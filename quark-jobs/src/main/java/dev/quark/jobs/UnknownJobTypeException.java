package dev.quark.jobs;

import java.util.Collection;
import java.util.List;

/**
 * A job type no handler is registered for, or a handler class that is not registered.
 */
public class UnknownJobTypeException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String type;

    /**
     * Creates the exception.
     * @param type the unknown type, or the name of the unknown handler class
     * @param known the types that are registered
     */
    public UnknownJobTypeException(String type, Collection<String> known) {
        super("No job handler is registered for the job type '" + type + "'; the registered types are "
                + List.copyOf(known).stream().sorted().toList());
        this.type = type;
    }

    private UnknownJobTypeException(String message, String type, boolean crossedSilos) {
        super(message);
        this.type = type;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param type the field of that name
     * @return the exception
     */
    public static UnknownJobTypeException crossedSilos(String message, String type) {
        return new UnknownJobTypeException(message, type, true);
    }

    /**
     * Returns the unknown type.
     * @return the type
     */
    public String getType() {
        return this.type;
    }
}
