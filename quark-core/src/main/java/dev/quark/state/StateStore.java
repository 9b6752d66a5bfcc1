package dev.quark.state;

import java.util.Optional;

/**
 * Keeps persistent states with a version each: the SPI behind {@link PersistentState}. Quark ships an
 * in-memory, a Redis and a PostgreSQL implementation, which all pass the same contract tests
 * ({@code StateStoreContractTests} in {@code quark-testkit}).
 * <p>
 * Versions make writes conditional. A state that does not exist has version 0; its first save expects 0 and
 * stores version 1; every later save expects the current version and stores one more. A write whose expected
 * version is not the stored one throws {@link ConcurrencyException} and changes nothing, atomically with the
 * check, so of concurrent writers with the same expected version exactly one succeeds. A delete removes the
 * state, after which its versions start again at 1.
 * <p>
 * Payloads are stored and returned exactly as given, character for character; a store does not parse them.
 * Implementations are thread-safe. Failures to reach the backend surface as runtime exceptions, which
 * {@link PersistentState} wraps in {@link StateStoreException}.
 */
public interface StateStore {

    /**
     * Reads a state.
     * @param key the state's key
     * @return the stored payload and version, or empty when the state does not exist
     */
    Optional<StoredState> load(StateKey key);

    /**
     * Writes a state if it holds the expected version.
     * @param key the state's key
     * @param payload the JSON document to store
     * @param expectedVersion the version the caller last saw; 0 when it saw no state
     * @return the new version, {@code expectedVersion + 1}
     * @throws ConcurrencyException when the stored version is not {@code expectedVersion}; nothing is written
     */
    long save(StateKey key, String payload, long expectedVersion);

    /**
     * Deletes a state if it holds the expected version. Deleting a state that does not exist, expecting 0,
     * succeeds and does nothing.
     * @param key the state's key
     * @param expectedVersion the version the caller last saw; 0 when it saw no state
     * @throws ConcurrencyException when the stored version is not {@code expectedVersion}; nothing is deleted
     */
    void delete(StateKey key, long expectedVersion);

    /**
     * Writes a state if it holds the expected version, and in the same atomic step the attached writes: both are
     * made, or neither. A store writes the kinds of attachment it supports; this default supports none.
     * @param key the state's key
     * @param payload the JSON document to store
     * @param expectedVersion the version the caller last saw; 0 when it saw no state
     * @param attachment the writes to make with the state
     * @return the new version, {@code expectedVersion + 1}
     * @throws ConcurrencyException when the stored version is not {@code expectedVersion}; nothing is written
     * @throws UnsupportedOperationException when the store cannot make the attached writes atomically; nothing is
     * written
     */
    default long save(StateKey key, String payload, long expectedVersion, StateWriteAttachment attachment) {
        throw new UnsupportedOperationException("State store " + this + " cannot write " + attachment.description()
                + " atomically with state " + key + "; keep the state in a store that can (on Redis: RedisStateStore)");
    }
}
