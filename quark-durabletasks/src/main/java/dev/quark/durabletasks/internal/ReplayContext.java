package dev.quark.durabletasks.internal;

import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.random.RandomGenerator;

import dev.quark.durabletasks.Activity;
import dev.quark.durabletasks.ActivityOptions;
import dev.quark.durabletasks.DurableTask;
import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.EventTimeoutException;
import dev.quark.durabletasks.FailureDetails;
import dev.quark.durabletasks.NonDeterministicOrchestrationException;
import dev.quark.durabletasks.Orchestration;
import dev.quark.durabletasks.OrchestrationContext;
import dev.quark.durabletasks.OrchestrationDefinition;
import dev.quark.durabletasks.OrchestrationCancelledException;
import dev.quark.durabletasks.PayloadConversionException;
import dev.quark.durabletasks.RetryOptions;
import dev.quark.durabletasks.SubOrchestrationOptions;
import dev.quark.durabletasks.TaskFailedException;
import dev.quark.durabletasks.UnknownActivityException;
import dev.quark.durabletasks.UnknownOrchestrationException;
import dev.quark.durabletasks.history.ContinuedAsNew;
import dev.quark.durabletasks.history.EventRaised;
import dev.quark.durabletasks.history.ExecutionCancelRequested;
import dev.quark.durabletasks.history.ExecutionCompleted;
import dev.quark.durabletasks.history.ExecutionFailed;
import dev.quark.durabletasks.history.ExecutionResumed;
import dev.quark.durabletasks.history.ExecutionStarted;
import dev.quark.durabletasks.history.ExecutionSuspended;
import dev.quark.durabletasks.history.ExecutionTerminated;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.history.OrchestratorStarted;
import dev.quark.durabletasks.history.SubOrchestrationCompleted;
import dev.quark.durabletasks.history.SubOrchestrationCreated;
import dev.quark.durabletasks.history.SubOrchestrationFailed;
import dev.quark.durabletasks.history.TaskCompleted;
import dev.quark.durabletasks.history.TaskFailed;
import dev.quark.durabletasks.history.TaskScheduled;
import dev.quark.durabletasks.history.TimerCreated;
import dev.quark.durabletasks.history.TimerFired;
import dev.quark.durabletasks.history.VersionMarker;
import dev.quark.durabletasks.payload.PayloadConverter;
import org.jspecify.annotations.Nullable;

/**
 * The {@link OrchestrationContext} of one step: feeds the history (the recorded events, then the step's new ones) to
 * the code as it awaits tasks, matches the code's decisions with the recorded ones, and collects the new decisions.
 * <p>
 * Events are read lazily, one at a time, when the code awaits a task that is not done: so the code runs between
 * events exactly as it did when they first arrived. When the events run out, the step ends ({@link StepEnd}).
 * Decisions are matched by task number: a recorded {@code TaskScheduled}, {@code TimerCreated} or
 * {@code SubOrchestrationCreated} must find the same kind of decision, with the same name, under its number; and
 * when a step boundary ({@code OrchestratorStarted}) is read, every decision the code made before it must have been
 * matched, or the code made decisions the history does not have. A mismatch ends the step and fails the instance
 * with a {@link NonDeterministicOrchestrationException}.
 * <p>
 * Not thread-safe: only the thread running the code uses it, and that is checked.
 */
final class ReplayContext implements OrchestrationContext {

    private final String instanceId;

    private final String name;

    private final int execution;

    /**
     * The recorded events still to be replayed: emptied once the code reads past them (only their number, in
     * {@link #pastLength}, is used after that), so that code kept between steps does not hold a copy of its history.
     */
    private List<HistoryEvent> past;

    private int pastLength;

    private List<HistoryEvent> incoming;

    private final PayloadConverter converter;

    private final DurableTaskRegistry registry;

    private final Map<String, Integer> recordedVersions = new HashMap<>();

    private final Map<String, Integer> versions = new HashMap<>();

    /** The task ids of the timers recorded in the history this step replays. */
    private final Set<Integer> recordedTimers = new HashSet<>();

    private final Set<Integer> recordedActivities = new HashSet<>();

    private final TreeMap<Integer, Action> unmatched = new TreeMap<>();

    private final List<Action> decisions = new ArrayList<>();

    private final Map<Integer, Pending> open = new HashMap<>();

    private final Map<String, Deque<Waiter>> waiters = new HashMap<>();

    private final Map<String, Deque<Raised>> buffered = new HashMap<>();

