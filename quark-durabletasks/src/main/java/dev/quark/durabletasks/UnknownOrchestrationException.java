package dev.quark.durabletasks;

import java.util.Collection;
import java.util.TreeSet;

/**
 * No orchestration is registered under a name: scheduling it is refused, and an instance of it that a worker
 * finds fails.
 */
public class UnknownOrchestrationException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    private final String name;

    /**
     * Creates the exception.
     * @param name the name asked for
     * @param known the names registered
     */
    public UnknownOrchestrationException(String name, Collection<String> known) {
        super("No orchestration is registered as '" + name + "'; registered: " + new TreeSet<>(known));
        this.name = name;
    }

    private UnknownOrchestrationException(String message, String name, boolean crossedSilos) {
        super(message);
        this.name = name;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param name the field of that name
     * @return the exception
     */
    public static UnknownOrchestrationException crossedSilos(String message, String name) {
        return new UnknownOrchestrationException(message, name, true);
    }

    /**
     * Returns the name asked for.
     * @return the name
     */
    public String getName() {
        return this.name;
    }
}
