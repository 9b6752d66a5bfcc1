package dev.quark.durabletasks;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

import dev.quark.durabletasks.history.HistoryEvent;
import org.jspecify.annotations.Nullable;

/**
 * Schedules orchestration instances and manages them: raise events, read their state and history, wait for them,
 * terminate and purge them. A Spring Boot application gets one as a bean; it works from any node that reaches the
 * store, with or without a worker.
 * <pre>{@code
 * String id = client.schedule(OrderOrchestration.class, order, ScheduleOptions.instanceId("order-" + order.id()));
 * client.raiseEvent(id, "approved", new Approval("alice"));
 * OrchestrationState state = client.waitForCompletion(id, Duration.ofMinutes(1));
 * Receipt receipt = state.readOutput(Receipt.class);
 * }</pre>
 */
public interface DurableTaskClient {

    /**
     * Schedules an instance with a random id, starting now.
     * @param name the orchestration's name
     * @param input the input; may be {@code null}
     * @return the instance id
     * @throws UnknownOrchestrationException when no orchestration has the name
     * @throws PayloadConversionException when the input cannot be read as the orchestration's input type
     */
    default String schedule(String name, @Nullable Object input) {
        return schedule(name, input, ScheduleOptions.DEFAULTS);
    }

    /**
     * Schedules an instance. With an instance id that exists, the options' {@link InstanceIdReusePolicy} decides;
     * by default, for the same orchestration, nothing changes and the id is returned: scheduling is idempotent on the
     * id.
     * @param name the orchestration's name
     * @param input the input; may be {@code null}
     * @param options the instance id, the start time and the id reuse policy
     * @return the instance id
     * @throws UnknownOrchestrationException when no orchestration has the name
     * @throws PayloadConversionException when the input cannot be read as the orchestration's input type
     * @throws OrchestrationAlreadyExistsException when the id belongs to an instance of another orchestration, or to
     * one the policy keeps
     * @throws OrchestrationStateException when {@link InstanceIdReusePolicy#TERMINATE_IF_RUNNING} waited in vain for
     * the termination of the instance that has the id
     */
    String schedule(String name, @Nullable Object input, ScheduleOptions options);

    /**
     * Schedules an instance of an orchestration class with a random id, starting now.
     * @param <I> the input type
     * @param type the class, whose name is used
     * @param input the input; may be {@code null}
     * @return the instance id
     */
    default <I extends @Nullable Object> String schedule(Class<? extends Orchestration<I, ?>> type, @Nullable I input) {
        return schedule(DurableTaskRegistry.nameOf(type), input, ScheduleOptions.DEFAULTS);
    }

    /**
     * Schedules an instance of an orchestration class.
     * @param <I> the input type
     * @param type the class, whose name is used
     * @param input the input; may be {@code null}
     * @param options the instance id and the start time
     * @return the instance id
     */
    default <I extends @Nullable Object> String schedule(Class<? extends Orchestration<I, ?>> type, @Nullable I input, ScheduleOptions options) {
        return schedule(DurableTaskRegistry.nameOf(type), input, options);
    }

    /**
     * Raises an event to an instance; its code takes it with {@link OrchestrationContext#waitForExternalEvent}.
     * @param instanceId the instance
     * @param eventName the event's name
     * @param payload the payload; may be {@code null}
     * @throws OrchestrationNotFoundException when the instance does not exist
     * @throws OrchestrationStateException when the instance has finished (the event would be dropped)
     */
    void raiseEvent(String instanceId, String eventName, @Nullable Object payload);

    /**
     * Raises an event to an instance, scheduling it first when it does not exist (signal-with-start): an instance
     * with the id that has not finished gets the event; when none has the id, a new instance is scheduled and its
     * first step sees the event; a finished instance is replaced by a new one only under id reuse policy
     * {@link InstanceIdReusePolicy#ALLOW_IF_FINISHED} or {@link InstanceIdReusePolicy#TERMINATE_IF_RUNNING}.
     * @param name the orchestration's name
     * @param input the input of the instance if it is scheduled
     * @param options the instance id (required) and how it is scheduled
     * @param eventName the event's name
     * @param payload the event's payload; may be {@code null}
     * @return the instance id
     * @throws IllegalArgumentException when the options have no instance id or the event name is blank
     * @throws OrchestrationAlreadyExistsException when an instance of another orchestration has the id
     * @throws OrchestrationStateException when a finished instance has the id and the policy keeps it
     */
    String signalWithStart(String name, @Nullable Object input, ScheduleOptions options, String eventName,
            @Nullable Object payload);

