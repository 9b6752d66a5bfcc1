package dev.quark.durabletasks;

/**
 * An activity or a sub-orchestration failed: what {@link DurableTask#await()} throws. The original exception ran on
 * another thread, maybe another machine, maybe before a restart, so it is described by its recorded
 * {@link FailureDetails} rather than rethrown.
 */
public class TaskFailedException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    private final String taskName;

    private final int taskId;

    private final FailureDetails failure;

    /**
     * Creates the exception.
     * @param kind what failed, for instance {@code activity}
     * @param taskName the activity's or orchestration's name
     * @param taskId the task's number in the execution
     * @param failure the recorded failure
     */
    public TaskFailedException(String kind, String taskName, int taskId, FailureDetails failure) {
        super(kind + " '" + taskName + "' (task " + taskId + ") failed: " + failure);
        this.taskName = taskName;
        this.taskId = taskId;
        this.failure = failure;
    }

    private TaskFailedException(String message, String taskName, int taskId, FailureDetails failure,
            boolean crossedSilos) {
        super(message);
        this.taskName = taskName;
        this.taskId = taskId;
        this.failure = failure;
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param taskName the field of that name
     * @param taskId the field of that name
     * @param failure the recorded failure as it arrived
     * @return the exception
     */
    public static TaskFailedException crossedSilos(String message, String taskName, int taskId,
            FailureDetails failure) {
        return new TaskFailedException(message, taskName, taskId, failure, true);
    }

    /**
     * Returns the name of the activity or orchestration that failed.
     * @return the name
     */
    public String getTaskName() {
        return this.taskName;
    }

    /**
     * Returns the task's number in its execution.
     * @return the task id
     */
    public int getTaskId() {
        return this.taskId;
    }

    /**
     * Returns the recorded failure.
     * @return the failure
     */
    public FailureDetails getFailure() {
        return this.failure;
    }
}
