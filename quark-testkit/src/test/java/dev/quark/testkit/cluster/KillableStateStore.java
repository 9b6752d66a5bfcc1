package dev.quark.testkit.cluster;

import java.util.Optional;

import dev.quark.state.StateKey;
import dev.quark.state.StateStore;
import dev.quark.state.StateStoreException;
import dev.quark.state.StoredState;

/**
 * One silo's access to the state store the silos share, cut when the test kills the silo: a killed process
 * reads and writes nothing more, while the runtime of a killed test silo closes in the background and its
 * turns in flight may still try to save.
 */
final class KillableStateStore implements StateStore {

    private final StateStore shared;

    private final String siloId;

    private volatile boolean killed;

    KillableStateStore(StateStore shared, String siloId) {
        this.shared = shared;
        this.siloId = siloId;
    }

    void kill() {
        this.killed = true;
    }

    @Override
    public Optional<StoredState> load(StateKey key) {
        refuseWhenKilled(key, "load");
        return this.shared.load(key);
    }

    @Override
    public long save(StateKey key, String payload, long expectedVersion) {
        refuseWhenKilled(key, "save");
        return this.shared.save(key, payload, expectedVersion);
    }

    @Override
    public void delete(StateKey key, long expectedVersion) {
        refuseWhenKilled(key, "delete");
        this.shared.delete(key, expectedVersion);
    }

    private void refuseWhenKilled(StateKey key, String operation) {
        if (this.killed) {
            throw new StateStoreException("default", key, operation,
                    new IllegalStateException("silo " + this.siloId + " was killed"));
        }
    }
}
