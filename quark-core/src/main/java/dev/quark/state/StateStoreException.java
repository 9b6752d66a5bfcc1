package dev.quark.state;

import org.jspecify.annotations.Nullable;

/**
 * A state store could not be reached or failed while loading, saving or deleting a state. Whether the write
 * happened is unknown when a save fails this way; the state went back to the value and version it last loaded
 * or saved, so the next save tells, by succeeding or throwing {@link ConcurrencyException}.
 */
public class StateStoreException extends StateException {

    private static final long serialVersionUID = 1L;

    private final String store;

    /**
     * Creates the exception.
     * @param store the name of the store
     * @param key the state's key
     * @param operation what failed: {@code load}, {@code save} or {@code delete}
     * @param cause the store's exception
     */
    public StateStoreException(String store, StateKey key, String operation, Throwable cause) {
        super(key, "Could not " + operation + " state " + key + " in store '" + store + "': " + cause, cause);
        this.store = store;
    }

    private StateStoreException(StateKey key, String store, String message, @Nullable Throwable cause) {
        super(key, message, cause);
        this.store = store;
    }

    /**
     * Rebuilds the exception as it crossed silos, with the message it had there.
     * @param store the name of the store
     * @param key the state's key
     * @param message the message of the original exception
     * @param cause the store's exception, as rebuilt; may be {@code null}
     * @return the exception
     */
    public static StateStoreException crossedSilos(String store, StateKey key, String message,
            @Nullable Throwable cause) {
        return new StateStoreException(key, store, message, cause);
    }

    /**
     * Returns the name of the store that failed.
     * @return the store name
     */
    public String getStore() {
        return this.store;
    }
}
