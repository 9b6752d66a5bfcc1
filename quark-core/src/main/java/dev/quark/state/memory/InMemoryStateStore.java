package dev.quark.state.memory;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import dev.quark.state.ConcurrencyException;
import dev.quark.state.StateKey;
import dev.quark.state.StateStore;
import dev.quark.state.StateWriteAttachment;
import dev.quark.state.StoredState;
import org.jspecify.annotations.Nullable;

/**
 * Keeps states in a map in this JVM: fast, shared by the activations of one runtime, lost when the JVM stops.
 * The default store when no backend is configured, and the one tests use.
 */
public final class InMemoryStateStore implements StateStore {

    private final ConcurrentMap<StateKey, StoredState> states = new ConcurrentHashMap<>();

    @Override
    public Optional<StoredState> load(StateKey key) {
        return Optional.ofNullable(this.states.get(key));
    }

    @Override
    public long save(StateKey key, String payload, long expectedVersion) {
        replace(key, expectedVersion, new StoredState(payload, expectedVersion + 1));
        return expectedVersion + 1;
    }

    /**
     * Saves a state and makes the writes of an {@link InMemoryStateAttachment} in the same step, all or nothing: after
     * the version check, before the state is replaced, so that attached writes that throw (a message enqueued already,
     * a reused attachment) leave the state as it was. Refuses other attachments before writing anything.
     */
    @Override
    public long save(StateKey key, String payload, long expectedVersion, StateWriteAttachment attachment) {
        if (!(attachment instanceof InMemoryStateAttachment attached)) {
            return StateStore.super.save(key, payload, expectedVersion, attachment);
        }
        replace(key, expectedVersion, new StoredState(payload, expectedVersion + 1), attached::write);
        return expectedVersion + 1;
    }

    @Override
    public void delete(StateKey key, long expectedVersion) {
        replace(key, expectedVersion, null);
    }

    private void replace(StateKey key, long expectedVersion, @Nullable StoredState replacement) {
        replace(key, expectedVersion, replacement, () -> {
        });
    }

    /**
     * Replaces the stored state (removes it for {@code null}) when its version (0 when absent) is the
     * expected one, atomically, making the attached writes first: when they throw, the state stays as it was.
     */
    private void replace(StateKey key, long expectedVersion, @Nullable StoredState replacement, Runnable attached) {
        Outcome outcome = new Outcome();
        this.states.compute(key, (ignored, current) -> {
            long actual = (current != null) ? current.version() : 0;
            outcome.actual = actual;
            if (actual != expectedVersion) {
                return current;
            }
            attached.run();
            outcome.written = true;
            return replacement;
        });
        if (!outcome.written) {
            throw new ConcurrencyException(key, expectedVersion, outcome.actual);
        }
    }

    /**
     * Returns the number of states held.
     * @return the number of states
     */
    public int size() {
        return this.states.size();
    }

    @Override
    public String toString() {
        return "InMemoryStateStore[" + this.states.size() + " states]";
    }

    private static final class Outcome {

        private long actual;

        private boolean written;
    }
}
