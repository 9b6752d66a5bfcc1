package dev.quark.durabletasks.worker;

import java.time.Duration;

import dev.quark.durabletasks.OrchestrationStatus;

/**
 * Where a worker reports what it did; Spring Boot applications get a Micrometer implementation
 * ({@code quark.durabletasks.*} meters). Implementations are thread-safe and fast.
 */
public interface DurableTaskMetrics {

    /** Reports nothing. */
    DurableTaskMetrics NONE = new DurableTaskMetrics() {
    };

    /**
     * Called after an orchestration step was committed.
     * @param orchestration the orchestration's name
     * @param duration how long the step took, replay and commit included
     * @param replayedEvents how many recorded events the code was replayed through
     * @param status the instance's status after the step
     */
    default void stepCompleted(String orchestration, Duration duration, int replayedEvents, OrchestrationStatus status) {
    }

    /**
     * Called when a step looks for its instance among those the worker keeps between steps, and when a kept instance
     * is evicted.
     * @param event {@code hit} (the step continued the kept code), {@code miss} (the step replayed the history: the
     * instance was not kept, or another worker had advanced it) or {@code evicted}
     */
    default void instanceCache(String event) {
    }

    /**
     * Called after an activity attempt.
     * @param activity the activity's name
     * @param duration how long the attempt took
     * @param outcome {@code completed}, {@code failed} (for good) or {@code retried}
     */
    default void activityAttempted(String activity, Duration duration, String outcome) {
    }

    /**
     * Called when work could not be recorded because another worker took it over (a lost lease, a history appended
     * to by another worker).
     * @param kind {@code orchestration} or {@code activity}
     */
    default void workLost(String kind) {
    }
}
