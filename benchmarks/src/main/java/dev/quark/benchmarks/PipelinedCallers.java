package dev.quark.benchmarks;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import org.HdrHistogram.Recorder;
import org.jspecify.annotations.Nullable;

/**
 * Asynchronous callers, one call in flight each: a caller makes every next call from the completion
 * callback of the previous one until the deadline. The callbacks run on whichever thread completes the
 * call, the first calls on the thread that starts the callers; or, given caller threads, every call and
 * callback runs on one of those (as in an application whose callers live on a pool of platform threads).
 * Pekko's pipelined {@code ask} and Quark's {@code CompletableFuture} methods run through this same code.
 * <p>
 * A call whose future is already complete when its callback is attached would run the callback, and with
 * it the next call, on the caller's stack; such calls are made from a loop instead, so the stack stays flat
 * however often that happens.
 */
public final class PipelinedCallers {

    private final long deadlineNanos;

    private final Recorder latencies;

    private final Supplier<? extends CompletionStage<?>> call;

    private final @Nullable Executor callerThreads;

    private final LongAdder completed = new LongAdder();

    private final CountDownLatch done;

    private final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();

    private PipelinedCallers(int callers, long deadlineNanos, Recorder latencies,
            @Nullable Executor callerThreads, Supplier<? extends CompletionStage<?>> call) {
        this.deadlineNanos = deadlineNanos;
        this.latencies = latencies;
        this.callerThreads = callerThreads;
        this.call = call;
        this.done = new CountDownLatch(callers);
    }

    /**
     * Starts {@code callers} callers, waits until each has seen its last answer after the deadline, and
     * returns how many calls completed.
     * @param callerThreads where every call and callback runs; {@code null} to start the callers on the
     * current thread and run each callback where its call completes
     * @param call makes one call and returns its future
     * @param latencies where the nanoseconds of every call go
     * @param grace how long past the deadline the last answers may take
     */
    public static long run(int callers, long deadlineNanos, Recorder latencies, Duration grace,
            @Nullable Executor callerThreads, Supplier<? extends CompletionStage<?>> call)
            throws InterruptedException, TimeoutException {
        PipelinedCallers run = new PipelinedCallers(callers, deadlineNanos, latencies, callerThreads, call);
        for (int i = 0; i < callers; i++) {
            if (callerThreads != null) {
                callerThreads.execute(run::next);
            }
            else {
                run.next();
            }
        }
        if (!run.done.await(deadlineNanos - System.nanoTime() + grace.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new TimeoutException(run.done.getCount() + " callers had no answer " + grace + " after the deadline");
        }
        Throwable failure = run.failure.get();
        if (failure != null) {
            throw new IllegalStateException("A call failed", failure);
        }
        return run.completed.sum();
    }

    /**
     * Makes one caller's next calls until one of them is still pending, the deadline passes or a call fails,
     * also by throwing instead of returning a future.
     */
    private void next() {
        while (true) {
            long start = System.nanoTime();
            if (start >= this.deadlineNanos) {
                this.done.countDown();
                return;
            }
            Call pending = new Call(start);
            CompletionStage<?> answer;
            try {
                answer = this.call.get();
            }
            catch (RuntimeException ex) {
                this.failure.compareAndSet(null, ex);
                this.done.countDown();
                return;
            }
            if (this.callerThreads != null) {
                answer.whenCompleteAsync(pending::answered, this.callerThreads);
            }
            else {
                answer.whenComplete(pending::answered);
            }
            pending.attaching = false;
            if (!pending.answeredWhileAttaching) {
                return;
            }
            if (this.failure.get() != null) {
                this.done.countDown();
                return;
            }
        }
    }

    /**
     * One call in flight. Its callback tells apart running on the caller's stack while being attached (the
     * loop in {@link #next()} then makes the next call) from running later or elsewhere (it makes it itself);
     * the fields are read only by the thread that wrote them in the first case, so they need no fence.
     */
    private final class Call {

        private final long start;

        private final Thread caller = Thread.currentThread();

        private boolean attaching = true;

        private boolean answeredWhileAttaching;

        Call(long start) {
            this.start = start;
        }

        void answered(@Nullable Object value, @Nullable Throwable error) {
            PipelinedCallers callers = PipelinedCallers.this;
            if (error != null) {
                callers.failure.compareAndSet(null, error);
            }
            else {
                callers.latencies.recordValue(System.nanoTime() - this.start);
                callers.completed.increment();
            }
            if (this.attaching && Thread.currentThread() == this.caller) {
                this.answeredWhileAttaching = true;
            }
            else if (error != null) {
                callers.done.countDown();
            }
            else {
                callers.next();
            }
        }
    }
}