    private @Nullable Thread owner;

    private int cursor;

    private int stepStart;

    private @Nullable Handoff handoff;

    private boolean replaying;

    private boolean reachedNewEvents;

    private int steps;

    private Instant currentTime = Instant.EPOCH;

    private int nextTaskId = 1;

    private int uuids;

    private @Nullable RandomGenerator random;

    private @Nullable ExecutionStarted started;

    private volatile boolean ended;

    private @Nullable NonDeterministicOrchestrationException divergence;

    private boolean continued;

    private @Nullable String continueInput;

    private @Nullable String customStatus;

    private boolean customStatusSet;

    private boolean cancelRequested;

    private final Map<String, QueryHandler> queryHandlers = new HashMap<>();

    ReplayContext(String instanceId, String name, int execution, List<HistoryEvent> past, List<HistoryEvent> incoming,
            PayloadConverter converter, DurableTaskRegistry registry) {
        this.instanceId = instanceId;
        this.name = name;
        this.execution = execution;
        this.past = List.copyOf(past);
        this.pastLength = this.past.size();
        this.incoming = List.copyOf(incoming);
        this.converter = converter;
        this.registry = registry;
        this.replaying = !this.past.isEmpty();
        for (HistoryEvent event : this.past) {
            if (event instanceof VersionMarker marker) {
                this.recordedVersions.putIfAbsent(marker.changeId(), marker.version());
            }
            if (event instanceof TimerCreated timer) {
                this.recordedTimers.add(timer.taskId());
            }
            if (event instanceof TaskScheduled scheduled) {
                this.recordedActivities.add(scheduled.taskId());
            }
        }
    }

    // ---- the step, driven by OrchestrationExecutor on the orchestration thread

    /**
     * Runs the code for this step and says how the step ended.
     */
    StepOutcome run(OrchestrationDefinition definition) {
        this.owner = Thread.currentThread();
        @Nullable Object output;
        try {
            readUntilStarted();
            ExecutionStarted start = this.started;
            if (start == null) {
                return new StepOutcome.Failed(new IllegalStateException("The history of orchestration instance '"
                        + this.instanceId + "' has no ExecutionStarted event"));
            }
            Object input;
            try {
                input = this.converter.read(start.input(), definition.inputType());
            }
            catch (RuntimeException ex) {
                return new StepOutcome.Failed(new PayloadConversionException(
                        "the input of orchestration '" + this.name + "' instance '" + this.instanceId + "'",
                        definition.inputType(), ex));
            }
            Orchestration<@Nullable Object, @Nullable Object> orchestration = definition.create();
            output = orchestration.run(this, input);
        }
        catch (StepEnd ex) {
            return endedOutcome();
        }
        catch (Throwable ex) {
            if (this.ended) {
                return endedOutcome();
            }
            verifyEndOfCode();
            NonDeterministicOrchestrationException divergence = this.divergence;
            return (divergence != null) ? new StepOutcome.Failed(divergence) : new StepOutcome.Failed(ex);
        }
        if (this.ended) {
            return endedOutcome();
        }
        verifyEndOfCode();
        NonDeterministicOrchestrationException divergence = this.divergence;
        if (divergence != null) {
            return new StepOutcome.Failed(divergence);
        }
        try {
            return new StepOutcome.Completed(this.converter.write(output));
        }
        catch (RuntimeException ex) {
            return new StepOutcome.Failed(new PayloadConversionException("the output of orchestration '" + this.name
                    + "' instance '" + this.instanceId + "'", (output != null) ? output.getClass() : Object.class, ex));
        }
    }

    private StepOutcome endedOutcome() {
        NonDeterministicOrchestrationException divergence = this.divergence;
        if (divergence != null) {
            return new StepOutcome.Failed(divergence);
        }
        if (this.continued) {
            return new StepOutcome.ContinuedAsNew(this.continueInput);
        }
        return new StepOutcome.Waiting();
    }

    /**
     * Returns the decisions the history does not have yet, in the order the code made them: the step's new work.
     */
    List<Action> newDecisions() {
        return this.decisions.stream()
            .filter((action) -> (action.taskId() < 0) || this.unmatched.containsKey(action.taskId()))
            .toList();
    }

