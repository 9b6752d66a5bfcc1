package dev.quark.durabletasks.history;

import java.time.Instant;

/**
 * One event of an orchestration instance's history. Every decision the code made (tasks started, versions
 * recorded, the outcome) and every result it received is an event; replay feeds them back to the code.
 */
public sealed interface HistoryEvent
        permits OrchestratorStarted, ExecutionStarted, TaskScheduled, TaskCompleted, TaskFailed, TimerCreated, TimerFired, EventRaised, SubOrchestrationCreated, SubOrchestrationCompleted, SubOrchestrationFailed, VersionMarker, ExecutionCompleted, ExecutionFailed, ExecutionTerminated, ExecutionCancelRequested, ExecutionSuspended, ExecutionResumed, ContinuedAsNew {

    /**
     * Returns when the event was recorded, on the worker's clock.
     * @return the instant
     */
    Instant timestamp();
}
