package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.state.ConcurrencyException;
import dev.quark.state.StateKey;
import dev.quark.state.StateStore;
import dev.quark.state.StateStoreException;
import dev.quark.state.StoredState;

/**
 * One silo's access to the state store the silos share, cut when the test kills the silo: a killed process
 * reads and writes nothing more, while the runtime of a killed test silo closes in the background and its
 * turns in flight may still try to save. While the test pauses the silo, its saves wait, as a paused process's
 * writes would, and go to the store when the pause ends: late writes, which the store's version check must keep
 * from overwriting what the actors' new owners saved meanwhile.
 */
final class KillableStateStore implements StateStore {

    /**
     * The longest a save waits for the pause to end, so that a test that fails early frees its threads: longer than
     * a scenario's pause may take (a few waits of {@link ClusterChurnTests#TIMEOUT}).
     */
    private static final Duration LONGEST_PAUSE = Duration.ofMinutes(3);

    private final StateStore shared;

    private final String siloId;

    private volatile boolean killed;

    private volatile CountDownLatch pauseEnd = new CountDownLatch(0);

    private final AtomicInteger heldSaves = new AtomicInteger();

    private final AtomicInteger lateSavesWritten = new AtomicInteger();

    private final AtomicInteger lateSavesRefused = new AtomicInteger();

    KillableStateStore(StateStore shared, String siloId) {
        this.shared = shared;
        this.siloId = siloId;
    }

    void kill() {
        this.killed = true;
    }

    /** Holds the saves from now on, until {@link #resume()}. */
    void pause() {
        CountDownLatch previous = this.pauseEnd;
        this.pauseEnd = new CountDownLatch(1);
        previous.countDown();
    }

    /** Lets the held saves go to the store. */
    void resume() {
        this.pauseEnd.countDown();
    }

    /** How many saves waited for the end of a pause. */
    int heldSaves() {
        return this.heldSaves.get();
    }

    /** How many saves that waited for the end of a pause were written once it ended. */
    int lateSavesWritten() {
        return this.lateSavesWritten.get();
    }

    /** How many saves that waited for the end of a pause the store refused as conflicting once it ended. */
    int lateSavesRefused() {
        return this.lateSavesRefused.get();
    }

    @Override
    public Optional<StoredState> load(StateKey key) {
        refuseWhenKilled(key, "load");
        return this.shared.load(key);
    }

    @Override
    public long save(StateKey key, String payload, long expectedVersion) {
        refuseWhenKilled(key, "save");
        CountDownLatch end = this.pauseEnd;
        if (end.getCount() == 0) {
            return this.shared.save(key, payload, expectedVersion);
        }
        this.heldSaves.incrementAndGet();
        awaitPauseEnd(end);
        refuseWhenKilled(key, "save");
        try {
            long version = this.shared.save(key, payload, expectedVersion);
            this.lateSavesWritten.incrementAndGet();
            return version;
        }
        catch (ConcurrencyException ex) {
            this.lateSavesRefused.incrementAndGet();
            throw ex;
        }
    }

    @Override
    public void delete(StateKey key, long expectedVersion) {
        refuseWhenKilled(key, "delete");
        this.shared.delete(key, expectedVersion);
    }

    private static void awaitPauseEnd(CountDownLatch end) {
        try {
            if (!end.await(LONGEST_PAUSE.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("The test's pause did not end within " + LONGEST_PAUSE);
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while a save waited for the test's pause to end", ex);
        }
    }

    private void refuseWhenKilled(StateKey key, String operation) {
        if (this.killed) {
            throw new StateStoreException("default", key, operation,
                    new IllegalStateException("silo " + this.siloId + " was killed"));
        }
    }
}