    /**
     * Reads an instance's state.
     * @param instanceId the instance
     * @return the state, or empty when the instance does not exist
     */
    Optional<OrchestrationState> getState(String instanceId);

    /**
     * Reads the current execution's history.
     * @param instanceId the instance
     * @return the events, the one at index {@code i} having sequence number {@code i}
     * @throws OrchestrationNotFoundException when the instance does not exist
     */
    List<HistoryEvent> getHistory(String instanceId);

    /**
     * Asks an instance a read-only question its code answers ({@link OrchestrationContext#setQueryHandler}): the
     * current execution's history is replayed with the orchestration's code in this application (which must have it
     * registered), running nothing and writing nothing, and the handler's answer is returned. Works on running,
     * suspended and finished instances.
     * @param <R> the answer's type
     * @param instanceId the instance
     * @param queryName the query
     * @param argument the query's argument, {@code null} for none
     * @param resultType the type the answer is read as
     * @return the answer; {@code null} when the handler returned {@code null}
     * @throws OrchestrationNotFoundException when the instance does not exist
     * @throws OrchestrationStateException when the instance has not started yet
     * @throws UnknownOrchestrationException when this application does not have the instance's orchestration
     * @throws UnknownQueryException when the code registered no handler under the name
     * @throws NonDeterministicOrchestrationException when this code no longer matches the instance's history
     * @throws PayloadConversionException when the argument or the answer cannot be converted
     * @throws QueryFailedException when the handler throws
     */
    <R> @Nullable R query(String instanceId, String queryName, @Nullable Object argument, Class<R> resultType);

    /**
     * Waits until an instance has finished (completed, failed or terminated).
     * @param instanceId the instance
     * @param timeout how long to wait, in real time
     * @return the final state
     * @throws TimeoutException when the instance has not finished in time
     * @throws OrchestrationNotFoundException when the instance does not exist
     * @throws InterruptedException when the waiting thread is interrupted
     */
    OrchestrationState waitForCompletion(String instanceId, Duration timeout)
            throws TimeoutException, InterruptedException;

    /**
     * Terminates an instance: its code stops where it is, at its next step; activities already running finish and
     * their results are dropped. A parent orchestration sees its sub-orchestration fail.
     * @param instanceId the instance
     * @param reason why, recorded; may be {@code null}
     * @throws OrchestrationNotFoundException when the instance does not exist
     * @throws OrchestrationStateException when the instance has finished
     */
    void terminate(String instanceId, @Nullable String reason);

    /**
     * Asks an instance to cancel, cooperatively: at its next step an {@code ExecutionCancelRequested} event is
     * recorded, the tasks its code waits for fail with an {@link OrchestrationCancelledException} and
     * {@link OrchestrationContext#isCancellationRequested()} turns {@code true}, so that the code can compensate
     * (run activities that undo what was done) and return. Code that does not catch the exception fails with it. A
     * suspended instance takes the request when resumed. Unlike {@link #terminate}, the code keeps running.
     * @param instanceId the instance
     * @param reason why, recorded in the history; may be {@code null}
     * @throws OrchestrationNotFoundException when the instance does not exist
     * @throws OrchestrationStateException when it has finished
     */
    void cancel(String instanceId, @Nullable String reason);

    /**
     * Suspends an instance at its next step: until it is resumed or terminated no step runs, and events, timers and
     * activity results that arrive meanwhile wait (activities already running finish). Suspending a suspended instance
     * changes nothing.
     * @param instanceId the instance
     * @param reason why, recorded; may be {@code null}
     * @throws OrchestrationNotFoundException when the instance does not exist
     * @throws OrchestrationStateException when the instance has finished
     */
    void suspend(String instanceId, @Nullable String reason);

    /**
     * Resumes a suspended instance: what waited is taken at its next steps. Resuming an instance that is not
     * suspended changes nothing.
     * @param instanceId the instance
     * @param reason why, recorded; may be {@code null}
     * @throws OrchestrationNotFoundException when the instance does not exist
     * @throws OrchestrationStateException when the instance has finished
     */
    void resume(String instanceId, @Nullable String reason);

    /**
     * Deletes a finished instance with its history.
     * @param instanceId the instance
     * @return whether it was deleted; {@code false} when it does not exist
     * @throws OrchestrationStateException when the instance has not finished
     */
    boolean purge(String instanceId);

    /**
     * Lists instances by status, orchestration name and creation time, page by page: the next page is
     * {@code query.after(lastIdOfThisPage)}; a page shorter than the limit is the last.
     * @param query the filters and the page
     * @return the instances, by id
     */
    List<OrchestrationState> list(OrchestrationQuery query);
}
