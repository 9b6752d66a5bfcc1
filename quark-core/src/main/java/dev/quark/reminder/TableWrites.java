package dev.quark.reminder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import dev.quark.runtime.RuntimeScheduler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the writes of fired ticks to the table in batches. One batch is sent at a time while the writes keep up;
 * writes submitted meanwhile wait and go together in the next, up to the batch size. So a quiet silo writes each
 * tick at once and a busy one writes many per round trip, without a timer that would delay the quiet one. When a
 * full batch waits while batches are in flight, another is sent beside them, up to {@value #MAX_IN_FLIGHT} at once,
 * so that the writes keep up with more ticks than one round trip at a time carries. A reminder has at most one
 * write in flight: its next write waits until the table answered the one before, so that writes of one reminder
 * never overtake each other. A write that replaces a waiting write of the same reminder takes its place: only the
 * latest is sent.
 * <p>
 * A batch that fails is kept and tried again after a pause, unless newer writes replaced its entries
 * meanwhile; while the table keeps failing, the ticks go on being fired from memory.
 */
final class TableWrites {

    private static final Logger logger = LoggerFactory.getLogger(TableWrites.class);

    /** Batches sent by one flushing thread before it hands over to a fresh task. */
    private static final int BATCHES_PER_TASK = 64;

    /** The most batches in flight at once. */
    static final int MAX_IN_FLIGHT = 4;

    private final ReminderTable table;

    private final int maxBatch;

    private final Executor executor;

    private final RuntimeScheduler scheduler;

    private final Clock clock;

    private final Duration retryDelay;

    // Guarded by this.

    private final LinkedHashMap<ReminderKey, Pending> pending = new LinkedHashMap<>();

    /** The tasks sending batches, at most {@value #MAX_IN_FLIGHT}. */
    private int flushers;

    /** The writes being sent, by reminder: at most one per reminder. */
    private final Map<ReminderKey, Pending> inFlight = new HashMap<>();

    private @Nullable Instant pausedUntil;

    private @Nullable CompletableFuture<Void> drained;

    private boolean closed;

    TableWrites(ReminderTable table, int maxBatch, Executor executor, RuntimeScheduler scheduler, Clock clock,
            Duration retryDelay) {
        this.table = table;
        this.maxBatch = maxBatch;
        this.executor = executor;
        this.scheduler = scheduler;
        this.clock = clock;
        this.retryDelay = retryDelay;
    }

    /**
     * Queues a write.
     * @param update the write
     * @param onApplied runs once the write is in the table (not when it fails, nor when a newer write of the
     * same reminder replaces it first)
     * @return a future completed once the first attempt to write it ended, either way, or once it was replaced;
     * at once while writes pause after a failure, and at once (the write dropped) once closed
     */
    CompletableFuture<Void> submit(ReminderUpdate update, Runnable onApplied) {
        Pending added = new Pending(update, onApplied, new CompletableFuture<>());
        Pending replaced;
        boolean start;
        boolean paused;
        synchronized (this) {
            if (this.closed) {
                // Dropped as close() drops what waits: nothing would ever attempt it, and its future must end.
                added.attempted().complete(null);
                return added.attempted();
            }
            replaced = this.pending.put(update.key(), added);
            start = startFlushing(false);
            paused = this.pausedUntil != null;
        }
        if (paused) {
            added.attempted().complete(null);
        }
        if (replaced != null) {
            replaced.attempted().complete(null);
        }
        if (start) {
            this.executor.execute(this::flush);
        }
        return added.attempted();
    }

    /**
     * Returns how many writes wait.
     */
    synchronized int pendingCount() {
        return this.pending.size();
    }

    /**
     * Returns the buckets of the writes that wait or are being sent.
     */
    synchronized List<Integer> pendingBuckets() {
        List<Integer> buckets = new ArrayList<>(this.pending.size() + this.inFlight.size());
        this.pending.keySet().forEach((key) -> buckets.add(key.bucket()));
        this.inFlight.keySet().forEach((key) -> buckets.add(key.bucket()));
        return buckets;
    }

    /**
     * Sends what waits, and waits for it up to a timeout.
     * @return whether nothing waited any more in time
     */
    boolean drain(Duration timeout) {
        CompletableFuture<Void> done;
        boolean start;
        synchronized (this) {
            if (this.pending.isEmpty() && this.flushers == 0) {
                return true;
            }
            this.pausedUntil = null;
            if (this.drained == null) {
                this.drained = new CompletableFuture<>();
            }
            done = this.drained;
            start = startFlushing(true);
        }
        if (start) {
            this.executor.execute(this::flush);
        }
        try {
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
        catch (Exception ex) {
            return false;
        }
    }

    /**
     * Stops sending: what still waits is dropped (the ticks it stood for are delivered again by whichever silo
     * fires them next). Call {@link #drain(Duration)} first.
     */
    synchronized void close() {
        this.closed = true;
        this.pending.values().forEach((dropped) -> dropped.attempted().complete(null));
        this.pending.clear();
    }

    /**
     * Called under the lock: whether the caller must start a flushing task. The first starts as soon as a write
     * waits; another only while a full batch waits beside those in flight, or to drain.
     */
    private boolean startFlushing(boolean draining) {
        if (this.closed || this.pending.isEmpty() || this.flushers >= MAX_IN_FLIGHT || paused()) {
            return false;
        }
        if (this.flushers > 0 && !draining && this.pending.size() < this.maxBatch) {
            return false;
        }
        this.flushers++;
        return true;
    }

    /** Called under the lock. */
    private boolean paused() {
        return this.pausedUntil != null && this.clock.instant().isBefore(this.pausedUntil);
    }

    private void flush() {
        List<Pending> sent = List.of();
        for (int round = 0; round < BATCHES_PER_TASK; round++) {
            List<Pending> batch = takeBatch(sent);
            if (batch.isEmpty()) {
                return;
            }
            if (!write(batch)) {
                return;
            }
            sent = batch;
        }
        List<Pending> last = sent;
        this.executor.execute(() -> {
            synchronized (this) {
                last.forEach((written) -> this.inFlight.remove(written.update().key(), written));
            }
            flush();
        });
    }

    /**
     * Takes the next batch: the oldest waiting writes of reminders with no write in flight. An empty batch ends the
     * calling flushing task.
     * @param sent the batch the calling task sent last, whose reminders no longer have a write in flight
     */
    private synchronized List<Pending> takeBatch(List<Pending> sent) {
        for (Pending written : sent) {
            this.inFlight.remove(written.update().key(), written);
        }
        List<Pending> batch = new ArrayList<>(Math.min(this.maxBatch, this.pending.size()));
        // Of several flushing tasks, only the last sends a batch that is not full: the others end instead, so that
        // parallel batches do not split what waits into small ones.
        boolean full = this.flushers == 1 || this.pending.size() >= this.maxBatch;
        if (!this.closed && !paused() && full) {
            Iterator<Pending> waiting = this.pending.values().iterator();
            while (batch.size() < this.maxBatch && waiting.hasNext()) {
                Pending next = waiting.next();
                if (!this.inFlight.containsKey(next.update().key())) {
                    batch.add(next);
                    waiting.remove();
                    this.inFlight.put(next.update().key(), next);
                }
            }
        }
        if (batch.isEmpty()) {
            this.flushers--;
            completeDrainedIfIdle();
        }
        return batch;
    }

    /** Called under the lock. */
    private void completeDrainedIfIdle() {
        if (this.flushers == 0 && this.drained != null && (this.pending.isEmpty() || this.closed)) {
            this.drained.complete(null);
            this.drained = null;
        }
    }

    /**
     * Writes a batch.
     * @return whether it was written; a failed batch is queued again and the flushing paused. So is a batch whose
     * table threw an {@link Error} (logged with its stack trace, not thrown on: no one above this task would catch
     * it): the bookkeeping of its writes (each reminder's write in flight, the flushing task) is given back whatever
     * the table throws, or the later writes of those reminders would never be sent
     */
    private boolean write(List<Pending> batch) {
        try {
            this.table.apply(batch.stream().map(Pending::update).toList());
        }
        catch (RuntimeException | Error ex) {
            if (ex instanceof Error) {
                logger.error("Could not write the next ticks of {} reminders to {}; trying again in {}", batch.size(),
                        this.table, this.retryDelay, ex);
            }
            else {
                logger.warn("Could not write the next ticks of {} reminders to {}; trying again in {}: {}",
                        batch.size(), this.table, this.retryDelay, ex.toString());
            }
            requeue(batch);
            batch.forEach((written) -> written.attempted().complete(null));
            return false;
        }
        for (Pending written : batch) {
            try {
                written.onApplied().run();
            }
            catch (RuntimeException | Error ex) {
                // Not thrown on: the batch's reminders would stay in flight and the flushing task counted for ever.
                logger.error("Could not record the write of the {}", written.update().key(), ex);
            }
            finally {
                written.attempted().complete(null);
            }
        }
        return true;
    }

    private void requeue(List<Pending> batch) {
        Instant resume = this.clock.instant().plus(this.retryDelay);
        synchronized (this) {
            try {
                batch.forEach((failed) -> this.inFlight.remove(failed.update().key(), failed));
                // In place, first in line, keeping a newer write of the same reminder: no copy of what waits, so an
                // Error while requeueing loses at most the failed writes, never the bookkeeping below.
                for (Pending failed : batch.reversed()) {
                    Pending newer = this.pending.get(failed.update().key());
                    this.pending.putFirst(failed.update().key(), (newer != null) ? newer
                            : new Pending(failed.update(), failed.onApplied(), new CompletableFuture<>()));
                }
                this.pausedUntil = resume;
            }
            finally {
                this.flushers--;
                completeDrainedIfIdle();
            }
        }
        this.scheduler.schedule(resume, () -> {
            boolean start;
            synchronized (this) {
                this.pausedUntil = null;
                start = startFlushing(this.drained != null);
            }
            if (start) {
                this.executor.execute(this::flush);
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    /**
     * A write waiting to be sent.
     *
     * @param update the write
     * @param onApplied runs once it is in the table
     * @param attempted completed once the first attempt to send it ended
     */
    private record Pending(ReminderUpdate update, Runnable onApplied, CompletableFuture<Void> attempted) {
    }
}
