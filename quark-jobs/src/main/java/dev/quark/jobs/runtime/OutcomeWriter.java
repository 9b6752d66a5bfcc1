package dev.quark.jobs.runtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import dev.quark.jobs.JobId;
import dev.quark.jobs.store.JobOutcome;
import dev.quark.jobs.store.JobStore;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the outcomes of the attempts of one node to the {@link JobStore}, those that end while a write is in flight
 * together in the next write ({@link JobStore#finishAll}), so that a busy node writes its outcomes in batches rather
 * than one round trip each. A group commit: the first worker to arrive writes, the others wait in line; when its
 * write is done and its own outcome with it, the first worker still waiting writes the next batch, everyone waiting
 * then at most {@link #MAX_BATCH}. Each caller returns once its own outcome is written or refused. A batch whose write
 * fails (other than by refusing some outcomes for their leases) is written again one outcome at a time, so that an
 * outcome the database refuses fails alone, however many such outcomes follow each other; but
 * {@link #MAX_FAILURES_IN_A_ROW} single writes failing in a row because the store cannot be reached
 * ({@link ConnectionFailures}) stop that (each further write would wait out a connection timeout again): the outcomes
 * not tried fail with the last failure, logged at WARN with their count and jobs; their jobs stay {@code RUNNING} and
 * run again once their leases expire. A write that throws an {@link Error} still hands the lead on.
 */
final class OutcomeWriter {

    private static final Logger logger = LoggerFactory.getLogger(OutcomeWriter.class);

    /** The most outcomes one write carries. */
    static final int MAX_BATCH = 64;

    /**
     * How many single writes of a failed batch may fail in a row because the store cannot be reached before the others
     * are no longer tried: one may be a connection that broke, two in a row a store that is down. Writes the store
     * refuses (it answered) do not count: the next outcome is tried whatever.
     */
    static final int MAX_FAILURES_IN_A_ROW = 2;

    private final JobStore store;

    private final Object lock = new Object();

    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();

    private boolean writing;

    OutcomeWriter(JobStore store) {
        this.store = Objects.requireNonNull(store, "store must not be null");
    }

    /**
     * Writes an outcome, with those of other workers that wait meanwhile.
     * @param outcome the outcome
     * @return {@code null} once it is recorded; why not otherwise, such as a
     * {@link dev.quark.lease.LeaseLostException} when the job no longer runs under the outcome's lease
     */
    @Nullable RuntimeException write(JobOutcome outcome) {
        Pending mine = new Pending(outcome);
        boolean lead;
        synchronized (this.lock) {
            this.waiting.addLast(mine);
            lead = !this.writing;
            this.writing = true;
        }
        if (!lead) {
            // Not interruptible: the outcome is written whether the worker's thread is interrupted or not.
            mine.signal.join();
            if (mine.done) {
                return mine.failure;
            }
        }
        try {
            do {
                List<Pending> batch = new ArrayList<>();
                synchronized (this.lock) {
                    while (batch.size() < MAX_BATCH && !this.waiting.isEmpty()) {
                        batch.add(this.waiting.pollFirst());
                    }
                }
                writeBatch(batch);
            }
            while (!mine.done);
        }
        finally {
            // Also when the write threw an Error: the next in line leads, or no one writes any more.
            handOff();
        }
        return mine.failure;
    }

    private void handOff() {
        synchronized (this.lock) {
            Pending next = this.waiting.peekFirst();
            if (next == null) {
                this.writing = false;
            }
            else {
                next.signal.complete(null);
            }
        }
    }

    /**
     * Returns how many outcomes wait in line for the next write, for tests.
     */
    int waiting() {
        synchronized (this.lock) {
            return this.waiting.size();
        }
    }

    private void writeBatch(List<Pending> batch) {
        try {
            if (batch.size() == 1) {
                writeAlone(batch.get(0));
                return;
            }
            Map<JobId, RuntimeException> refused;
            try {
                refused = this.store.finishAll(batch.stream().map((pending) -> pending.outcome).toList());
            }
            catch (RuntimeException ex) {
                // One bad outcome (say a character the database refuses) must not fail the others: each alone.
                writeOneByOne(batch);
                return;
            }
            batch.forEach((pending) -> pending.finish(refused.get(pending.outcome.id())));
        }
        catch (Error err) {
            batch.forEach((pending) -> {
                if (!pending.done) {
                    pending.finish(new IllegalStateException("Writing outcomes failed", err));
                }
            });
            throw err;
        }
    }

    /**
     * Writes the outcomes of a failed batch one at a time, until {@link #MAX_FAILURES_IN_A_ROW} writes in a row failed
     * because the store could not be reached; the outcomes not tried then fail with the last failure.
     */
    private void writeOneByOne(List<Pending> batch) {
        int unreachableInARow = 0;
        @Nullable RuntimeException last = null;
        for (int i = 0; i < batch.size(); i++) {
            if (unreachableInARow >= MAX_FAILURES_IN_A_ROW && last != null) {
                notTried(batch.subList(i, batch.size()), last);
                return;
            }
            RuntimeException failure = writeAlone(batch.get(i));
            if (failure != null && ConnectionFailures.isConnectionFailure(failure)) {
                unreachableInARow++;
                last = failure;
            }
            else {
                // Written, refused for its lease or by the store: the store answered.
                unreachableInARow = 0;
            }
        }
    }

    private static void notTried(List<Pending> rest, RuntimeException failure) {
        List<JobId> jobs = rest.stream().map((pending) -> pending.outcome.id()).toList();
        logger.warn("Did not write the outcomes of {} jobs after {} writes in a row failed ({}): the store cannot be "
                + "reached; they stay RUNNING and run again once their leases expire: {}", jobs.size(),
                MAX_FAILURES_IN_A_ROW, failure, jobs);
        rest.forEach((pending) -> pending.finish(failure));
    }

    private @Nullable RuntimeException writeAlone(Pending pending) {
        JobOutcome outcome = pending.outcome;
        try {
            this.store.finish(outcome.id(), outcome.lease(), outcome.transition(), outcome.report(), outcome.now());
            pending.finish(null);
            return null;
        }
        catch (RuntimeException ex) {
            pending.finish(ex);
            return ex;
        }
    }

    /**
     * An outcome waiting in line: its {@link #signal} completes when it is written, or when its worker is to write
     * the next batch.
     */
    private static final class Pending {

        private final JobOutcome outcome;

        private final CompletableFuture<@Nullable Void> signal = new CompletableFuture<>();

        private volatile boolean done;

        private volatile @Nullable RuntimeException failure;

        Pending(JobOutcome outcome) {
            this.outcome = outcome;
        }

        void finish(@Nullable RuntimeException failure) {
            this.failure = failure;
            this.done = true;
            this.signal.complete(null);
        }
    }
}
