package dev.quark.durabletasks.store;

import dev.quark.durabletasks.DurableTaskException;

/**
 * A commit expected the history at another length than it is: another worker appended to it since the step read
 * it. The step's outcome is dropped; the instance's messages stay for the next step.
 */
public class HistoryConflictException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param instanceId the instance
     * @param expected the length the commit expected
     * @param actual the length found, or -1 when the instance is gone
     */
    public HistoryConflictException(String instanceId, int expected, int actual) {
        super("Cannot append to the history of orchestration instance '" + instanceId + "' at sequence number "
                + expected + ": " + ((actual < 0) ? "the instance no longer exists"
                        : "it has " + actual + " events, another worker appended to it"));
    }
}
