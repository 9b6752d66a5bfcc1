package dev.quark.durabletasks.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

import dev.quark.lease.LeaseKeeper;
import org.jspecify.annotations.Nullable;

/**
 * Watches the heartbeats of one activity attempt: when none came for the heartbeat timeout (on the worker's clock),
 * interrupts the attempt's thread, and the attempt counts as timed out whatever it returns.
 */
final class HeartbeatWatch {

    private final Thread thread;

    private final Duration timeout;

    private final Clock clock;

    private final LeaseKeeper.Scheduler scheduler;

    private Instant last;

    private LeaseKeeper.Scheduler.@Nullable Cancellable check;

    private boolean missed;

    private boolean stopped;

    HeartbeatWatch(Thread thread, Duration timeout, Clock clock, LeaseKeeper.Scheduler scheduler, Instant start) {
        this.thread = thread;
        this.timeout = timeout;
        this.clock = clock;
        this.scheduler = scheduler;
        this.last = start;
    }

    /**
     * Starts watching from the attempt's start.
     */
    synchronized void start() {
        schedule();
    }

    /**
     * Takes a heartbeat: the next one is due within the timeout from now.
     */
    synchronized void beat() {
        if (this.missed || this.stopped) {
            return;
        }
        this.last = this.clock.instant();
        LeaseKeeper.Scheduler.Cancellable previous = this.check;
        if (previous != null) {
            previous.cancel();
        }
        schedule();
    }

    /**
     * Stops watching, when the attempt has ended.
     */
    synchronized void stop() {
        this.stopped = true;
        LeaseKeeper.Scheduler.Cancellable previous = this.check;
        if (previous != null) {
            previous.cancel();
        }
    }

    /**
     * Returns whether a heartbeat was missed: the watch fired, or the attempt ended later than the timeout after the
     * last heartbeat.
     */
    synchronized boolean missed() {
        return this.missed || !this.clock.instant().isBefore(ActivityRunner.plus(this.last, this.timeout));
    }

    Duration timeout() {
        return this.timeout;
    }

    private void schedule() {
        Instant due = ActivityRunner.plus(this.last, this.timeout);
        this.check = ActivityRunner.schedulable(this.clock.instant(), due) ? this.scheduler.schedule(due, this::expire)
                : null;
    }

    private CompletableFuture<@Nullable Void> expire() {
        synchronized (this) {
            if (this.stopped || this.clock.instant().isBefore(ActivityRunner.plus(this.last, this.timeout))) {
                return CompletableFuture.completedFuture(null);
            }
            this.missed = true;
            // Under the lock: once stop() returned, the attempt's thread is never interrupted any more.
            this.thread.interrupt();
        }
        return CompletableFuture.completedFuture(null);
    }
}
