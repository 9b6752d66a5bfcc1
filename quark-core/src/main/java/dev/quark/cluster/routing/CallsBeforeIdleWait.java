package dev.quark.cluster.routing;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the calls this silo sends to other silos ({@link ClusterRouter#send}) that were made before its wait for
 * idle began ({@link SiloRouting#awaitIdle}), until their outcomes are known, so that the wait ends once those are
 * done however many calls the application goes on making through the silo meanwhile: the calls made later are not
 * waited for (the silo is leaving or closing, and fails those still in flight at its close). A call that waited in
 * a mailbox here and is sent on once its activation moved (a relocation) counts whenever it is sent: it was made
 * before, and there are only so many.
 * <p>
 * One atomic counter, raised before the flag is read and lowered again by a call that then finds the wait begun:
 * the wait sets the flag before it reads the counter, so it misses no call that did not see the flag. (A
 * {@code LongAdder} could: its cells are summed one at a time, and a call's raise and lowering may land in two.)
 */
final class CallsBeforeIdleWait {

    private final AtomicLong counted = new AtomicLong();

    private volatile boolean waitBegun;

    /**
     * Counts a call that starts, unless the wait began before it and it is not a relocation.
     * @param relocated whether the call waited in a mailbox here before it is sent
     * @return whether it counts, so that {@link #ended()} must be told when its outcome is known
     */
    boolean started(boolean relocated) {
        if (!relocated && this.waitBegun) {
            return false;
        }
        this.counted.incrementAndGet();
        if (!relocated && this.waitBegun) {
            this.counted.decrementAndGet();
            return false;
        }
        return true;
    }

    /** A counted call's outcome is known. */
    void ended() {
        this.counted.decrementAndGet();
    }

    /** The wait for idle begins: calls that start from now on are not counted, unless relocated. */
    void waitBegins() {
        this.waitBegun = true;
    }

    /** The wait for idle is over: calls count again, for a later wait. */
    void waitEnds() {
        this.waitBegun = false;
    }

    /**
     * Returns how many counted calls have no outcome yet.
     * @return the count
     */
    long inFlight() {
        return this.counted.get();
    }
}
