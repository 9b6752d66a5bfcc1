package dev.quark.durabletasks.client;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Tells clients waiting in this process that an instance changed, so that they read it again at once instead of at
 * their next poll. A worker reports every step it records ({@code DurableTaskWorker.Builder#instanceListener}).
 */
public final class InstanceUpdates {

    private final ReentrantLock lock = new ReentrantLock();

    private final Condition changed = this.lock.newCondition();

    private long version;

    /**
     * Reports that an instance changed.
     * @param instanceId the instance
     */
    public void changed(String instanceId) {
        this.lock.lock();
        try {
            this.version++;
            this.changed.signalAll();
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Returns a number that grows with every change, for {@link #awaitChange}.
     * @return the current version
     */
    public long version() {
        this.lock.lock();
        try {
            return this.version;
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Waits until some instance changed after a version was read, at most for a time.
     * @param seen the version read before
     * @param timeout the longest wait
     * @throws InterruptedException when interrupted
     */
    public void awaitChange(long seen, Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        this.lock.lock();
        try {
            while (this.version == seen && nanos > 0) {
                nanos = this.changed.awaitNanos(nanos);
            }
        }
        finally {
            this.lock.unlock();
        }
    }
}
