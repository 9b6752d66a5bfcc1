package dev.quark.durabletasks.internal;

import java.util.ArrayList;
import java.util.List;

import dev.quark.durabletasks.DurableTask;
import org.jspecify.annotations.Nullable;

/**
 * A task of one orchestration step: completed or failed by the replay context as it reads the history, awaited
 * by the code. Composite tasks listen to their parts.
 *
 * @param <T> the result type
 */
class Task<T extends @Nullable Object> implements DurableTask<T> {

    private final ReplayContext context;

    private final List<Runnable> listeners = new ArrayList<>(1);

    private boolean done;

    private @Nullable T value;

    private @Nullable RuntimeException failure;

    Task(ReplayContext context) {
        this.context = context;
    }

    @Override
    @SuppressWarnings("NullAway") // a completed task has its value, null only where T admits it
    public T await() {
        this.context.awaitDone(this);
        RuntimeException failed = this.failure;
        if (failed != null) {
            throw failed;
        }
        return this.value;
    }

    @Override
    public boolean isDone() {
        return this.done;
    }

    @Override
    public boolean isFailed() {
        return this.failure != null;
    }

    @Nullable T value() {
        return this.value;
    }

    @Nullable RuntimeException failure() {
        return this.failure;
    }

    ReplayContext context() {
        return this.context;
    }

    void complete(@Nullable T value) {
        if (!this.done) {
            this.done = true;
            this.value = value;
            fire();
        }
    }

    void fail(RuntimeException failure) {
        if (!this.done) {
            this.done = true;
            this.failure = failure;
            fire();
        }
    }

    /**
     * Runs the listener when the task is done: now if it is, else once it is.
     */
    void whenDone(Runnable listener) {
        if (this.done) {
            listener.run();
        }
        else {
            this.listeners.add(listener);
        }
    }

    private void fire() {
        List<Runnable> toRun = List.copyOf(this.listeners);
        this.listeners.clear();
        toRun.forEach(Runnable::run);
    }
}
