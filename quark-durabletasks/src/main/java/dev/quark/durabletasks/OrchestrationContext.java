package dev.quark.durabletasks;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

import org.jspecify.annotations.Nullable;

/**
 * An orchestration's only way to the outside world. Every method is deterministic on replay: the tasks it starts
 * are recorded in the instance's history the first time and matched with it on every replay, and time, random
 * numbers and UUIDs come from the history too.
 * <p>
 * Tasks are numbered in the order the code starts them (activities, timers, sub-orchestrations): a replay that
 * starts a different task at a number the history knows (another name or kind), or starts tasks the history does
 * not have before it moves on, fails the instance with a {@link NonDeterministicOrchestrationException}.
 * <p>
 * Use the context only on the thread that runs {@link Orchestration#run}; other threads get an
 * {@link IllegalStateException}.
 */
public interface OrchestrationContext {

    /**
     * Returns the instance's id.
     * @return the instance id
     */
    String instanceId();

    /**
     * Returns the orchestration's name.
     * @return the name
     */
    String name();

    /**
     * Returns the number of the current execution: 1, plus one for every {@link #continueAsNew}.
     * @return the execution number
     */
    int execution();

    /**
     * Returns the version of the orchestration's code this instance was scheduled with ({@link TaskName#version()},
     * recorded in its {@code ExecutionStarted}): the same on every replay and for every execution, whatever version
     * the code running now declares. It tells instances apart as a whole; {@link #getVersion} guards one change at a
     * point of the code.
     * @return the recorded version; 0 when none was declared, and for histories recorded before versions were
     */
    default int orchestrationVersion() {
        return 0;
    }

    /**
     * Returns the current time, deterministically: the instant the current step started, as recorded in the
     * history. Use it instead of the wall clock.
     * @return the current time
     */
    Instant currentTime();

    /**
     * Returns whether the code is replaying history, that is running through steps that already happened. Use it
     * to skip logging or metrics on replay; never to change what the code does.
     * @return whether the code is replaying
     */
    boolean isReplaying();

    /**
     * Calls an activity by name, with no retries and no timeouts.
     * @param <T> the result type
     * @param name the activity's name
     * @param input the input, written as JSON; may be {@code null}
     * @param resultType the type the result is read as
     * @return the task
     * @throws UnknownActivityException when no activity has this name on this worker
     */
    default <T extends @Nullable Object> DurableTask<T> callActivity(String name, @Nullable Object input, Class<T> resultType) {
        return callActivity(name, input, resultType, ActivityOptions.DEFAULTS);
    }

    /**
     * Calls an activity by name.
     * @param <T> the result type
     * @param name the activity's name
     * @param input the input, written as JSON; may be {@code null}
     * @param resultType the type the result is read as
     * @param options retries and timeouts
     * @return the task
     * @throws UnknownActivityException when no activity has this name on this worker
     */
    <T extends @Nullable Object> DurableTask<T> callActivity(String name, @Nullable Object input, Class<T> resultType, ActivityOptions options);

    /**
     * Calls an activity by its class, whose name is its {@link TaskName} or simple class name and whose result type
     * is its declared output type, with no retries and no timeouts.
     * @param <I> the input type
     * @param <O> the output type
     * @param type the activity's class
     * @param input the input; may be {@code null}
     * @return the task
     * @throws UnknownActivityException when no activity has this name on this worker
     */
    default <I extends @Nullable Object, O extends @Nullable Object> DurableTask<O> callActivity(Class<? extends Activity<I, O>> type, @Nullable I input) {
        return callActivity(type, input, ActivityOptions.DEFAULTS);
    }

    /**
     * Calls an activity by its class.
     * @param <I> the input type
     * @param <O> the output type
     * @param type the activity's class
     * @param input the input; may be {@code null}
     * @param options retries and timeouts
     * @return the task
     * @throws UnknownActivityException when no activity has this name on this worker
     */
    <I extends @Nullable Object, O extends @Nullable Object> DurableTask<O> callActivity(Class<? extends Activity<I, O>> type, @Nullable I input, ActivityOptions options);

