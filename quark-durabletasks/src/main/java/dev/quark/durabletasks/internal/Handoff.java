package dev.quark.durabletasks.internal;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.quark.durabletasks.history.HistoryEvent;
import org.jspecify.annotations.Nullable;

/**
 * Passes control between a worker and the thread of an orchestration's code: the code hands over how each step
 * ended, and code that waits for the next step parks until it is given that step's events or released. The queues
 * order every write on one side before the other side's read, so the worker reads the context's state after a step
 * and the code reads the next step's events safely.
 */
final class Handoff {

    private final BlockingQueue<StepOutcome> outcomes = new LinkedBlockingQueue<>();

    private final BlockingQueue<Optional<Resumption>> resumptions = new LinkedBlockingQueue<>();

    // ---- the orchestration thread

    /**
     * Hands over how the step ended; the code has stopped.
     */
    void ended(StepOutcome outcome) {
        this.outcomes.add(outcome);
    }

    /**
     * Hands over {@link StepOutcome.Waiting} and parks until the next step or a release.
     * @return the next step's events, or {@code null} when released (or interrupted): the code then unwinds
     */
    @Nullable Resumption park() {
        this.outcomes.add(new StepOutcome.Waiting());
        try {
            return this.resumptions.take().orElse(null);
        }
        catch (InterruptedException ex) {
            return null;
        }
    }

    // ---- the worker

    /**
     * Waits for how the step ended.
     * @return the outcome, or {@code null} when the code did not hand one over in time
     */
    @Nullable StepOutcome awaitOutcome(long timeout, TimeUnit unit) throws InterruptedException {
        return this.outcomes.poll(timeout, unit);
    }

    /**
     * Gives parked code its next step.
     */
    void resume(Resumption next) {
        this.resumptions.add(Optional.of(next));
    }

    /**
     * Releases parked code (or code that parks later): it unwinds with no further step.
     */
    void release() {
        this.resumptions.add(Optional.empty());
    }

    /**
     * The next step of parked code.
     *
     * @param history the history the store holds now
     * @param incoming the step's new events
     */
    record Resumption(List<HistoryEvent> history, List<HistoryEvent> incoming) {
    }
}
