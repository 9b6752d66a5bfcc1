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
 * <p>
 * Every outcome carries the number of the step it ends, and the code hands over at most one outcome per step: the
 * worker drops outcomes of earlier steps, so a stray outcome can never be taken for the end of a later step. Parked
 * code keeps waiting when its thread is interrupted (orchestration code may set its own interrupt flag): only a
 * release ends the wait, and the flag is set again when the code continues.
 */
final class Handoff {

    private final BlockingQueue<NumberedOutcome> outcomes = new LinkedBlockingQueue<>();

    private final BlockingQueue<Optional<Resumption>> resumptions = new LinkedBlockingQueue<>();

    private volatile boolean released;

    // the orchestration thread's side: the step it runs, and whether it handed that step's outcome over
    private int codeStep;

    private boolean handedOver;

    // the worker's side: the step it waits for
    private volatile int workerStep;

    // ---- the orchestration thread

    /**
     * Hands over how the step ended; the code has stopped. Nothing is handed over when the code already handed this
     * step's outcome over (it parked, was released and unwound).
     */
    void ended(StepOutcome outcome) {
        if (!this.handedOver) {
            this.handedOver = true;
            this.outcomes.add(new NumberedOutcome(this.codeStep, outcome));
        }
    }

    /**
     * Hands over {@link StepOutcome.Waiting} and parks until the next step or a release; an interrupt does not end
     * the wait (the interrupt flag is set again when the code continues).
     * @return the next step's events, or {@code null} when released: the code then unwinds
     */
    @Nullable Resumption park() {
        if (this.released) {
            return null;
        }
        ended(new StepOutcome.Waiting());
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    Resumption next = this.resumptions.take().orElse(null);
                    if (next != null) {
                        this.codeStep++;
                        this.handedOver = false;
                    }
                    return next;
                }
                catch (InterruptedException ex) {
                    interrupted = true;
                    if (this.released) {
                        return null;
                    }
                }
            }
        }
        finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- the worker

    /**
     * Waits for how the current step ended, dropping outcomes of earlier steps.
     * @return the outcome, or {@code null} when the code did not hand one over in time
     */
    @Nullable StepOutcome awaitOutcome(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (true) {
            NumberedOutcome outcome = this.outcomes.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (outcome == null) {
                return null;
            }
            if (outcome.step() == this.workerStep) {
                return outcome.outcome();
            }
        }
    }

    /**
     * Gives parked code its next step.
     */
    void resume(Resumption next) {
        this.workerStep++;
        this.resumptions.add(Optional.of(next));
    }

    /**
     * Releases parked code (or code that parks later): it unwinds with no further step.
     */
    void release() {
        this.released = true;
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

    private record NumberedOutcome(int step, StepOutcome outcome) {
    }
}
