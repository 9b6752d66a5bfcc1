package dev.quark.state.internal;

import java.lang.reflect.Type;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

import dev.quark.state.ConcurrencyException;
import dev.quark.state.PersistentState;
import dev.quark.state.StateKey;
import dev.quark.state.StateSerializationException;
import dev.quark.state.StateSerializer;
import dev.quark.state.StateStore;
import dev.quark.state.StateStoreException;
import dev.quark.state.StateWriteAttachment;
import dev.quark.state.StoredState;
import org.jspecify.annotations.Nullable;

/**
 * The {@link PersistentState} an activation's field holds: a value and its version, kept in a
 * {@link StateStore} as JSON. Used by one thread at a time, the activation's, like the actor's own fields.
 * <p>
 * Besides the value it keeps the payload last loaded or saved, to go back to it when a write fails.
 *
 * @param <T> the value type
 */
public final class StoreBackedState<T> implements PersistentState<T> {

    private final StateKey key;

    private final String storeName;

    private final StateStore store;

    private final StateSerializer serializer;

    private final Type valueType;

    private @Nullable T value;

    /** The payload last loaded or saved: what the store holds as far as this state knows; null when absent. */
    private @Nullable String stored;

    private long version;

    private boolean detached;

    /**
     * Creates a state that holds nothing until {@link #reload()}.
     * @param key the state's key
     * @param storeName the store's name, for messages
     * @param store the store
     * @param serializer converts values to and from JSON
     * @param valueType the value type
     */
    public StoreBackedState(StateKey key, String storeName, StateStore store, StateSerializer serializer,
            Type valueType) {
        this.key = Objects.requireNonNull(key, "key must not be null");
        this.storeName = Objects.requireNonNull(storeName, "storeName must not be null");
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.serializer = Objects.requireNonNull(serializer, "serializer must not be null");
        this.valueType = Objects.requireNonNull(valueType, "valueType must not be null");
    }

    @Override
    public StateKey key() {
        return this.key;
    }

    @Override
    public boolean exists() {
        return this.version > 0;
    }

    @Override
    public T get() {
        checkAttached();
        T current = this.value;
        if (current == null) {
            throw new NoSuchElementException("State " + this.key + " holds no value: it does not exist in store '"
                    + this.storeName + "' and none was set; use getOrElse or update with an initial value");
        }
        return current;
    }

    @Override
    public T getOrElse(T fallback) {
        checkAttached();
        T current = this.value;
        return (current != null) ? current : fallback;
    }

    @Override
    public void set(T value) {
        checkAttached();
        this.value = Objects.requireNonNull(value, "value must not be null; use clear() to delete the state");
    }

    @Override
    public T update(UnaryOperator<T> change) {
        T next = Objects.requireNonNull(change.apply(get()), "the change must not return null");
        this.value = next;
        return next;
    }

    @Override
    public T update(T initial, UnaryOperator<T> change) {
        T next = Objects.requireNonNull(change.apply(getOrElse(initial)), "the change must not return null");
        this.value = next;
        return next;
    }

    @Override
    public void save() {
        write(null);
    }

    @Override
    public void save(StateWriteAttachment attachment) {
        write(Objects.requireNonNull(attachment, "attachment must not be null"));
    }

    private void write(@Nullable StateWriteAttachment attachment) {
        checkAttached();
        T current = this.value;
        if (current == null) {
            throw new IllegalStateException("State " + this.key + " holds no value to save; set one first, or clear() to delete it");
        }
        String payload;
        try {
            payload = this.serializer.serialize(current, this.valueType);
        }
        catch (Exception ex) {
            throw StateSerializationException.unwritable(this.storeName, this.key, this.valueType, ex);
        }
        try {
            this.version = (attachment != null) ? this.store.save(this.key, payload, this.version, attachment)
                    : this.store.save(this.key, payload, this.version);
            this.stored = payload;
        }
        catch (ConcurrencyException ex) {
            revert();
            throw ex;
        }
        catch (UnsupportedOperationException ex) {
            throw ex;
        }
        catch (RuntimeException ex) {
            revert();
            throw new StateStoreException(this.storeName, this.key, "save", ex);
        }
    }

    @Override
    public void reload() {
        checkAttached();
        Optional<StoredState> stored;
        try {
            stored = this.store.load(this.key);
        }
        catch (RuntimeException ex) {
            throw new StateStoreException(this.storeName, this.key, "load", ex);
        }
        if (stored.isEmpty()) {
            this.value = null;
            this.stored = null;
            this.version = 0;
            return;
        }
        T loaded = read(stored.get().payload());
        this.value = loaded;
        this.stored = stored.get().payload();
        this.version = stored.get().version();
    }

    @Override
    public void clear() {
        checkAttached();
        try {
            this.store.delete(this.key, this.version);
        }
        catch (ConcurrencyException ex) {
            revert();
            throw ex;
        }
        catch (RuntimeException ex) {
            revert();
            throw new StateStoreException(this.storeName, this.key, "delete", ex);
        }
        this.value = null;
        this.stored = null;
        this.version = 0;
    }

    @Override
    public long version() {
        return this.version;
    }

    /**
     * Makes every later use fail: the activation this state belongs to has ended.
     */
    public void detach() {
        this.detached = true;
    }

    /**
     * Drops unsaved changes after a failed write: the value becomes the one last loaded or saved again, so that
     * memory never holds a change the store may not have. Read back from the payload, so that changes made to a
     * mutable value in place are dropped too.
     */
    private void revert() {
        String payload = this.stored;
        this.value = (payload != null) ? read(payload) : null;
    }

    @SuppressWarnings("unchecked")
    private T read(String payload) {
        try {
            return (T) this.serializer.deserialize(payload, this.valueType);
        }
        catch (Exception ex) {
            throw StateSerializationException.unreadable(this.storeName, this.key, this.valueType, ex);
        }
    }

    private void checkAttached() {
        if (this.detached) {
            throw new IllegalStateException("State " + this.key
                    + " belongs to an activation that has ended; use it only from the actor's own turns");
        }
    }

    @Override
    public String toString() {
        return "PersistentState[" + this.key + ", store " + this.storeName + ", version " + this.version + "]";
    }
}
