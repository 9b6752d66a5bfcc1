package dev.quark.state;

import java.util.NoSuchElementException;
import java.util.function.UnaryOperator;

/**
 * One named persistent state of an activation: the value it holds in memory and the version of that value in
 * its store. Declared with {@link ActorState} and loaded before {@code onActivate()}.
 * <p>
 * Changes stay in memory until {@link #save()}. Every save carries the version that was loaded or last saved
 * (the e-tag); when the store holds another version, because another activation or process wrote the state
 * meanwhile, the save throws {@link ConcurrencyException} and nothing is written. The first save of a state
 * that does not exist yet is guarded the same way: of two activations that race to create it, exactly one
 * wins. A save that fails drops the unsaved changes, so a typical write with retries reads:
 * <pre>{@code
 * for (int attempt = 1; ; attempt++) {
 *     this.account.update(AccountState.EMPTY, (state) -> state.deposit(amount));
 *     try {
 *         this.account.save();
 *         break;
 *     }
 *     catch (ConcurrencyException ex) {
 *         if (attempt == 3) {
 *             throw ex;
 *         }
 *         this.account.reload();
 *     }
 * }
 * }</pre>
 * <p>
 * A state belongs to its activation and is used from the actor's own turns and lifecycle hooks, like the rest
 * of the actor's fields; it is not safe for use from other threads.
 *
 * @param <T> the type of the value, stored as JSON
 */
public interface PersistentState<T> {

    /**
     * Returns the key the state is stored under.
     * @return the key
     */
    StateKey key();

    /**
     * Returns whether the store held the state when it was last loaded, saved or cleared by this activation.
     * A value {@link #set(Object) set} but not saved yet does not make it exist.
     * @return whether a stored value exists
     */
    boolean exists();

    /**
     * Returns the value: the one loaded, or the one set since.
     * @return the value
     * @throws NoSuchElementException when the state holds no value (it does not exist and none was set)
     */
    T get();

    /**
     * Returns the value, or a fallback when the state holds none.
     * @param fallback returned when there is no value; not stored
     * @return the value or the fallback
     */
    T getOrElse(T fallback);

    /**
     * Replaces the value in memory; {@link #save()} stores it.
     * @param value the new value
     */
    void set(T value);

    /**
     * Replaces the value in memory with the result of a function of the current value.
     * @param change computes the new value from the current one
     * @return the new value
     * @throws NoSuchElementException when the state holds no value
     */
    T update(UnaryOperator<T> change);

    /**
     * Replaces the value in memory with the result of a function of the current value, or of
     * {@code initial} when the state holds none.
     * @param initial the value to start from when there is none
     * @param change computes the new value
     * @return the new value
     */
    T update(T initial, UnaryOperator<T> change);

    /**
     * Writes the value to the store, if the store still holds the version this activation knows.
     * <p>
     * When the write fails, the unsaved changes are dropped: the state holds the value and version it last
     * loaded or saved again (read back from the stored JSON, so changes made in place to a mutable value are
     * dropped too). Memory never holds a change that the store may not have; reload and apply the change again
     * to retry.
     * @throws IllegalStateException when the state holds no value
     * @throws ConcurrencyException when the store holds another version; nothing is written
     * @throws StateSerializationException when the value cannot be written as JSON; nothing is written and the
     * value is kept
     * @throws StateStoreException when the store cannot be reached or fails; whether the write happened is
     * unknown, and the next save tells, by succeeding or throwing {@link ConcurrencyException}
     */
    void save();

    /**
     * Writes the value to the store, as {@link #save()} does, and in the same atomic step the attached writes (for
     * instance outbox messages): both are made, or neither.
     * @param attachment the writes to make with the state
     * @throws IllegalStateException when the state holds no value
     * @throws ConcurrencyException when the store holds another version; nothing is written
     * @throws UnsupportedOperationException when the state's store cannot make the attached writes atomically;
     * nothing is written and the value is kept
     * @throws StateSerializationException when the value cannot be written as JSON; nothing is written and the
     * value is kept
     * @throws StateStoreException when the store cannot be reached or fails; whether the writes happened is
     * unknown
     */
    default void save(StateWriteAttachment attachment) {
        throw new UnsupportedOperationException("State " + key() + " cannot write " + attachment.description()
                + " atomically with its value");
    }

    /**
     * Replaces the value in memory with the one in the store, dropping unsaved changes.
     * @throws StateSerializationException when the stored payload cannot be read as the state's type
     * @throws StateStoreException when the store cannot be reached or fails
     */
    void reload();

    /**
     * Deletes the state from the store, if the store still holds the version this activation knows, and
     * drops the value in memory. Afterwards the state does not exist and its version is 0. When the delete
     * fails, the state holds the value and version it last loaded or saved.
     * @throws ConcurrencyException when the store holds another version; nothing is deleted
     * @throws StateStoreException when the store cannot be reached or fails
     */
    void clear();

    /**
     * Returns the version of the value in the store as this activation knows it: 0 when the state does not
     * exist, 1 after its first save, one more with every save.
     * @return the version (e-tag)
     */
    long version();
}
