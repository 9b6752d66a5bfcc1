package dev.quark.cluster;

/**
 * A call found no active silo in the caller's view of the cluster at all: every silo stopped, or none has
 * joined yet, or (in a cluster client) the membership table names none. Nothing was sent. Callers may retry
 * once silos are back: a cluster client picks them up at its next read of the membership table.
 */
public class NoActiveSiloException extends SiloUnavailableException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message what could not be called, from where, and the membership version
     */
    public NoActiveSiloException(String message) {
        super(message);
    }
}
