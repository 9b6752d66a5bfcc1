package dev.quark.durabletasks.store.jdbc;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Writes the requests that arrive while a write is in flight together, in one statement: a group commit. A request
 * that finds no write in flight is written at once, alone, so that an idle store adds no wait; the requests that come
 * while it is written queue, and the first of them then writes them all (up to a batch's most) in one statement, and
 * so on. Each caller waits for its own result and gets it, or the exception of the write that carried it.
 * <p>
 * On PostgreSQL every statement that commits on its own waits for its WAL flush; a burst of activity completions
 * (a fan-out's calls ending together, the steps of many instances) then costs one flush per batch instead of one per
 * completion, and one statement's parse, plan and round trip. When a batch's statement fails, the thread that wrote
 * it writes its own request alone and puts the others back at the head of the queue for the next of them to write:
 * a request the database refuses ends up written alone and fails alone, and a thread's own trouble (an interrupt)
 * fails only its own request.
 * <p>
 * No thread of its own: the caller whose request heads the queue writes the batch, on its own thread, while the
 * others wait. Thread-safe.
 * @param <T> the requests
 * @param <R> their results
 */
final class GroupedWrites<T, R> {

    private final int maxBatch;

    private final Function<List<T>, List<R>> writeAll;

    private final Function<T, R> writeOne;

    private final Object lock = new Object();

    private final ArrayDeque<Pending<T, R>> queue = new ArrayDeque<>();

    private boolean writing;

    /**
     * Creates grouped writes.
     * @param maxBatch the most requests written in one statement
     * @param writeAll writes requests in one statement and returns their results in the same order
     * @param writeOne writes one request; for the requests of a batch whose statement failed
     */
    GroupedWrites(int maxBatch, Function<List<T>, List<R>> writeAll, Function<T, R> writeOne) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be positive, was " + maxBatch);
        }
        this.maxBatch = maxBatch;
        this.writeAll = Objects.requireNonNull(writeAll, "writeAll must not be null");
        this.writeOne = Objects.requireNonNull(writeOne, "writeOne must not be null");
    }

    /**
     * Writes a request, with the others that wait at the time, and returns its result.
     * @param request the request
     * @return its result
     */
    R write(T request) {
        Pending<T, R> mine = new Pending<>(request);
        boolean lead;
        synchronized (this.lock) {
            this.queue.add(mine);
            lead = !this.writing;
            this.writing = true;
        }
        if (!lead) {
            if (!(mine.turn.join() instanceof Lead)) {
                return mine.result();
            }
            // Asked to write the next batch, which starts with this request: its outcome comes anew.
            mine.turn = new CompletableFuture<>();
        }
        List<Pending<T, R>> batch = new ArrayList<>();
        try {
            synchronized (this.lock) {
                while (batch.size() < this.maxBatch && !this.queue.isEmpty()) {
                    batch.add(this.queue.poll());
                }
            }
            writeBatch(batch);
        }
        finally {
            Pending<T, R> next;
            synchronized (this.lock) {
                // Should this thread fail before writing (an Error), no request of its batch is left waiting; those
                // put back in the queue wait for the next writer.
                for (Pending<T, R> each : batch) {
                    if (!this.queue.contains(each)) {
                        each.turn.complete(new Failed(new IllegalStateException("The grouped write was not done")));
                    }
                }
                next = this.queue.peek();
                this.writing = next != null;
            }
            if (next != null) {
                next.turn.complete(Lead.INSTANCE);
            }
        }
        return mine.result();
    }

    /**
     * Returns how many requests wait for a write, not counting those being written; for tests.
     * @return the number of queued requests
     */
    int queued() {
        synchronized (this.lock) {
            return this.queue.size();
        }
    }

    private void writeBatch(List<Pending<T, R>> batch) {
        if (batch.size() == 1) {
            writeAlone(batch.get(0));
            return;
        }
        List<R> results;
        try {
            results = this.writeAll.apply(batch.stream().map(Pending::request).toList());
        }
        catch (RuntimeException ex) {
            // This thread writes its own request alone; the others go back to the head of the queue, and the next
            // of them writes them on its own thread: a failure of this thread (interrupted, say, which closes its
            // connection's socket) is not theirs.
            synchronized (this.lock) {
                for (int i = batch.size() - 1; i > 0; i--) {
                    this.queue.addFirst(batch.get(i));
                }
            }
            writeAlone(batch.get(0));
            return;
        }
        if (results.size() != batch.size()) {
            throw new IllegalStateException("A grouped write returned " + results.size() + " results for "
                    + batch.size() + " requests");
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).turn.complete(new Written<>(results.get(i)));
        }
    }

    private void writeAlone(Pending<T, R> pending) {
        try {
            pending.turn.complete(new Written<>(this.writeOne.apply(pending.request())));
        }
        catch (RuntimeException ex) {
            pending.turn.complete(new Failed(ex));
        }
    }

    /** What a waiting request is told: to write the next batch, or how its write went. */
    private sealed interface Turn permits Lead, Written, Failed {
    }

    private enum Lead implements Turn {
        INSTANCE
    }

    private record Written<R>(R result) implements Turn {
    }

    private record Failed(RuntimeException failure) implements Turn {
    }

    private static final class Pending<T, R> {

        private final T request;

        /** Told once; a request asked to lead gets a new one, which its own write completes. */
        private volatile CompletableFuture<Turn> turn = new CompletableFuture<>();

        Pending(T request) {
            this.request = request;
        }

        T request() {
            return this.request;
        }

        @SuppressWarnings("unchecked")
        R result() {
            Turn outcome = this.turn.join();
            if (outcome instanceof Failed failed) {
                throw failed.failure();
            }
            return (R) ((Written<?>) outcome).result();
        }
    }
}
