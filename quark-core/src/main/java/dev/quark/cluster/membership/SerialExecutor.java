package dev.quark.cluster.membership;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a membership agent's jobs one at a time, in submission order, on a delegate executor, so that the
 * agent's state needs no locks. A job submitted while another runs — also from that job itself — is queued
 * and run by the same drain loop, never nested: with a direct delegate (tests), everything runs on the
 * submitting thread without recursion.
 */
final class SerialExecutor implements Executor {

    private static final Logger logger = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor delegate;

    private final Deque<Runnable> queue = new ArrayDeque<>();

    private boolean draining;

    SerialExecutor(Executor delegate) {
        this.delegate = delegate;
    }

    @Override
    public void execute(Runnable job) {
        synchronized (this.queue) {
            this.queue.add(job);
            if (this.draining) {
                return;
            }
            this.draining = true;
        }
        try {
            this.delegate.execute(this::drain);
        }
        catch (RuntimeException ex) {
            synchronized (this.queue) {
                this.queue.clear();
                this.draining = false;
            }
            throw ex;
        }
    }

    /**
     * Runs a job that returns a stage, and returns a future completed with that stage's outcome.
     * @param job the job
     * @param <T> the result type
     * @return the outcome of the stage the job returned, or the job's own failure
     */
    <T> CompletableFuture<T> call(Supplier<? extends CompletionStage<T>> job) {
        CompletableFuture<T> result = new CompletableFuture<>();
        execute(() -> {
            try {
                job.get().whenComplete((value, failure) -> {
                    if (failure != null) {
                        result.completeExceptionally(failure);
                    }
                    else {
                        result.complete(value);
                    }
                });
            }
            catch (RuntimeException ex) {
                result.completeExceptionally(ex);
            }
        });
        return result;
    }

    private void drain() {
        while (true) {
            Runnable next;
            synchronized (this.queue) {
                next = this.queue.poll();
                if (next == null) {
                    this.draining = false;
                    return;
                }
            }
            try {
                next.run();
            }
            catch (RuntimeException ex) {
                logger.error("Membership job failed", ex);
            }
        }
    }
}