    /**
     * Returns the external events nobody took: those kept for a later wait and those the step did not read.
     */
    List<EventRaised> eventsNotTaken() {
        List<EventRaised> events = new ArrayList<>();
        this.buffered.forEach((eventName, queue) -> queue
            .forEach((raised) -> events.add(new EventRaised(raised.timestamp(), eventName, raised.payload()))));
        for (int i = Math.max(0, this.cursor - this.pastLength); i < this.incoming.size(); i++) {
            if (this.incoming.get(i) instanceof EventRaised raised) {
                events.add(raised);
            }
        }
        return events;
    }

    /**
     * Returns how many events of the history were replayed in this step: none when the step continued code kept
     * from the step before.
     */
    int replayedEvents() {
        return Math.max(0, Math.min(this.cursor, this.pastLength) - this.stepStart);
    }

    /**
     * Lets the code wait for the next step instead of ending its step when the events run out: it hands
     * {@link StepOutcome.Waiting} over and parks until it is given the next step's events or released. Set before
     * the code runs.
     */
    void keepBetweenSteps(Handoff handoff) {
        this.handoff = handoff;
    }

    /**
     * Starts the next step of code that waited: the history is now the one the store holds (the events this context
     * read and the decisions of its steps, committed), and the step's new events follow it. The decisions made so
     * far are recorded, so none of them is new or unmatched any more. Called on the orchestration thread.
     */
    private void continueWith(Handoff.Resumption next) {
        // the code has read the whole history: only its length is needed, not a copy of it
        this.past = List.of();
        this.pastLength = next.history().size();
        this.incoming = List.copyOf(next.incoming());
        this.cursor = this.pastLength;
        this.stepStart = this.cursor;
        this.decisions.clear();
        this.unmatched.clear();
    }

    /**
     * Gives the step up from another thread (the step took too long): every later call on the context ends the step.
     */
    void abandon() {
        this.ended = true;
    }

    // ---- OrchestrationContext

    @Override
    public String instanceId() {
        return this.instanceId;
    }

    @Override
    public String name() {
        return this.name;
    }

    @Override
    public int execution() {
        return this.execution;
    }

    @Override
    public int orchestrationVersion() {
        requireCallable();
        ExecutionStarted start = this.started;
        return (start != null) ? start.version() : 0;
    }

    @Override
    public Instant currentTime() {
        requireCallable();
        return this.currentTime;
    }

    @Override
    public boolean isCancellationRequested() {
        requireCallable();
        return this.cancelRequested;
    }

    @Override
    public void setCustomStatus(@Nullable Object status) {
        requireCallable();
        String json;
        try {
            json = this.converter.write(status);
        }
        catch (RuntimeException ex) {
            throw new PayloadConversionException("the custom status of orchestration instance '" + this.instanceId + "'",
                    (status != null) ? status.getClass() : Object.class, ex);
        }
        this.customStatus = (json != null) ? json : "null";
        this.customStatusSet = true;
    }

    /**
     * Returns the custom status the code set in this step, as JSON ({@code null} written as {@code "null"}).
     * @return the status, or {@code null} when the code did not set it
     */
    @Nullable String customStatus() {
        return this.customStatusSet ? this.customStatus : null;
    }

    @Override
    public <A extends @Nullable Object> void setQueryHandler(String queryName, Class<A> argumentType,
            Function<A, ? extends @Nullable Object> handler) {
        Objects.requireNonNull(queryName, "name must not be null");
        Objects.requireNonNull(argumentType, "argumentType must not be null");
        Objects.requireNonNull(handler, "handler must not be null");
        if (queryName.isBlank()) {
            throw new IllegalArgumentException("A query's name must not be blank");
        }
        requireCallable();
        @SuppressWarnings("unchecked")
        Function<@Nullable Object, @Nullable Object> untyped = (Function<@Nullable Object, @Nullable Object>) handler;
        this.queryHandlers.put(queryName, new QueryHandler(argumentType, untyped));
    }

    /**
     * Returns the handler the code registered last for a query, once the code has stopped.
     */
    @Nullable QueryHandler queryHandler(String queryName) {
        return this.queryHandlers.get(queryName);
    }

    /**
     * Returns the names of the queries the code answers.
     */
    Set<String> queryNames() {
        return Set.copyOf(this.queryHandlers.keySet());
    }

    @Override
    public boolean isReplaying() {
        requireCallable();
        return this.replaying;
    }

    @Override
    public <T extends @Nullable Object> DurableTask<T> callActivity(String activityName, @Nullable Object input, Class<T> resultType,
            ActivityOptions options) {
        Objects.requireNonNull(resultType, "resultType must not be null");
        return scheduleActivity(activityName, input, resultType, options);
    }

