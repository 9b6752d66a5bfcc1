package dev.quark.durabletasks;

/**
 * An orchestration's replay did not match its history: at some step the code did something else than what the
 * history recorded (another activity, another kind of task, tasks in another order, more or fewer tasks), usually
 * because the code changed while the instance was in flight, or because it is not deterministic (see
 * {@link Orchestration}). The instance fails with this exception; nothing of the diverging step is executed.
 * <p>
 * The message names the step and both sides, for instance: {@code Orchestration 'order' instance 'o-42' is not
 * deterministic at task 2: the history has activity 'charge-card' (event 7), the code called activity 'reserve'}.
 * Guard code changes with {@link OrchestrationContext#getVersion}.
 */
public class NonDeterministicOrchestrationException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    private final String instanceId;

    private final String step;

    private final String historySide;

    private final String codeSide;

    /**
     * Creates the exception.
     * @param orchestration the orchestration's name
     * @param instanceId the instance
     * @param step where the two sides differ, for instance {@code task 2}
     * @param historySide what the history recorded there
     * @param codeSide what the code did there
     */
    public NonDeterministicOrchestrationException(String orchestration, String instanceId, String step,
            String historySide, String codeSide) {
        super("Orchestration '" + orchestration + "' instance '" + instanceId + "' is not deterministic at " + step
                + ": the history has " + historySide + ", the code " + codeSide);
        this.instanceId = instanceId;
        this.step = step;
        this.historySide = historySide;
        this.codeSide = codeSide;
    }

    private NonDeterministicOrchestrationException(String message, String instanceId, String step,
            String historySide, String codeSide, boolean crossedSilos) {
        super(message);
        this.instanceId = instanceId;
        this.step = step;
        this.historySide = historySide;
        this.codeSide = codeSide;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param instanceId the field of that name
     * @param step the field of that name
     * @param historySide the field of that name
     * @param codeSide the field of that name
     * @return the exception
     */
    public static NonDeterministicOrchestrationException crossedSilos(String message, String instanceId, String step,
            String historySide, String codeSide) {
        return new NonDeterministicOrchestrationException(message, instanceId, step, historySide, codeSide, true);
    }

    /**
     * Returns the instance.
     * @return the instance id
     */
    public String getInstanceId() {
        return this.instanceId;
    }

    /**
     * Returns where the two sides differ.
     * @return for instance {@code task 2}
     */
    public String getStep() {
        return this.step;
    }

    /**
     * Returns what the history recorded at the step.
     * @return the history's side
     */
    public String getHistorySide() {
        return this.historySide;
    }

    /**
     * Returns what the code did at the step.
     * @return the code's side
     */
    public String getCodeSide() {
        return this.codeSide;
    }
}