    /**
     * Starts another orchestration as a child of this one and returns its output when it completes. Its instance id
     * is {@code <this instance id>:<execution>:<task id>}.
     * @param <T> the result type
     * @param name the orchestration's name
     * @param input the input; may be {@code null}
     * @param resultType the type the child's output is read as
     * @return the task; it fails with a {@link TaskFailedException} when the child fails or is terminated
     */
    default <T extends @Nullable Object> DurableTask<T> callSubOrchestration(String name, @Nullable Object input, Class<T> resultType) {
        return callSubOrchestration(name, input, resultType, SubOrchestrationOptions.DEFAULTS);
    }

    /**
     * Starts another orchestration as a child of this one, with an instance id of the caller's choice.
     * @param <T> the result type
     * @param name the orchestration's name
     * @param input the input; may be {@code null}
     * @param resultType the type the child's output is read as
     * @param instanceId the child's instance id, {@code null} for the default; an id that exists fails the task
     * @return the task
     */
    default <T extends @Nullable Object> DurableTask<T> callSubOrchestration(String name, @Nullable Object input,
            Class<T> resultType, @Nullable String instanceId) {
        return callSubOrchestration(name, input, resultType, SubOrchestrationOptions.DEFAULTS.withInstanceId(instanceId));
    }

    /**
     * Starts another orchestration as a child of this one, with options: its instance id and what happens to it
     * when this instance closes first ({@link ParentClosePolicy}, by default {@link ParentClosePolicy#TERMINATE}).
     * @param <T> the result type
     * @param name the orchestration's name
     * @param input the input; may be {@code null}
     * @param resultType the type the child's output is read as
     * @param options the instance id and the parent-close policy; an id that exists fails the task
     * @return the task
     */
    <T extends @Nullable Object> DurableTask<T> callSubOrchestration(String name, @Nullable Object input,
            Class<T> resultType, SubOrchestrationOptions options);

    /**
     * Starts another orchestration by its class as a child of this one.
     * @param <I> the input type
     * @param <O> the output type
     * @param type the orchestration's class
     * @param input the input; may be {@code null}
     * @return the task
     */
    <I extends @Nullable Object, O extends @Nullable Object> DurableTask<O> callSubOrchestration(Class<? extends Orchestration<I, O>> type, @Nullable I input);

    /**
     * The latest instant a durable timer may fire at (an event's timeout end there too), the end of the year 9999:
     * what every store can keep.
     */
    Instant LATEST_FIRE_AT = Instant.parse("9999-12-31T23:59:59Z");

    /**
     * Creates a durable timer: it survives restarts, and completes once the given time has passed on the worker's
     * clock (within the worker's poll interval).
     * @param delay how long from {@link #currentTime()}; zero or negative fires at the next step
     * @return the task, completing with {@code null}
     * @throws IllegalArgumentException naming the delay when it would fire after {@link #LATEST_FIRE_AT}; nothing
     * is recorded
     */
    DurableTask<@Nullable Void> createTimer(Duration delay);

    /**
     * Creates a durable timer that fires at an instant.
     * @param fireAt when the timer fires
     * @return the task, completing with {@code null}
     * @throws IllegalArgumentException naming the instant when it is after {@link #LATEST_FIRE_AT}; nothing is
     * recorded
     */
    DurableTask<@Nullable Void> createTimer(Instant fireAt);

    /**
     * Waits, without a time limit, for an event raised to this instance ({@link DurableTaskClient#raiseEvent}).
     * Events with the same name are delivered in the order they were recorded, each to one waiter; an event that
     * arrives while nobody waits for it is kept until the code waits for it.
     * @param <T> the payload type
     * @param name the event's name
     * @param type the type the payload is read as
     * @return the task, completing with the payload
     */
    <T extends @Nullable Object> DurableTask<T> waitForExternalEvent(String name, Class<T> type);

    /**
     * Waits for an event raised to this instance, at most for a time, measured by a durable timer.
     * @param <T> the payload type
     * @param name the event's name
     * @param type the type the payload is read as
     * @param timeout how long to wait; zero takes only an event already received
     * @return the task, completing with the payload, or failing with an {@link EventTimeoutException}
     * @throws IllegalArgumentException naming the timeout when it would end after {@link #LATEST_FIRE_AT}; nothing
     * is recorded
     */
    <T extends @Nullable Object> DurableTask<T> waitForExternalEvent(String name, Class<T> type, Duration timeout);

    /**
     * Returns a task that completes when all the tasks have completed (fan-in), with their results in the order of
     * the list, or fails as soon as one of them fails, with that failure.
     * @param <T> the result type
     * @param tasks the tasks
     * @return the task
     */
    <T extends @Nullable Object> DurableTask<List<T>> allOf(List<? extends DurableTask<? extends T>> tasks);

