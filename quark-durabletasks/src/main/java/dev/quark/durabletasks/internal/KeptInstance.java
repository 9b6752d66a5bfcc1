package dev.quark.durabletasks.internal;

import java.util.List;

import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.store.OrchestrationWorkItem;

/**
 * The code of a running instance parked after a step, with the history it has seen: the execution, the history's
 * length after the step and the events the step appended. It may continue the next step only if the store's history
 * is still exactly that one ({@link #isCurrentFor}); an instance another worker advanced, suspended, restarted or
 * replaced has another length, execution or last step, and is replayed instead.
 */
public final class KeptInstance {

    private final OrchestrationThread code;

    private final int execution;

    private final int historyLength;

    private final List<HistoryEvent> lastStep;

    KeptInstance(OrchestrationThread code, int execution, int historyLength, List<HistoryEvent> lastStep) {
        this.code = code;
        this.execution = execution;
        this.historyLength = historyLength;
        this.lastStep = List.copyOf(lastStep);
    }

    OrchestrationThread code() {
        return this.code;
    }

    /**
     * Whether the claimed instance's history is the one this code has seen, to the last event.
     */
    boolean isCurrentFor(OrchestrationWorkItem item) {
        List<HistoryEvent> history = item.history();
        if (item.instance().execution() != this.execution || history.size() != this.historyLength) {
            return false;
        }
        return history.subList(this.historyLength - this.lastStep.size(), this.historyLength).equals(this.lastStep);
    }

    /**
     * Releases the parked code: its thread unwinds and ends.
     */
    void release() {
        this.code.release();
    }

    /**
     * Waits for the released code's thread to end.
     */
    boolean awaitEnd(java.time.Duration timeout) throws InterruptedException {
        return this.code.awaitEnd(timeout);
    }

    String instanceId() {
        return this.code.context().instanceId();
    }

    /**
     * Returns whether the parked code's thread still runs; for tests.
     * @return whether it is alive
     */
    public boolean isAlive() {
        return this.code.isAlive();
    }
}
