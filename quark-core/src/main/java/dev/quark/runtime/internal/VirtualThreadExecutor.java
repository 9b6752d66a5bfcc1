package dev.quark.runtime.internal;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

/**
 * The default turn executor: runs each task on a virtual thread, handing it to a thread that finished its
 * previous task and waits for another when there is one, and starting a new thread otherwise.
 * <p>
 * An activation gets a thread each time it goes from idle to busy, which under a spread-out load is once
 * per message. Handing a task to a waiting thread costs one unpark; starting a thread also allocates it
 * and registers it with the JDK's thread tracking, several times the cost. Waiting threads park without a
 * timeout (a timed park arms a timer each time) and at most {@code maxIdle} of them wait: a thread that
 * finds that many waiting ends instead. A parked virtual thread costs about a kilobyte of heap.
 * <p>
 * Tasks never wait for a thread: {@link LinkedTransferQueue#tryTransfer(Object)} hands a task over only to
 * a thread already waiting, so a task whose turn blocks for long never holds up another one.
 * Thread-locals that actor code sets may be seen by later tasks on the same thread, as in any pool.
 */
public final class VirtualThreadExecutor implements Executor, AutoCloseable {

    @SuppressWarnings("UnnecessaryLambda") // a sentinel, told apart by identity
    private static final Runnable STOP = () -> {
    };

    private final ThreadFactory threads;

    private final int maxIdle;

    private final LinkedTransferQueue<Runnable> handOff = new LinkedTransferQueue<>();

    private final AtomicInteger idle = new AtomicInteger();

    private volatile boolean closed;

    /**
     * Creates the executor.
     * @param name the name of its threads
     * @param maxIdle how many threads may wait for a task
     */
    public VirtualThreadExecutor(String name, int maxIdle) {
        this.threads = Thread.ofVirtual().name(name).factory();
        this.maxIdle = maxIdle;
    }

    @Override
    public void execute(Runnable task) {
        if (!this.handOff.tryTransfer(task)) {
            this.threads.newThread(() -> work(task)).start();
        }
    }

    private void work(Runnable first) {
        Runnable task = first;
        while (task != null) {
            try {
                task.run();
            }
            catch (Throwable ex) {
                Thread current = Thread.currentThread();
                current.getUncaughtExceptionHandler().uncaughtException(current, ex);
            }
            task = awaitNext();
        }
    }

    @SuppressWarnings("ReferenceEquality") // STOP is a sentinel, told apart by identity
    private @Nullable Runnable awaitNext() {
        if (this.closed || this.idle.incrementAndGet() > this.maxIdle) {
            this.idle.decrementAndGet();
            return null;
        }
        try {
            Runnable next = this.handOff.take();
            return (next != STOP) ? next : null;
        }
        catch (InterruptedException ex) {
            return null;
        }
        finally {
            this.idle.decrementAndGet();
        }
    }

    /**
     * Ends the waiting threads; tasks executed afterwards each get a new thread.
     */
    @Override
    public void close() {
        this.closed = true;
        for (int i = 0; i < this.maxIdle; i++) {
            this.handOff.offer(STOP);
        }
    }

    /** Returns how many threads wait for a task, for tests. */
    int idleThreads() {
        return this.idle.get();
    }
}
