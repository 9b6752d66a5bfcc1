package dev.quark.durabletasks;

import java.time.Duration;

/**
 * An orchestration step did not end in time: its code blocked outside the {@link OrchestrationContext} (I/O, a
 * sleep, a lock, a busy loop), which an orchestration must never do, since its steps replay on every worker. The
 * instance fails with this exception, whose message shows where the code was; move the blocking work into an
 * activity, and waits into {@link OrchestrationContext#createTimer}.
 */
public class OrchestrationBlockedException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param orchestration the orchestration's name
     * @param instanceId the instance
     * @param timeout how long the step was allowed
     * @param where the orchestration thread's stack when the step was given up
     */
    public OrchestrationBlockedException(String orchestration, String instanceId, Duration timeout, String where) {
        super("Orchestration '" + orchestration + "' instance '" + instanceId + "' did not finish its step within "
                + timeout + ": its code blocks outside the OrchestrationContext (I/O, sleep, locks or a loop belong in "
                + "activities; waits in ctx.createTimer). It was at:\n" + where);
    }
}
