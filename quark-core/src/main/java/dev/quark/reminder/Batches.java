package dev.quark.reminder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Hands items from any thread to one handler that takes them in batches: an item added while no batch is being
 * handled starts one task on the executor, which handles whatever came meanwhile, batch after batch, until none is
 * left. The reminders' tick ends go through one: the manager's lock is then taken once per batch, not once per tick,
 * and one task runs per burst of ends instead of one thread per end.
 * <p>
 * The adding thread never runs the handler (unless the executor runs tasks inline), so a tick ending on an actor's
 * turn thread or a transport's does not wait for the manager's lock.
 *
 * @param <T> the items
 */
final class Batches<T> {

    private final ConcurrentLinkedQueue<T> items = new ConcurrentLinkedQueue<>();

    private final AtomicBoolean handling = new AtomicBoolean();

    private final Executor executor;

    private final int maxBatch;

    private final Consumer<List<T>> handler;

    /**
     * @param executor where the handler runs
     * @param maxBatch the most items handed over at once
     * @param handler handles one batch; what it throws is the executor's to report, and the items after it are
     * still handled
     */
    Batches(Executor executor, int maxBatch, Consumer<List<T>> handler) {
        this.executor = executor;
        this.maxBatch = maxBatch;
        this.handler = handler;
    }

    void add(T item) {
        this.items.add(item);
        if (this.handling.compareAndSet(false, true)) {
            this.executor.execute(this::handle);
        }
    }

    private void handle() {
        while (true) {
            List<T> batch = new ArrayList<>();
            T item;
            while (batch.size() < this.maxBatch && (item = this.items.poll()) != null) {
                batch.add(item);
            }
            if (batch.isEmpty()) {
                this.handling.set(false);
                // An item added between the last poll and the flag's reset found the flag still set.
                if (this.items.isEmpty() || !this.handling.compareAndSet(false, true)) {
                    return;
                }
                continue;
            }
            try {
                this.handler.accept(batch);
            }
            catch (RuntimeException | Error ex) {
                // Whatever the handler throws, the items behind it are handed on by a task of their own: a flag left
                // set here would leave every later item unhandled.
                this.handling.set(false);
                if (!this.items.isEmpty() && this.handling.compareAndSet(false, true)) {
                    this.executor.execute(this::handle);
                }
                throw ex;
            }
        }
    }
}
