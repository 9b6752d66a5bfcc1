package dev.quark.runtime.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The restarts of one child within its supervisor's window, kept for as long as the child is supervised,
 * so the limit holds across the child's own deactivations.
 */
final class RestartHistory {

    private final Deque<Instant> restarts = new ArrayDeque<>();

    /**
     * Records a restart if the limit allows it.
     * @return the number of the restart within the window, from 1, or {@code -1} when it would exceed
     * {@code maxRestarts}
     */
    synchronized int record(Instant now, int maxRestarts, Duration window) {
        Instant cutoff = now.minus(window);
        while (!this.restarts.isEmpty() && !this.restarts.peekFirst().isAfter(cutoff)) {
            this.restarts.pollFirst();
        }
        if (this.restarts.size() >= maxRestarts) {
            return -1;
        }
        this.restarts.addLast(now);
        return this.restarts.size();
    }
}