    /**
     * Returns a task that completes as soon as one of the tasks completes or fails, with that task.
     * @param tasks the tasks, at least one
     * @return the task
     */
    DurableTask<DurableTask<?>> anyOf(List<? extends DurableTask<?>> tasks);

    /**
     * Returns a UUID, the same on every replay: a name-based UUID of the instance, the execution and a counter.
     * @return the UUID
     */
    UUID newUuid();

    /**
     * Returns a random number generator seeded from the instance and the execution, so that the same calls yield the
     * same numbers on every replay.
     * @return the generator, the same object for the whole step
     */
    RandomGenerator random();

    /**
     * Returns which version of a change this instance runs, so that code can change while old instances are in
     * flight. The first time an instance passes the call it records {@code maxSupported} in its history and gets it
     * back; on replay it gets what it recorded, and an instance that passed this point before the call existed gets
     * {@link #DEFAULT_VERSION}.
     * <pre>{@code
     * int version = ctx.getVersion("add-fraud-check", DEFAULT_VERSION, 1);
     * if (version >= 1) {
     *     ctx.callActivity(FraudCheck.class, order).await();
     * }
     * }</pre>
     * When no instance runs an old version any more, raise {@code minSupported} and delete the old branch.
     * @param changeId names the change; one {@code getVersion} per change id
     * @param minSupported the oldest version the code still supports
     * @param maxSupported the newest version
     * @return the version, between {@code minSupported} and {@code maxSupported}
     * @throws NonDeterministicOrchestrationException (failing the instance) when the instance recorded a version
     * outside the range
     */
    int getVersion(String changeId, int minSupported, int maxSupported);

    /**
     * Ends this execution and starts a new one of the same instance with a new input and an empty history, for
     * orchestrations that loop forever (a history only grows). Events raised to the instance that this execution did
     * not take are delivered to the next. Does not return: the rest of the step is skipped.
     * @param input the next execution's input; may be {@code null}
     */
    void continueAsNew(@Nullable Object input);

    /**
     * Returns whether a client asked this instance to cancel ({@link DurableTaskClient#cancel}) at this point of its
     * history. When the request arrived, every task the code had started that was not done failed with an
     * {@link OrchestrationCancelledException}; the code may catch it, compensate with new tasks (they run as usual) and
     * return. Deterministic: on replay it turns {@code true} at the same point.
     * @return whether cancellation was requested
     */
    boolean isCancellationRequested();

    /**
     * Sets the instance's custom status, which clients read with {@link OrchestrationState#customStatus()}: progress
     * or a stage name, for instance. It is written with the step's outcome (not to the history); the last value set in
     * a step wins, and it stays until set again. Since the code is replayed on every step, setting it at the same point
     * on every replay gives the same value.
     * @param status the status, written with the payload converter; {@code null} clears it
     * @throws PayloadConversionException when the converter cannot write it
     */
    void setCustomStatus(@Nullable Object status);

    /**
     * Answers the read-only query {@code name} ({@link DurableTaskClient#query}) with what the handler returns for
     * the query's argument. A query replays the instance's current execution with this code, in the client's
     * application, running nothing (no activity, no timer) and writing nothing, then calls the handler registered
     * last under the name: register handlers at the start of the code and let them read the orchestration's fields.
     * A handler must not change anything nor use the context (that fails the query).
     * @param <A> the argument's type
     * @param name the query's name, not blank
     * @param argumentType the type the query's argument is read as
     * @param handler computes the answer, written with the payload converter
     */
    <A extends @Nullable Object> void setQueryHandler(String name, Class<A> argumentType,
            Function<A, ? extends @Nullable Object> handler);

    /**
     * Answers the read-only query {@code name}, which takes no argument, with what the handler returns (see
     * {@link #setQueryHandler(String, Class, Function)}).
     * @param name the query's name, not blank
     * @param handler computes the answer, written with the payload converter
     */
    default void setQueryHandler(String name, Supplier<? extends @Nullable Object> handler) {
        Objects.requireNonNull(handler, "handler must not be null");
        setQueryHandler(name, Object.class, (ignored) -> handler.get());
    }

    /** The version {@link #getVersion} returns for instances that passed the call before it existed. */
    int DEFAULT_VERSION = -1;
}
