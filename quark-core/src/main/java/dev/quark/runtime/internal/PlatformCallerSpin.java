package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Lets a platform thread that made a blocking call from outside a turn spin for its answer for a few microseconds
 * before it parks.
 * <p>
 * An uncontended call is answered a few microseconds after its turn's thread runs, but a platform thread that parked
 * first needs a kernel wake-up to see the answer: on an idle core tens of microseconds, most of the call's cost (about
 * 30 µs against 4 µs for a virtual-thread caller, whose park and unpark stay in the JVM). Spinning spares that
 * wake-up when the answer comes within the spin; when it does not, the caller parks as before, having spent the
 * spin's CPU time for nothing. Three bounds keep that waste small:
 * <ul>
 * <li><b>Places.</b> Spinning takes a core, and on a small machine the turn that answers needs one too: at most half
 * the processors spin at once, process-wide (none on a single processor); a caller that finds every place taken
 * parks at once.</li>
 * <li><b>Per method, a back-off.</b> A method whose answer did not come within the spin (a turn doing I/O, a call to
 * another silo) is not spun for on its next call, nor on twice as many calls after each further miss, up to
 * {@value Backoff#MAX_SKIPS}; an answer within the spin ends the back-off. A method that is always slow costs its
 * platform callers one spin every {@value Backoff#MAX_SKIPS} calls.</li>
 * <li><b>Threads.</b> Only platform threads spin: a virtual thread's park costs little, and spinning would hold its
 * carrier. Nor does a fork-join pool's worker (it may be the thread meant to run the turn, and the pool compensates
 * for its blocking), an interrupted thread (its wait fails at once, as before), or a thread inside a turn (the
 * dispatcher does not ask then).</li>
 * </ul>
 * Thread-safe; a method's back-off is updated without synchronization and so is approximate under races.
 */
final class PlatformCallerSpin {

    /** How many callers may spin at once in this process: half the processors, rounded down. */
    private static final int MAX_SPINNERS = Runtime.getRuntime().availableProcessors() / 2;

    private static final AtomicInteger SPINNERS = new AtomicInteger();

    /** Spins that ended without the answer, process-wide: for diagnostics and tests. */
    private static final LongAdder MISSES = new LongAdder();

    private final long spinNanos;

    private final int maxSpinners;

    private final AtomicInteger spinners;

    /**
     * Creates the spin of a runtime, sharing the process's places.
     * @param spin how long to spin; zero for never
     */
    PlatformCallerSpin(Duration spin) {
        this(spin, MAX_SPINNERS, SPINNERS);
    }

    PlatformCallerSpin(Duration spin, int maxSpinners, AtomicInteger spinners) {
        this.spinNanos = spin.toNanos();
        this.maxSpinners = maxSpinners;
        this.spinners = spinners;
    }

    /**
     * Spins until the future completes or the spin's time is up, when this thread may spin, the method's back-off
     * lets it and a place is free; returns at once otherwise. The caller then waits for the future as it would have.
     * @param future the call's outcome
     * @param backoff the called method's back-off
     * @return whether the future is done
     */
    boolean awaitBriefly(CompletableFuture<?> future, Backoff backoff) {
        if (this.spinNanos <= 0 || future.isDone() || !mayThisThreadSpin() || backoff.skip() || !takePlace()) {
            return future.isDone();
        }
        boolean answered = false;
        try {
            long deadline = System.nanoTime() + this.spinNanos;
            while (!(answered = future.isDone()) && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
        }
        finally {
            this.spinners.decrementAndGet();
        }
        backoff.spun(answered);
        if (!answered) {
            MISSES.increment();
        }
        return answered;
    }

    /**
     * Returns how many callers spin now on this spin's places.
     * @return the count
     */
    int spinning() {
        return this.spinners.get();
    }

    /**
     * Returns how many spins in this process ended without their answer.
     * @return the count since the process started
     */
    static long misses() {
        return MISSES.sum();
    }

    private static boolean mayThisThreadSpin() {
        Thread thread = Thread.currentThread();
        return !thread.isVirtual() && !(thread instanceof ForkJoinWorkerThread) && !thread.isInterrupted();
    }

    private boolean takePlace() {
        int spinning = this.spinners.get();
        while (spinning < this.maxSpinners) {
            if (this.spinners.compareAndSet(spinning, spinning + 1)) {
                return true;
            }
            spinning = this.spinners.get();
        }
        return false;
    }

    /**
     * How often the callers of one method spin: after a spin that missed the answer, the next calls go without, one
     * at first and twice as many after each further miss, up to {@value #MAX_SKIPS}; a spin that got the answer resets
     * it. Plain fields: a lost update under a race only moves a spin by a call.
     */
    static final class Backoff {

        /** The most calls in a row that go without a spin. */
        static final int MAX_SKIPS = 256;

        /** Calls left to go without a spin. */
        private int skips;

        /** How many calls go without a spin after the next miss, less one doubling. */
        private int lastSkips;

        /** Takes one call out of the back-off; {@code true} when it goes without a spin. */
        boolean skip() {
            if (this.skips > 0) {
                this.skips--;
                return true;
            }
            return false;
        }

        void spun(boolean answered) {
            if (answered) {
                this.lastSkips = 0;
                return;
            }
            int next = Math.min(MAX_SKIPS, Math.max(1, this.lastSkips * 2));
            this.lastSkips = next;
            this.skips = next;
        }
    }
}
