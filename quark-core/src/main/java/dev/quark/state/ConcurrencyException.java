package dev.quark.state;

/**
 * A write to a state expected a version the store no longer holds: someone else saved or deleted the state
 * since it was loaded. Nothing was written. Reload the state and retry, or give up.
 */
public class ConcurrencyException extends StateException {

    private static final long serialVersionUID = 1L;

    private final long expectedVersion;

    private final long actualVersion;

    /**
     * Creates the exception.
     * @param key the state's key
     * @param expectedVersion the version the writer expected; 0 for a state it saw as absent
     * @param actualVersion the version the store held; 0 when the state did not exist
     */
    public ConcurrencyException(StateKey key, long expectedVersion, long actualVersion) {
        super(key, "State " + key + " was changed concurrently: expected version " + expectedVersion
                + ", but the store holds " + ((actualVersion == 0) ? "no state" : "version " + actualVersion)
                + "; nothing was written", null);
        this.expectedVersion = expectedVersion;
        this.actualVersion = actualVersion;
    }

    /**
     * Returns the version the writer expected.
     * @return the expected version, 0 for a state the writer saw as absent
     */
    public long getExpectedVersion() {
        return this.expectedVersion;
    }

    /**
     * Returns the version the store held when the write was refused.
     * @return the stored version, 0 when the state did not exist
     */
    public long getActualVersion() {
        return this.actualVersion;
    }
}
