package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lets a platform thread that made a blocking call spin for its answer for a few microseconds before it parks.
 * <p>
 * An uncontended call is answered a few microseconds after its turn's thread runs, but a platform thread that parked
 * first needs a kernel wake-up to see the answer: on an idle core tens of microseconds, most of the call's cost (33 µs
 * against 4 µs for a virtual-thread caller, whose park and unpark stay in the JVM). Spinning spares that wake-up when
 * the answer comes within the spin; when it does not, the caller parks as before, having spent the spin's CPU time.
 * <p>
 * Spinning takes a core, and on a small machine the turn that answers needs one too: at most half the processors spin
 * at once, process-wide (none on a single processor), and a caller that finds them all spinning parks at once. A
 * virtual thread never spins: its park costs little, and spinning would hold its carrier.
 * <p>
 * Thread-safe.
 */
final class PlatformCallerSpin {

    /** How many callers may spin at once in this process: half the processors, rounded down. */
    private static final int MAX_SPINNERS = Runtime.getRuntime().availableProcessors() / 2;

    private static final AtomicInteger spinners = new AtomicInteger();

    private final long spinNanos;

    private final int maxSpinners;

    /**
     * Creates the spin of a runtime.
     * @param spin how long to spin; zero for never
     */
    PlatformCallerSpin(Duration spin) {
        this(spin, MAX_SPINNERS);
    }

    PlatformCallerSpin(Duration spin, int maxSpinners) {
        this.spinNanos = spin.toNanos();
        this.maxSpinners = maxSpinners;
    }

    /**
     * Spins until the future completes or the spin's time is up, on a platform thread when a spinner's place is free;
     * returns at once otherwise. The caller then waits for the future as it would have.
     * @param future the call's outcome
     * @return whether the future is done
     */
    boolean awaitBriefly(CompletableFuture<?> future) {
        if (this.spinNanos <= 0 || future.isDone() || Thread.currentThread().isVirtual() || !takePlace()) {
            return future.isDone();
        }
        try {
            long deadline = System.nanoTime() + this.spinNanos;
            while (!future.isDone()) {
                if (System.nanoTime() - deadline >= 0) {
                    return false;
                }
                Thread.onSpinWait();
            }
            return true;
        }
        finally {
            spinners.decrementAndGet();
        }
    }

    /**
     * Returns how many callers spin now, in this process.
     * @return the count
     */
    static int spinning() {
        return spinners.get();
    }

    private boolean takePlace() {
        int spinning = spinners.get();
        while (spinning < this.maxSpinners) {
            if (spinners.compareAndSet(spinning, spinning + 1)) {
                return true;
            }
            spinning = spinners.get();
        }
        return false;
    }
}