    @Override
    public <I extends @Nullable Object, O extends @Nullable Object> DurableTask<O> callActivity(Class<? extends Activity<I, O>> type, @Nullable I input,
            ActivityOptions options) {
        Objects.requireNonNull(type, "type must not be null");
        String activityName = DurableTaskRegistry.nameOf(type);
        Type resultType = this.registry.activity(activityName)
            .map((definition) -> definition.outputType())
            .orElseGet(() -> this.converter.typeArguments(type, Activity.class)[1]);
        return scheduleActivity(activityName, input, resultType, options);
    }

    private <T extends @Nullable Object> DurableTask<T> scheduleActivity(String activityName, @Nullable Object input, Type resultType,
            ActivityOptions options) {
        requireCallable();
        Objects.requireNonNull(activityName, "name must not be null");
        Objects.requireNonNull(options, "options must not be null");
        if (this.registry.activity(activityName).isEmpty()) {
            throw new UnknownActivityException(activityName, this.registry.activityNames());
        }
        String json = write(input, "the input of activity '" + activityName + "'");
        if (!this.recordedActivities.contains(this.nextTaskId)) {
            requireBounded(activityName, options);
        }
        int taskId = this.nextTaskId++;
        decide(new Action.ScheduleActivity(taskId, activityName, json, options));
        Task<T> task = new Task<>(this);
        this.open.put(taskId, new Pending(task, resultType, "Activity", activityName));
        return task;
    }

    @Override
    public <T extends @Nullable Object> DurableTask<T> callSubOrchestration(String orchestrationName, @Nullable Object input,
            Class<T> resultType, SubOrchestrationOptions options) {
        Objects.requireNonNull(resultType, "resultType must not be null");
        Objects.requireNonNull(options, "options must not be null");
        return startSubOrchestration(orchestrationName, input, resultType, options);
    }

    @Override
    public <I extends @Nullable Object, O extends @Nullable Object> DurableTask<O> callSubOrchestration(Class<? extends Orchestration<I, O>> type, @Nullable I input) {
        Objects.requireNonNull(type, "type must not be null");
        String orchestrationName = DurableTaskRegistry.nameOf(type);
        Type resultType = this.registry.orchestration(orchestrationName)
            .map((definition) -> definition.outputType())
            .orElseGet(() -> this.converter.typeArguments(type, Orchestration.class)[1]);
        return startSubOrchestration(orchestrationName, input, resultType, SubOrchestrationOptions.DEFAULTS);
    }

    private <T extends @Nullable Object> DurableTask<T> startSubOrchestration(String orchestrationName, @Nullable Object input, Type resultType,
            SubOrchestrationOptions options) {
        String childInstanceId = options.instanceId();
        requireCallable();
        Objects.requireNonNull(orchestrationName, "name must not be null");
        if (this.registry.orchestration(orchestrationName).isEmpty()) {
            throw new UnknownOrchestrationException(orchestrationName, this.registry.orchestrationNames());
        }
        String json = write(input, "the input of orchestration '" + orchestrationName + "'");
        int taskId = this.nextTaskId++;
        String childId = (childInstanceId != null) ? InstanceIds.require(childInstanceId)
                : this.instanceId + ":" + this.execution + ":" + taskId;
        decide(new Action.StartSubOrchestration(taskId, orchestrationName, childId, json, options.parentClosePolicy()));
        Task<T> task = new Task<>(this);
        this.open.put(taskId, new Pending(task, resultType, "Sub-orchestration", orchestrationName));
        return task;
    }

    @Override
    public DurableTask<@Nullable Void> createTimer(Duration delay) {
        Objects.requireNonNull(delay, "delay must not be null");
        requireCallable();
        Duration wait = delay.isNegative() ? Duration.ZERO : delay;
        if (endsTooLate(wait) && !replaysRecordedTimer()) {
            throw new IllegalArgumentException("A durable timer of " + delay + " from " + this.currentTime
                    + " would fire after " + OrchestrationContext.LATEST_FIRE_AT
                    + ", the latest time a timer may fire at");
        }
        return createTimer(fireAtAfter(wait, "A durable timer of " + delay));
    }

