package dev.quark.durabletasks;

import java.util.Collection;
import java.util.TreeSet;

/**
 * No activity is registered under a name: an orchestration that calls it gets this exception from the call (and
 * fails unless it catches it), and a worker that finds a call of it fails the call without retrying.
 */
public class UnknownActivityException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    private final String name;

    /**
     * Creates the exception.
     * @param name the name asked for
     * @param known the names registered
     */
    public UnknownActivityException(String name, Collection<String> known) {
        super("No activity is registered as '" + name + "'; registered: " + new TreeSet<>(known));
        this.name = name;
    }

    private UnknownActivityException(String message, String name, boolean crossedSilos) {
        super(message);
        this.name = name;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param name the field of that name
     * @return the exception
     */
    public static UnknownActivityException crossedSilos(String message, String name) {
        return new UnknownActivityException(message, name, true);
    }

    /**
     * Returns the name asked for.
     * @return the name
     */
    public String getName() {
        return this.name;
    }
}
