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

    private final String orchestration;

    private final String instanceId;

    private final Duration timeout;

    /**
     * Creates the exception.
     * @param orchestration the orchestration's name
     * @param instanceId the instance
     * @param timeout how long the step was allowed
     * @param where the orchestration thread's stack when the step was given up
     */
    public OrchestrationBlockedException(String orchestration, String instanceId, Duration timeout, String where) {
        this("Orchestration '" + orchestration + "' instance '" + instanceId + "' did not finish its step within "
                + timeout + ": its code blocks outside the OrchestrationContext (I/O, sleep, locks or a loop belong in "
                + "activities; waits in ctx.createTimer). It was at:\n" + where, orchestration, instanceId, timeout);
    }

    private OrchestrationBlockedException(String message, String orchestration, String instanceId, Duration timeout) {
        super(message);
        this.orchestration = orchestration;
        this.instanceId = instanceId;
        this.timeout = timeout;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param orchestration the field of that name
     * @param instanceId the field of that name
     * @param timeout the field of that name
     * @return the exception
     */
    public static OrchestrationBlockedException crossedSilos(String message, String orchestration, String instanceId,
            Duration timeout) {
        return new OrchestrationBlockedException(message, orchestration, instanceId, timeout);
    }

    /**
     * Returns the orchestration's name.
     * @return the name
     */
    public String getOrchestration() {
        return this.orchestration;
    }

    /**
     * Returns the instance.
     * @return the instance id
     */
    public String getInstanceId() {
        return this.instanceId;
    }

    /**
     * Returns how long the step was allowed.
     * @return the timeout
     */
    public Duration getTimeout() {
        return this.timeout;
    }
}