    @Override
    public DurableTask<@Nullable Void> createTimer(Instant fireAt) {
        Objects.requireNonNull(fireAt, "fireAt must not be null");
        requireCallable();
        if (fireAt.isAfter(OrchestrationContext.LATEST_FIRE_AT) && !replaysRecordedTimer()) {
            throw new IllegalArgumentException("A durable timer cannot fire at " + fireAt + ": timers fire at "
                    + OrchestrationContext.LATEST_FIRE_AT + " at the latest");
        }
        int taskId = this.nextTaskId++;
        decide(new Action.CreateTimer(taskId, fireAt));
        Task<@Nullable Void> task = new Task<>(this);
        this.open.put(taskId, new Pending(task, Void.class, "Timer", "timer"));
        return task;
    }

    @Override
    public <T extends @Nullable Object> DurableTask<T> waitForExternalEvent(String eventName, Class<T> type) {
        return waitForEvent(eventName, type, null);
    }

    @Override
    public <T extends @Nullable Object> DurableTask<T> waitForExternalEvent(String eventName, Class<T> type, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout must not be null");
        return waitForEvent(eventName, type, timeout);
    }

    /**
     * Refuses an activity call whose timeouts or retry back-off, counted from now, would end after the latest instant
     * a timer may fire at: its attempts' deadlines and its retries' times could not be kept. Checked only for a call
     * the history has not recorded yet (older code recorded such calls, and their replay must not break).
     */
    private void requireBounded(String activityName, ActivityOptions options) {
        String what = " of activity '" + activityName + "'";
        requireBounded("The schedule-to-close timeout " + options.scheduleToCloseTimeout() + what,
                options.scheduleToCloseTimeout());
        requireBounded("The start-to-close timeout " + options.startToCloseTimeout() + what,
                options.startToCloseTimeout());
        requireBounded("The heartbeat timeout " + options.heartbeatTimeout() + what, options.heartbeatTimeout());
        RetryOptions retry = options.retry();
        if (retry.maxAttempts() > 1) {
            Duration longest = longestBackOff(retry);
            requireBounded("The retry back-off" + what + " (" + longest + " between attempts at the longest)",
                    longest);
        }
    }

    private void requireBounded(String what, @Nullable Duration wait) {
        if (wait != null && endsTooLate(wait)) {
            throw new IllegalArgumentException(what + " from " + this.currentTime + " would end after "
                    + OrchestrationContext.LATEST_FIRE_AT + ", the latest time a timer may fire at");
        }
    }

    /** The longest wait between two attempts: the back-off only grows or only shrinks from attempt to attempt. */
    private static Duration longestBackOff(RetryOptions retry) {
        try {
            Duration second = retry.delayBefore(2);
            Duration last = retry.delayBefore(retry.maxAttempts());
            return (second.compareTo(last) > 0) ? second : last;
        }
        catch (ArithmeticException ex) {
            return retry.maxDelay();
        }
    }

    /** Whether a wait from the current time would end after the latest instant a timer may fire at. */
    private boolean endsTooLate(Duration wait) {
        return wait.compareTo(Duration.between(this.currentTime, OrchestrationContext.LATEST_FIRE_AT)) > 0;
    }

    /**
     * Whether the timer the code creates now is already recorded in the history of this execution: older code
     * recorded timers after {@link OrchestrationContext#LATEST_FIRE_AT}, and their replay must not break.
     */
    private boolean replaysRecordedTimer() {
        return this.recordedTimers.contains(this.nextTaskId);
    }

    /** The current time plus a wait, refused naming the wait when it is past what an instant holds. */
    private Instant fireAtAfter(Duration wait, String what) {
        try {
            return this.currentTime.plus(wait);
        }
        catch (DateTimeException | ArithmeticException ex) {
            throw new IllegalArgumentException(what + " from " + this.currentTime + " would fire after "
                    + OrchestrationContext.LATEST_FIRE_AT + ", the latest time a timer may fire at", ex);
        }
    }

