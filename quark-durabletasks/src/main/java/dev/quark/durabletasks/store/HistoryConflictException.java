package dev.quark.durabletasks.store;

import dev.quark.durabletasks.DurableTaskException;

/**
 * A commit expected the history at another length than it is: another worker appended to it since the step read
 * it. The step's outcome is dropped; the instance's messages stay for the next step.
 */
public class HistoryConflictException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    private final String instanceId;

    private final int expected;

    private final int actual;

    /**
     * Creates the exception.
     * @param instanceId the instance
     * @param expected the length the commit expected
     * @param actual the length found, or -1 when the instance is gone
     */
    public HistoryConflictException(String instanceId, int expected, int actual) {
        this("Cannot append to the history of orchestration instance '" + instanceId + "' at sequence number "
                + expected + ": " + ((actual < 0) ? "the instance no longer exists"
                        : "it has " + actual + " events, another worker appended to it"),
                instanceId, expected, actual);
    }

    private HistoryConflictException(String message, String instanceId, int expected, int actual) {
        super(message);
        this.instanceId = instanceId;
        this.expected = expected;
        this.actual = actual;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param instanceId the field of that name
     * @param expected the field of that name
     * @param actual the field of that name
     * @return the exception
     */
    public static HistoryConflictException crossedSilos(String message, String instanceId, int expected,
            int actual) {
        return new HistoryConflictException(message, instanceId, expected, actual);
    }

    /**
     * Returns the instance.
     * @return the instance id
     */
    public String getInstanceId() {
        return this.instanceId;
    }

    /**
     * Returns the length of the history the commit expected.
     * @return the expected sequence number
     */
    public int getExpected() {
        return this.expected;
    }

    /**
     * Returns the length of the history found.
     * @return the number of events, or -1 when the instance no longer exists
     */
    public int getActual() {
        return this.actual;
    }
}
