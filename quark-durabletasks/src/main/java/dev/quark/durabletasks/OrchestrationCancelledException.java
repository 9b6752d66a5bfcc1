package dev.quark.durabletasks;

import org.jspecify.annotations.Nullable;

/**
 * A client cancelled the orchestration instance ({@link DurableTaskClient#cancel}) while its code waited for this
 * task: every task that had not completed when the cancellation reached the history fails with this exception. The
 * code may catch it and compensate (new tasks run as usual); uncaught, the instance fails with it.
 */
public class OrchestrationCancelledException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param orchestration the orchestration's name
     * @param instanceId the instance
     * @param reason the reason the client gave, {@code null} for none
     */
    public OrchestrationCancelledException(String orchestration, String instanceId, @Nullable String reason) {
        super("Orchestration '" + orchestration + "' instance '" + instanceId + "' was cancelled: "
                + ((reason != null) ? reason : "no reason given"));
    }

    private OrchestrationCancelledException(String message, boolean crossedSilos) {
        super(message);
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @return the exception
     */
    public static OrchestrationCancelledException crossedSilos(String message) {
        return new OrchestrationCancelledException(message, true);
    }
}
