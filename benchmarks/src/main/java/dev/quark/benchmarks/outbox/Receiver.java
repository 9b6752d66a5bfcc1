package dev.quark.benchmarks.outbox;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import dev.quark.messaging.MessagePublisher;

/**
 * The receiver of a drain: a publisher that answers at once, or after a fixed time per message, as a broker's
 * round trip would, parked rather than spinning (this is the receiver's simulated latency, not a wait of the
 * benchmark's). It counts its calls and the time they took, so that a drain can tell the parking's real cost on a busy
 * machine from the nominal latency.
 */
final class Receiver {

    private final Duration latency;

    private final LongAdder calls = new LongAdder();

    private final LongAdder nanos = new LongAdder();

    Receiver(Duration latency) {
        this.latency = latency;
    }

    Duration latency() {
        return this.latency;
    }

    MessagePublisher publisher() {
        return MessagePublisher.of(Backlog.DESTINATION, (message) -> receive());
    }

    void receive() {
        this.calls.increment();
        if (this.latency.isZero()) {
            return;
        }
        long start = System.nanoTime();
        long end = start + this.latency.toNanos();
        for (long left = this.latency.toNanos(); left > 0; left = end - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
        this.nanos.add(System.nanoTime() - start);
    }

    /**
     * Returns how many messages it received.
     * @return the calls
     */
    long calls() {
        return this.calls.sum();
    }

    /**
     * Returns the mean time a call took, in milliseconds; 0 for a receiver answering at once.
     * @return the mean
     */
    double meanMillis() {
        long calls = this.calls.sum();
        return (calls == 0 || this.latency.isZero()) ? 0 : this.nanos.sum() / 1e6 / calls;
    }
}
