package dev.quark.state;

import java.lang.reflect.Type;

import org.jspecify.annotations.Nullable;

/**
 * A state's value could not be converted to or from JSON. When reading, the stored payload is left as it is:
 * Quark never replaces a payload it cannot read with an empty state.
 */
public class StateSerializationException extends StateException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception for a payload that cannot be read.
     * @param store the name of the store
     * @param key the state's key
     * @param type the state's value type
     * @param cause the serializer's exception
     * @return the exception
     */
    public static StateSerializationException unreadable(String store, StateKey key, Type type, Throwable cause) {
        return new StateSerializationException(key, "State " + key + " in store '" + store
                + "' holds a payload that cannot be read as " + type.getTypeName()
                + "; the stored payload is left unchanged: " + cause.getMessage(), cause);
    }

    /**
     * Creates the exception for a value that cannot be written.
     * @param store the name of the store
     * @param key the state's key
     * @param type the state's value type
     * @param cause the serializer's exception
     * @return the exception
     */
    public static StateSerializationException unwritable(String store, StateKey key, Type type, Throwable cause) {
        return new StateSerializationException(key, "State " + key + " for store '" + store
                + "' cannot be written as JSON (" + type.getTypeName() + "); nothing was saved: " + cause.getMessage(),
                cause);
    }

    /**
     * Rebuilds the exception as it crossed silos, with the message it had there.
     * @param key the state's key
     * @param message the message of the original exception
     * @param cause the serializer's exception, as rebuilt; may be {@code null}
     * @return the exception
     */
    public static StateSerializationException crossedSilos(StateKey key, String message,
            @Nullable Throwable cause) {
        return new StateSerializationException(key, message, cause);
    }

    private StateSerializationException(StateKey key, String message,
            @Nullable Throwable cause) {
        super(key, message, cause);
    }
}
