package dev.quark.durabletasks;

import org.jspecify.annotations.Nullable;

/**
 * A task an orchestration started: an activity call, a timer, an external event, a sub-orchestration, or a
 * combination ({@link OrchestrationContext#allOf}, {@link OrchestrationContext#anyOf}). Not thread-safe: use it on
 * the orchestration's thread.
 *
 * @param <T> the result type
 */
public interface DurableTask<T extends @Nullable Object> {

    /**
     * Waits for the result. While the result is in the history this returns at once; otherwise the step ends here,
     * and the orchestration continues in a later step when the result arrives (replaying up to this call).
     * @return the result
     * @throws TaskFailedException when the activity or sub-orchestration failed
     * @throws EventTimeoutException when an external event did not arrive in time
     */
    T await();

    /**
     * Returns whether the task has completed or failed, as far as the history read so far says.
     * @return whether it is done
     */
    boolean isDone();

    /**
     * Returns whether the task has failed, as far as the history read so far says.
     * @return whether it failed
     */
    boolean isFailed();
}