    private <T extends @Nullable Object> DurableTask<T> waitForEvent(String eventName, Class<T> type, @Nullable Duration timeout) {
        Objects.requireNonNull(eventName, "name must not be null");
        Objects.requireNonNull(type, "type must not be null");
        requireCallable();
        Task<T> task = new Task<>(this);
        Waiter waiter = new Waiter(eventName, type, task);
        Deque<Raised> kept = this.buffered.get(eventName);
        if (kept != null && !kept.isEmpty()) {
            deliver(waiter, kept.poll());
            return task;
        }
        if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
            task.fail(new EventTimeoutException(eventName, timeout));
            return task;
        }
        @Nullable Instant timeoutAt = null;
        if (timeout != null) {
            // Checked only now: a wait an event already answered creates no timer, and histories of such waits
            // with timeouts past the limit exist; neither does a timer already recorded break its replay.
            String what = "A timeout of " + timeout + " for the event '" + eventName + "'";
            if (endsTooLate(timeout) && !replaysRecordedTimer()) {
                throw new IllegalArgumentException(what + " from " + this.currentTime + " would end after "
                        + OrchestrationContext.LATEST_FIRE_AT + ", the latest time a timer may fire at");
            }
            timeoutAt = fireAtAfter(timeout, what);
        }
        this.waiters.computeIfAbsent(eventName, (key) -> new ArrayDeque<>()).add(waiter);
        if (timeout != null && timeoutAt != null) {
            Task<?> timer = (Task<?>) createTimer(timeoutAt);
            timer.whenDone(() -> {
                if (!task.isDone()) {
                    Deque<Waiter> queue = this.waiters.get(eventName);
                    if (queue != null) {
                        queue.remove(waiter);
                    }
                    task.fail(new EventTimeoutException(eventName, timeout));
                }
            });
        }
        return task;
    }

    @Override
    public <T extends @Nullable Object> DurableTask<List<T>> allOf(List<? extends DurableTask<? extends T>> tasks) {
        Objects.requireNonNull(tasks, "tasks must not be null");
        requireCallable();
        List<Task<? extends T>> parts = new ArrayList<>(tasks.size());
        tasks.forEach((task) -> parts.add(own(task)));
        Task<List<T>> all = new Task<>(this);
        Runnable check = () -> {
            if (all.isDone()) {
                return;
            }
            List<T> results = new ArrayList<>(parts.size());
            for (Task<? extends T> part : parts) {
                RuntimeException failure = part.failure();
                if (failure != null) {
                    all.fail(failure);
                    return;
                }
                if (!part.isDone()) {
                    return;
                }
                results.add(part.value());
            }
            all.complete(results);
        };
        if (parts.isEmpty()) {
            all.complete(List.of());
        }
        parts.forEach((part) -> part.whenDone(check));
        return all;
    }

    @Override
    public DurableTask<DurableTask<?>> anyOf(List<? extends DurableTask<?>> tasks) {
        Objects.requireNonNull(tasks, "tasks must not be null");
        requireCallable();
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("anyOf needs at least one task");
        }
        Task<DurableTask<?>> any = new Task<>(this);
        for (DurableTask<?> task : tasks) {
            Task<?> part = own(task);
            part.whenDone(() -> any.complete(part));
        }
        return any;
    }

    @Override
    public UUID newUuid() {
        requireCallable();
        return UUID.nameUUIDFromBytes(
                (this.instanceId + "/" + this.execution + "/" + ++this.uuids).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public RandomGenerator random() {
        requireCallable();
        RandomGenerator generator = this.random;
        if (generator == null) {
            UUID seed = UUID.nameUUIDFromBytes(
                    (this.instanceId + "/" + this.execution + "/random").getBytes(StandardCharsets.UTF_8));
            generator = new SplittableRandom(seed.getMostSignificantBits() ^ seed.getLeastSignificantBits());
            this.random = generator;
        }
        return generator;
    }

    @Override
    public int getVersion(String changeId, int minSupported, int maxSupported) {
        Objects.requireNonNull(changeId, "changeId must not be null");
        requireCallable();
        if (minSupported > maxSupported) {
            throw new IllegalArgumentException("minSupported " + minSupported + " is greater than maxSupported "
                    + maxSupported + " for change '" + changeId + "'");
        }
        Integer version = this.versions.get(changeId);
        if (version == null) {
            version = this.recordedVersions.get(changeId);
            if (version == null) {
                version = this.replaying ? DEFAULT_VERSION : maxSupported;
                if (!this.replaying) {
                    decide(new Action.RecordVersion(changeId, maxSupported));
                }
            }
            this.versions.put(changeId, version);
        }
        if (version < minSupported || version > maxSupported) {
            throw diverge("change '" + changeId + "'", "version " + version + ((version == DEFAULT_VERSION)
                    ? " (the instance passed this point before getVersion was added)" : ""),
                    "supports versions " + minSupported + " to " + maxSupported);
        }
        return version;
    }

    @Override
    public void continueAsNew(@Nullable Object input) {
        requireCallable();
        this.continueInput = write(input, "the input of the next execution of orchestration '" + this.name + "'");
        this.continued = true;
        this.ended = true;
        throw new StepEnd();
    }

    // ---- reading events

    void awaitDone(Task<?> task) {
        requireCallable();
        if (task.context() != this) {
            throw new IllegalArgumentException("The task belongs to another orchestration step");
        }
        while (!task.isDone()) {
            if (!readNext()) {
                this.past = List.of();
                Handoff waiting = this.handoff;
                Handoff.Resumption next = (waiting != null) ? waiting.park() : null;
                if (next == null) {
                    this.ended = true;
                    throw new StepEnd();
                }
                continueWith(next);
            }
        }
    }

    private void readUntilStarted() {
        while (this.started == null && readNext()) {
            // the first events are the step boundary and the start
        }
    }

    private boolean readNext() {
        int sequence = this.cursor;
        HistoryEvent event;
        if (sequence < this.pastLength) {
            event = this.past.get(sequence);
        }
        else if (sequence - this.pastLength < this.incoming.size()) {
            event = this.incoming.get(sequence - this.pastLength);
            this.replaying = false;
            this.reachedNewEvents = true;
            this.past = List.of();
        }
        else {
            return false;
        }
        this.cursor++;
        read(event, sequence);
        return true;
    }

    private void read(HistoryEvent event, int sequence) {
        switch (event) {
            case OrchestratorStarted boundary -> {
                if (this.steps++ > 0) {
                    requireAllMatched(sequence);
                }
                this.currentTime = boundary.timestamp();
            }
            case ExecutionStarted start -> {
                if (this.started == null) {
                    this.started = start;
                }
            }
            case TaskScheduled scheduled -> match(scheduled.taskId(), scheduled, sequence,
                    "activity '" + scheduled.name() + "'");
            case TimerCreated timer -> match(timer.taskId(), timer, sequence, "a timer");
            case SubOrchestrationCreated created -> match(created.taskId(), created, sequence,
                    "sub-orchestration '" + created.name() + "'");
            case TaskCompleted completed -> complete(completed.taskId(), completed.result());
            case TaskFailed failed -> fail(failed.taskId(), failed.failure());
            case TimerFired fired -> complete(fired.taskId(), null);
            case SubOrchestrationCompleted completed -> complete(completed.taskId(), completed.result());
            case SubOrchestrationFailed failed -> fail(failed.taskId(), failed.failure());
            case EventRaised raised -> raise(raised);
            case VersionMarker marker -> {
                // read up front: a version is recorded where the code first asks for it
            }
            case ExecutionCompleted completed -> {
            }
            case ExecutionFailed failed -> {
            }
            case ExecutionTerminated terminated -> {
            }
            case ExecutionCancelRequested cancelled -> cancel(cancelled);
            case ExecutionSuspended suspended -> {
            }
            case ExecutionResumed resumed -> {
            }
            case ContinuedAsNew continued -> {
            }
        }
    }

    private void match(int taskId, HistoryEvent event, int sequence, String recorded) {
        String historySide = recorded + " (event " + sequence + ")";
        Action action = this.unmatched.get(taskId);
        if (action == null) {
            String codeSide = (taskId >= this.nextTaskId)
                    ? "has started only " + (this.nextTaskId - 1) + " tasks at this point"
                    : "started task " + taskId + " earlier";
            throw diverge("task " + taskId, historySide, codeSide);
        }
        if (!action.isRecordedBy(event)) {
            throw diverge("task " + taskId, historySide, "started " + action.describe());
        }
        this.unmatched.remove(taskId);
    }

    private void requireAllMatched(int sequence) {
        Map.Entry<Integer, Action> first = this.unmatched.firstEntry();
        if (first != null) {
            throw diverge("task " + first.getKey(), "no task " + first.getKey() + " before the step that starts at event "
                    + sequence, "started " + first.getValue().describe());
        }
    }

    private void complete(int taskId, @Nullable String result) {
        Pending pending = this.open.remove(taskId);
        if (pending == null) {
            return;
        }
        Object value;
        try {
            value = this.converter.read(result, pending.type());
        }
        catch (RuntimeException ex) {
            pending.task().fail(new PayloadConversionException("the result of " + pending.kind().toLowerCase(Locale.ROOT)
                    + " '" + pending.name() + "' (task " + taskId + ")", pending.type(), ex));
            return;
        }
        pending.complete(value);
    }

    private void fail(int taskId, FailureDetails failure) {
        Pending pending = this.open.remove(taskId);
        if (pending != null) {
            pending.task().fail(new TaskFailedException(pending.kind(), pending.name(), taskId, failure));
        }
    }

    /**
     * Takes a cancellation request: from here on the code sees it, and every task it waited for that is not done
     * fails: event waits in order of their names, then tasks in task order.
     */
    private void cancel(ExecutionCancelRequested request) {
        if (this.cancelRequested) {
            return;
        }
        this.cancelRequested = true;
        // Event waits first: a wait with a timeout must fail as cancelled, not time out when its timer fails.
        List<Waiter> waiting = new ArrayList<>();
        new TreeMap<>(this.waiters).values().forEach(waiting::addAll);
        this.waiters.clear();
        waiting.forEach((waiter) -> waiter.task().fail(new OrchestrationCancelledException(this.name, this.instanceId,
                request.reason())));
        List<Pending> pending = new TreeMap<>(this.open).values().stream().toList();
        this.open.clear();
        pending.forEach((task) -> task.task().fail(new OrchestrationCancelledException(this.name, this.instanceId,
                request.reason())));
    }

    private void raise(EventRaised raised) {
        Deque<Waiter> queue = this.waiters.get(raised.name());
        Waiter waiter = (queue != null) ? queue.poll() : null;
        Raised event = new Raised(raised.timestamp(), raised.payload());
        if (waiter != null) {
            deliver(waiter, event);
        }
        else {
            this.buffered.computeIfAbsent(raised.name(), (key) -> new ArrayDeque<>()).add(event);
        }
    }

    private void deliver(Waiter waiter, Raised event) {
        Object value;
        try {
            value = this.converter.read(event.payload(), waiter.type());
        }
        catch (RuntimeException ex) {
            waiter.task().fail(new PayloadConversionException("the payload of event '" + waiter.name() + "'",
                    waiter.type(), ex));
            return;
        }
        waiter.complete(value);
    }

    /**
     * Called when the code returned or threw: the rest of the recorded history must not hold decisions the code
     * did not make, and every decision the code made before the new events must be recorded.
     */
    private void verifyEndOfCode() {
        try {
            while (this.cursor < this.pastLength) {
                readNext();
            }
            if (!this.reachedNewEvents) {
                requireAllMatched(this.pastLength);
            }
        }
        catch (StepEnd ex) {
            // the divergence is recorded
        }
    }

    // ---- helpers

    private void decide(Action action) {
        this.decisions.add(action);
        if (action.taskId() >= 0) {
            this.unmatched.put(action.taskId(), action);
        }
    }

    private <T extends @Nullable Object> Task<T> own(DurableTask<T> task) {
        if (!(task instanceof Task<T> owned) || owned.context() != this) {
            throw new IllegalArgumentException("Only tasks of this orchestration step can be combined, not " + task);
        }
        return owned;
    }

    private @Nullable String write(@Nullable Object value, String what) {
        try {
            return this.converter.write(value);
        }
        catch (RuntimeException ex) {
            throw new PayloadConversionException(what, (value != null) ? value.getClass() : Object.class, ex);
        }
    }

    private StepEnd diverge(String step, String historySide, String codeSide) {
        if (this.divergence == null) {
            this.divergence = new NonDeterministicOrchestrationException(this.name, this.instanceId, step, historySide,
                    codeSide);
        }
        this.ended = true;
        return new StepEnd();
    }

    private void requireCallable() {
        if (Thread.currentThread() != this.owner) {
            throw new IllegalStateException("The OrchestrationContext of instance '" + this.instanceId
                    + "' is used from thread '" + Thread.currentThread().getName()
                    + "': use it only on the thread that runs the orchestration");
        }
        if (this.ended) {
            throw new StepEnd();
        }
    }

    /**
     * A task waiting for a result from the history.
     */
    /**
     * A query handler with the type its argument is read as.
     */
    record QueryHandler(Type argumentType, Function<@Nullable Object, @Nullable Object> handler) {
    }

    private record Pending(Task<?> task, Type type, String kind, String name) {

        @SuppressWarnings("unchecked")
        void complete(@Nullable Object value) {
            ((Task<@Nullable Object>) this.task).complete(value);
        }
    }

    /**
     * A code waiting for an external event.
     */
    private record Waiter(String name, Type type, Task<?> task) {

        @SuppressWarnings("unchecked")
        void complete(@Nullable Object value) {
            ((Task<@Nullable Object>) this.task).complete(value);
        }
    }

    /**
     * An external event nobody waited for yet.
     */
    private record Raised(Instant timestamp, @Nullable String payload) {
    }
}
