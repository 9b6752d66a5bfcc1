package dev.quark.durabletasks.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.FailureDetails;
import dev.quark.durabletasks.HistoryLimitExceededException;
import dev.quark.durabletasks.NonDeterministicOrchestrationException;
import dev.quark.durabletasks.OrchestrationAlreadyExistsException;
import dev.quark.durabletasks.OrchestrationBlockedException;
import dev.quark.durabletasks.OrchestrationDefinition;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.PayloadConversionException;
import dev.quark.durabletasks.QueryFailedException;
import dev.quark.durabletasks.UnknownOrchestrationException;
import dev.quark.durabletasks.UnknownQueryException;
import dev.quark.durabletasks.history.ExecutionCancelRequested;
import dev.quark.durabletasks.history.ExecutionCompleted;
import dev.quark.durabletasks.history.ExecutionFailed;
import dev.quark.durabletasks.history.ExecutionResumed;
import dev.quark.durabletasks.history.ExecutionStarted;
import dev.quark.durabletasks.history.ExecutionSuspended;
import dev.quark.durabletasks.history.ExecutionTerminated;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.history.OrchestratorStarted;
import dev.quark.durabletasks.history.ParentInstance;
import dev.quark.durabletasks.history.SubOrchestrationCompleted;
import dev.quark.durabletasks.history.SubOrchestrationCreated;
import dev.quark.durabletasks.history.SubOrchestrationFailed;
import dev.quark.durabletasks.history.TimerFired;
import dev.quark.durabletasks.payload.PayloadConverter;
import dev.quark.durabletasks.store.ChildInstance;
import dev.quark.durabletasks.store.InstanceRecord;
import dev.quark.durabletasks.store.NewActivity;
import dev.quark.durabletasks.store.NewInstance;
import dev.quark.durabletasks.store.OrchestrationCommit;
import dev.quark.durabletasks.store.OrchestrationWorkItem;
import dev.quark.durabletasks.store.ReceivedMessage;
import dev.quark.durabletasks.store.TaskMessage;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one step of an orchestration instance and turns it into an {@link OrchestrationCommit}: takes the messages
 * visible now as the step's new events (after an {@code OrchestratorStarted} with the step's time), replays the code
 * through the history and the new events on a virtual thread of its own ({@link ReplayContext}), and records what the
 * step decided: new tasks, and the outcome when the code returned, threw, continued as new or diverged.
 * <p>
 * A termination message ends the instance without running its code. Messages for a finished instance, or for an
 * execution that is no longer current, are taken and dropped. The code gets {@code stepTimeout} of real time: a step
 * that takes longer is given up, and the instance fails with an {@link OrchestrationBlockedException} showing where
 * the code was.
 */
public final class OrchestrationExecutor {

    private static final Logger logger = LoggerFactory.getLogger(OrchestrationExecutor.class);

    private final DurableTaskRegistry registry;

    private final PayloadConverter converter;

    private final Duration stepTimeout;

    private final int historyWarnEvents;

    private final int historyMaxEvents;

    private final InstanceCache cache;

    /**
     * Creates an executor.
     * @param registry the orchestrations it can run
     * @param converter reads inputs and results, writes outputs
     * @param stepTimeout how long, in real time, the code may take for one step
     * @param historyWarnEvents the history length past which a warning is logged
     * @param historyMaxEvents the history length past which the instance fails
     */
    public OrchestrationExecutor(DurableTaskRegistry registry, PayloadConverter converter, Duration stepTimeout,
            int historyWarnEvents, int historyMaxEvents) {
        this(registry, converter, stepTimeout, historyWarnEvents, historyMaxEvents, InstanceCache.disabled());
    }

    /**
     * Creates an executor that keeps running instances between steps.
     * @param registry the orchestrations it can run
     * @param converter reads inputs and results, writes outputs
     * @param stepTimeout how long, in real time, the code may take for one step
     * @param historyWarnEvents the history length past which a warning is logged
     * @param historyMaxEvents the history length past which the instance fails
     * @param cache where running instances are kept between steps
     */
    public OrchestrationExecutor(DurableTaskRegistry registry, PayloadConverter converter, Duration stepTimeout,
            int historyWarnEvents, int historyMaxEvents, InstanceCache cache) {
        this.cache = cache;
        this.registry = registry;
        this.converter = converter;
        this.stepTimeout = stepTimeout;
        this.historyWarnEvents = historyWarnEvents;
        this.historyMaxEvents = historyMaxEvents;
    }

    /**
     * Runs a step.
     * @param item the claimed instance with its history and visible messages
     * @param now the worker's clock: the step's time
     * @return what to commit, or empty when there is nothing to do (no messages, or the instance has not started)
     */
    public Optional<StepResult> execute(OrchestrationWorkItem item, Instant now) {
        KeptInstance taken = this.cache.take(item.instance().instanceId());
        if (taken != null && !taken.isCurrentFor(item)) {
            logger.debug("Orchestration instance '{}' changed since this worker kept it; replaying it",
                    item.instance().instanceId());
            this.cache.release(taken);
            taken = null;
        }
        KeptInstance kept = taken;
        Optional<StepResult> result = Optional.empty();
        try {
            result = execute(item, kept, now).map((step) -> keepingUnchanged(step, kept));
            return result;
        }
        finally {
            if (kept != null && !result.map((step) -> step.keeps(kept)).orElse(false)) {
                // the step did not continue the kept code (a termination, a suspension), or it ended
                this.cache.release(kept);
            }
        }
    }

    /**
     * A step that only dropped messages leaves the history as the kept code has seen it: the code stays kept.
     */
    private static StepResult keepingUnchanged(StepResult step, @Nullable KeptInstance kept) {
        OrchestrationCommit commit = step.commit();
        if (kept == null || step.ranCode() || !commit.events().isEmpty() || commit.continueAsNew()
                || commit.status() != OrchestrationStatus.RUNNING) {
            return step;
        }
        return new StepResult(commit, step.orchestration(), step.replayedEvents(), false, kept);
    }

    /**
     * Keeps the code a step parked, now that the step is committed: its next step continues it.
     * @param result the committed step
     */
    public void committed(StepResult result) {
        KeptInstance kept = result.kept();
        if (kept != null) {
            this.cache.put(result.commit().instanceId(), kept);
        }
    }

    /**
     * Releases the code a step parked: the step was not committed, so the code has seen decisions the history does
     * not have.
     * @param result the step that was not committed
     */
    public void notCommitted(StepResult result) {
        KeptInstance kept = result.kept();
        if (kept != null) {
            this.cache.release(kept);
        }
    }

    /**
     * Releases every kept instance; the worker stops.
     */
    public void releaseKept() {
        this.cache.close();
    }

    private Optional<StepResult> execute(OrchestrationWorkItem item, @Nullable KeptInstance kept, Instant now) {
        InstanceRecord instance = item.instance();
        if (item.messages().isEmpty()) {
            return Optional.empty();
        }
        List<Long> consumed = item.messages().stream().map(ReceivedMessage::id).toList();
        if (instance.status().isFinal()) {
            logger.debug("Dropping {} messages for orchestration instance '{}', which is {}", consumed.size(),
                    instance.instanceId(), instance.status());
            return Optional.of(new StepResult(unchanged(item, consumed), instance.name(), 0, false));
        }
        List<ReceivedMessage> relevant = relevantMessages(item);
        List<Long> ignored = relevant.stream()
            .filter((message) -> !addressedHere(instance, message.message().event()))
            .map(ReceivedMessage::id)
            .toList();
        if (!ignored.isEmpty()) {
            logger.debug("Orchestration instance '{}' ignores {} closes of instances that are not its parent",
                    instance.instanceId(), ignored.size());
        }
        List<HistoryEvent> events = relevant.stream()
            .map((message) -> message.message().event())
            .filter((event) -> addressedHere(instance, event))
            .toList();
        if (events.isEmpty()) {
            logger.debug("Dropping {} messages of earlier executions of orchestration instance '{}'", consumed.size(),
                    instance.instanceId());
            return Optional.of(new StepResult(unchanged(item, consumed), instance.name(), 0, false));
        }
        Optional<ExecutionTerminated> termination = events.stream()
            .filter(ExecutionTerminated.class::isInstance)
            .map(ExecutionTerminated.class::cast)
            .findFirst();
        if (termination.isPresent()) {
            List<HistoryEvent> appended = List.of(new OrchestratorStarted(now), termination.get());
            FailureDetails failure = new FailureDetails("terminated", "Terminated: "
                    + Optional.ofNullable(termination.get().reason()).orElse("no reason given"), null);
            List<TaskMessage> messages = new ArrayList<>(parentMessages(instance, null, failure, now));
            messages.addAll(closeChildren(instance, item.history(), events, OrchestrationStatus.TERMINATED, now));
            return Optional.of(new StepResult(finish(item, consumed, appended, OrchestrationStatus.TERMINATED, null,
                    null, messages, List.of(), List.of(), now), instance.name(), 0, false));
        }
        if (instance.status() == OrchestrationStatus.SUSPENDED) {
            return resumeOrWait(item, ignored, now);
        }
        Optional<ReceivedMessage> suspension = relevant.stream()
            .filter((message) -> message.message().event() instanceof ExecutionSuspended)
            .findFirst();
        if (suspension.isPresent()) {
            return Optional.of(suspend(item, suspension.get(), ignored, now));
        }
        List<HistoryEvent> incoming = new ArrayList<>();
        incoming.add(new OrchestratorStarted(now));
        events.stream().filter(ExecutionStarted.class::isInstance).findFirst().ifPresent(incoming::add);
        events.stream()
            .filter((event) -> !(event instanceof ExecutionStarted) && !(event instanceof ExecutionResumed))
            .forEach(incoming::add);
        if (item.history().isEmpty() && !(incoming.size() > 1 && incoming.get(1) instanceof ExecutionStarted)) {
            logger.debug("Orchestration instance '{}' has messages but has not started yet", instance.instanceId());
            return Optional.empty();
        }
        Optional<OrchestrationDefinition> definition = this.registry.orchestration(instance.name());
        if (incoming.size() > 1 && incoming.get(1) instanceof ExecutionStarted started
                && started.version() == ExecutionStarted.UNKNOWN_VERSION) {
            // scheduled by a client that does not know the orchestration: the code that runs it is this worker's;
            // a worker that does not know it either records 0, the version of code that declares none
            incoming.set(1, started.withVersion(definition.map(OrchestrationDefinition::version).orElse(0)));
        }
        if (definition.isEmpty()) {
            return Optional.of(failed(item, consumed, incoming,
                    new UnknownOrchestrationException(instance.name(), this.registry.orchestrationNames()), 0, now));
        }
        return Optional.of(run(item, consumed, incoming, definition.get(), kept, now));
    }

    /**
     * Suspends a running or pending instance: records the suspension and takes only its message; the others wait
     * until the instance is resumed.
     */
    private StepResult suspend(OrchestrationWorkItem item, ReceivedMessage suspension, List<Long> ignored,
            Instant now) {
        List<Long> consumed = new ArrayList<>(staleMessages(item));
        consumed.addAll(ignored);
        consumed.add(suspension.id());
        OrchestrationCommit commit = new OrchestrationCommit(item.instance().instanceId(), item.token(),
                item.history().size(), List.of(suspension.message().event()), consumed, OrchestrationStatus.SUSPENDED,
                null, null, false, null, List.of(), List.of(), List.of(), now);
        return new StepResult(commit, item.instance().name(), 0, false);
    }

    /**
     * A suspended instance takes only a resumption (terminations are handled before); without one, it only drops
     * repeated suspensions, closes of instances that are not its parent and messages of earlier executions.
     */
    private static Optional<StepResult> resumeOrWait(OrchestrationWorkItem item, List<Long> ignored, Instant now) {
        InstanceRecord instance = item.instance();
        List<ReceivedMessage> relevant = relevantMessages(item);
        Optional<ReceivedMessage> resumption = relevant.stream()
            .filter((message) -> message.message().event() instanceof ExecutionResumed)
            .findFirst();
        long upTo = resumption.map(ReceivedMessage::id).orElse(Long.MAX_VALUE);
        List<Long> consumed = new ArrayList<>(staleMessages(item));
        consumed.addAll(ignored);
        relevant.stream()
            .filter((message) -> message.id() <= upTo && (message.message().event() instanceof ExecutionSuspended
                    || message.message().event() instanceof ExecutionResumed))
            .forEach((message) -> consumed.add(message.id()));
        if (resumption.isEmpty()) {
            return consumed.isEmpty() ? Optional.empty()
                    : Optional.of(new StepResult(unchanged(item, consumed), instance.name(), 0, false));
        }
        boolean started = item.history().stream().anyMatch(ExecutionStarted.class::isInstance);
        OrchestrationCommit commit = new OrchestrationCommit(instance.instanceId(), item.token(), item.history().size(),
                List.of(resumption.get().message().event()), consumed,
                started ? OrchestrationStatus.RUNNING : OrchestrationStatus.PENDING, null, null, false, null, List.of(),
                List.of(), List.of(), now);
        return Optional.of(new StepResult(commit, instance.name(), 0, false));
    }

    private StepResult run(OrchestrationWorkItem item, List<Long> consumed, List<HistoryEvent> incoming,
            OrchestrationDefinition definition, @Nullable KeptInstance kept, Instant now) {
        InstanceRecord instance = item.instance();
        OrchestrationThread code;
        if (kept != null) {
            this.cache.hit();
            code = kept.code();
            code.resume(item.history(), incoming);
        }
        else {
            if (this.cache.enabled()) {
                this.cache.miss();
            }
            ReplayContext fresh = new ReplayContext(instance.instanceId(), instance.name(), instance.execution(),
                    item.history(), incoming, this.converter, this.registry);
            code = OrchestrationThread.start(fresh, definition, this.cache.enabled());
        }
        StepOutcome result = await(code);
        try {
            return decide(item, consumed, incoming, code, result, now);
        }
        catch (RuntimeException | Error ex) {
            code.release();
            throw ex;
        }
    }

    private StepResult decide(OrchestrationWorkItem item, List<Long> consumed, List<HistoryEvent> incoming,
            OrchestrationThread code, StepOutcome result, Instant now) {
        InstanceRecord instance = item.instance();
        ReplayContext context = code.context();
        int replayed = context.replayedEvents();
        StepResult step = switch (result) {
            case StepOutcome.Waiting waiting -> waiting(item, consumed, incoming, context, now);
            case StepOutcome.Completed completed -> completed(item, consumed, incoming, context, completed.output(), now);
            case StepOutcome.Failed failed -> failed(item, consumed, incoming, failed.failure(), replayed, now);
            case StepOutcome.ContinuedAsNew continued -> continued(item, consumed, incoming, context, continued.input(),
                    now);
        };
        step = withCustomStatus(step, context.customStatus());
        if (result instanceof StepOutcome.Waiting && code.keepable()) {
            if (step.status() == OrchestrationStatus.RUNNING) {
                OrchestrationCommit commit = step.commit();
                KeptInstance keep = new KeptInstance(code, instance.execution(),
                        commit.expectedHistoryLength() + commit.events().size(), commit.events());
                return new StepResult(commit, step.orchestration(), step.replayedEvents(), step.ranCode(), keep);
            }
            code.release();
        }
        return step;
    }

    private static StepResult withCustomStatus(StepResult step, @Nullable String customStatus) {
        if (customStatus == null) {
            return step;
        }
        OrchestrationCommit c = step.commit();
        return new StepResult(new OrchestrationCommit(c.instanceId(), c.token(), c.expectedHistoryLength(), c.events(),
                c.consumedMessages(), c.status(), c.output(), c.failure(), c.continueAsNew(), c.nextInput(),
                c.messages(), c.children(), c.activities(), c.updatedAt(), customStatus), step.orchestration(),
                step.replayedEvents(), step.ranCode(), step.kept());
    }

    /**
     * Replays recorded events only, with no new ones, and says what the code did: the check behind
     * {@code OrchestrationReplayer}. Nothing is written anywhere.
     * @param instanceId the instance
     * @param execution its execution
     * @param history the recorded events
     * @return what the code did
     * @throws UnknownOrchestrationException when the history's orchestration is not registered
     */
    public ReplayReport replay(String instanceId, int execution, List<HistoryEvent> history) {
        String name = orchestrationName(instanceId, history);
        OrchestrationDefinition definition = this.registry.orchestration(name)
            .orElseThrow(() -> new UnknownOrchestrationException(name, this.registry.orchestrationNames()));
        ReplayContext context = new ReplayContext(instanceId, name, execution, history, List.of(), this.converter,
                this.registry);
        StepOutcome outcome = runCode(context, definition);
        int replayed = context.replayedEvents();
        return switch (outcome) {
            case StepOutcome.Waiting waiting -> new ReplayReport(name, ReplayReport.Outcome.WAITING, null, replayed);
            case StepOutcome.Completed completed -> new ReplayReport(name, ReplayReport.Outcome.COMPLETED, null,
                    replayed);
            case StepOutcome.Failed failed -> new ReplayReport(name, ReplayReport.Outcome.FAILED, failed.failure(),
                    replayed);
            case StepOutcome.ContinuedAsNew continued -> new ReplayReport(name, ReplayReport.Outcome.CONTINUED_AS_NEW,
                    null, replayed);
        };
    }

    /**
     * Answers a query: replays recorded events only, as {@link #replay} does, then calls the handler the code
     * registered last under the name. Nothing runs and nothing is written.
     * @param instanceId the instance
     * @param execution its execution
     * @param history the recorded events of that execution
     * @param queryName the query
     * @param argument the argument as JSON, {@code null} for none
     * @return the answer as JSON
     * @throws UnknownOrchestrationException when the history's orchestration is not registered
     * @throws NonDeterministicOrchestrationException when the code no longer matches the history
     * @throws OrchestrationBlockedException when the replay took longer than the step timeout (its handlers could
     * read a half-replayed state)
     * @throws UnknownQueryException when the code registered no handler under the name
     * @throws PayloadConversionException when the argument cannot be read as the handler's type
     * @throws QueryFailedException when the handler throws or its answer cannot be written
     */
    public @Nullable String query(String instanceId, int execution, List<HistoryEvent> history, String queryName,
            @Nullable String argument) {
        String orchestration = orchestrationName(instanceId, history);
        OrchestrationDefinition definition = this.registry.orchestration(orchestration)
            .orElseThrow(() -> new UnknownOrchestrationException(orchestration, this.registry.orchestrationNames()));
        ReplayContext context = new ReplayContext(instanceId, orchestration, execution, history, List.of(),
                this.converter, this.registry);
        StepOutcome outcome = runCode(context, definition);
        if (outcome instanceof StepOutcome.Failed failed
                && (failed.failure() instanceof NonDeterministicOrchestrationException
                        || failed.failure() instanceof OrchestrationBlockedException)) {
            throw (RuntimeException) failed.failure();
        }
        ReplayContext.QueryHandler handler = context.queryHandler(queryName);
        if (handler == null) {
            throw new UnknownQueryException(instanceId, orchestration, queryName, context.queryNames());
        }
        Object value;
        try {
            value = this.converter.read(argument, handler.argumentType());
        }
        catch (RuntimeException ex) {
            throw new PayloadConversionException("the argument of query '" + queryName + "'", handler.argumentType(),
                    ex);
        }
        try {
            return this.converter.write(handler.handler().apply(value));
        }
        catch (RuntimeException ex) {
            throw new QueryFailedException(instanceId, queryName, ex);
        }
    }

    private static String orchestrationName(String instanceId, List<HistoryEvent> history) {
        return history.stream()
            .filter(ExecutionStarted.class::isInstance)
            .map((event) -> ((ExecutionStarted) event).name())
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException("The history of instance '" + instanceId
                    + "' has no ExecutionStarted event"));
    }

    /**
     * Runs the code on a virtual thread of its own for one step, not kept, for at most the step timeout of real time.
     */
    private StepOutcome runCode(ReplayContext context, OrchestrationDefinition definition) {
        return await(OrchestrationThread.start(context, definition, false));
    }

    /**
     * Waits at most the step timeout of real time for the code's step to end.
     */
    private StepOutcome await(OrchestrationThread code) {
        ReplayContext context = code.context();
        StepOutcome outcome;
        try {
            outcome = code.awaitStep(this.stepTimeout);
        }
        catch (InterruptedException ex) {
            code.abandon();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running a step of orchestration instance '"
                    + context.instanceId() + "'", ex);
        }
        if (outcome == null) {
            String where = code.where();
            code.abandon();
            return new StepOutcome.Failed(new OrchestrationBlockedException(context.name(), context.instanceId(),
                    this.stepTimeout, where));
        }
        return outcome;
    }

    private StepResult waiting(OrchestrationWorkItem item, List<Long> consumed, List<HistoryEvent> incoming,
            ReplayContext context, Instant now) {
        List<Action> decisions = context.newDecisions();
        List<HistoryEvent> appended = new ArrayList<>(incoming);
        decisions.forEach((action) -> appended.add(action.event(now)));
        Optional<StepResult> tooLong = checkLength(item, consumed, incoming, appended, context, now);
        if (tooLong.isPresent()) {
            return tooLong.get();
        }
        Work work = work(item.instance(), decisions, true, now);
        OrchestrationCommit commit = new OrchestrationCommit(item.instance().instanceId(), item.token(),
                item.history().size(), appended, consumed, OrchestrationStatus.RUNNING, null, null, false, null,
                work.messages(), work.children(), work.activities(), now);
        return new StepResult(commit, item.instance().name(), context.replayedEvents(), true);
    }

    private StepResult completed(OrchestrationWorkItem item, List<Long> consumed, List<HistoryEvent> incoming,
            ReplayContext context, @Nullable String output, Instant now) {
        List<Action> decisions = context.newDecisions();
        List<HistoryEvent> appended = new ArrayList<>(incoming);
        decisions.forEach((action) -> appended.add(action.event(now)));
        appended.add(new ExecutionCompleted(now, output));
        Optional<StepResult> tooLong = checkLength(item, consumed, incoming, appended, context, now);
        if (tooLong.isPresent()) {
            return tooLong.get();
        }
        // Tasks started but not awaited still run (fire and forget); their outcomes are dropped.
        Work work = work(item.instance(), decisions, false, now);
        List<TaskMessage> messages = new ArrayList<>(work.messages());
        messages.addAll(parentMessages(item.instance(), output, null, now));
        messages.addAll(closeChildren(item.instance(), item.history(), appended, OrchestrationStatus.COMPLETED, now));
        return new StepResult(finish(item, consumed, appended, OrchestrationStatus.COMPLETED, output, null, messages,
                work.children(), work.activities(), now), item.instance().name(), context.replayedEvents(), true);
    }

    private StepResult failed(OrchestrationWorkItem item, List<Long> consumed, List<HistoryEvent> incoming,
            Throwable cause, int replayed, Instant now) {
        InstanceRecord instance = item.instance();
        FailureDetails failure = FailureDetails.of(cause);
        logger.info("Orchestration '{}' instance '{}' failed: {}", instance.name(), instance.instanceId(), failure);
        List<HistoryEvent> appended = new ArrayList<>(incoming);
        appended.add(new ExecutionFailed(now, failure));
        List<TaskMessage> messages = new ArrayList<>(parentMessages(instance, null, failure, now));
        messages.addAll(closeChildren(instance, item.history(), appended, OrchestrationStatus.FAILED, now));
        return new StepResult(finish(item, consumed, appended, OrchestrationStatus.FAILED, null, failure, messages,
                List.of(), List.of(), now), instance.name(), replayed, true);
    }

    /**
     * Ends the execution and queues the start of the next one. The history is deleted, not appended to, but the work
     * the step started still happens, as when the code returns: sub-orchestrations are created (their results reach
     * nobody) and then follow their parent-close policy with the other children still running, and activities run
     * with their outcomes dropped; timers are not set.
     */
    private StepResult continued(OrchestrationWorkItem item, List<Long> consumed, List<HistoryEvent> incoming,
            ReplayContext context, @Nullable String input, Instant now) {
        InstanceRecord instance = item.instance();
        int next = instance.execution() + 1;
        List<Action> decisions = context.newDecisions();
        List<HistoryEvent> closing = new ArrayList<>(incoming);
        decisions.forEach((action) -> closing.add(action.event(now)));
        Work work = work(instance, decisions, false, now);
        List<TaskMessage> messages = new ArrayList<>();
        messages.add(new TaskMessage(instance.instanceId(), next,
                new ExecutionStarted(now, instance.name(), input, instance.parent(), continuedVersion(instance)),
                now));
        context.eventsNotTaken()
            .forEach((event) -> messages.add(new TaskMessage(instance.instanceId(), TaskMessage.ANY_EXECUTION, event, now)));
        messages.addAll(work.messages());
        messages.addAll(closeChildren(instance, item.history(), closing, OrchestrationStatus.CONTINUED_AS_NEW, now));
        OrchestrationCommit commit = new OrchestrationCommit(instance.instanceId(), item.token(), item.history().size(),
                List.of(), consumed, OrchestrationStatus.CONTINUED_AS_NEW, null, null, true, input, messages,
                work.children(), work.activities(), now);
        return new StepResult(commit, instance.name(), context.replayedEvents(), true);
    }

    /**
     * The version the next execution records: the version of the code registered on this worker, which runs the
     * continue-as-new step (continuing as new is where an instance moves to the code deployed now); the instance's
     * version when this worker does not know the orchestration.
     */
    private int continuedVersion(InstanceRecord instance) {
        return this.registry.orchestration(instance.name())
            .map(OrchestrationDefinition::version)
            .orElse(instance.version());
    }

    private Optional<StepResult> checkLength(OrchestrationWorkItem item, List<Long> consumed,
            List<HistoryEvent> incoming, List<HistoryEvent> appended, ReplayContext context, Instant now) {
        int before = item.history().size();
        int after = before + appended.size();
        if (after > this.historyMaxEvents) {
            return Optional.of(failed(item, consumed, incoming,
                    new HistoryLimitExceededException(item.instance().instanceId(), after, this.historyMaxEvents),
                    context.replayedEvents(), now));
        }
        if (before <= this.historyWarnEvents && after > this.historyWarnEvents) {
            logger.warn("The history of orchestration '{}' instance '{}' has {} events, more than {}; it fails past {}: "
                    + "use continueAsNew for long-lived orchestrations", item.instance().name(),
                    item.instance().instanceId(), after, this.historyWarnEvents, this.historyMaxEvents);
        }
        return Optional.empty();
    }

    private Work work(InstanceRecord instance, List<Action> decisions, boolean withTimers, Instant now) {
        List<TaskMessage> messages = new ArrayList<>();
        List<ChildInstance> children = new ArrayList<>();
        List<NewActivity> activities = new ArrayList<>();
        for (Action action : decisions) {
            switch (action) {
                case Action.ScheduleActivity activity -> activities.add(new NewActivity(instance.instanceId(),
                        instance.execution(), activity.taskId(), activity.name(), activity.input(), activity.options(),
                        now));
                case Action.CreateTimer timer -> {
                    if (withTimers) {
                        messages.add(new TaskMessage(instance.instanceId(), instance.execution(),
                                new TimerFired(timer.fireAt(), timer.taskId(), timer.fireAt()), timer.fireAt()));
                    }
                }
                case Action.StartSubOrchestration child -> {
                    int version = this.registry.orchestration(child.name())
                        .map(OrchestrationDefinition::version)
                        .orElse(0);
                    NewInstance created = new NewInstance(child.instanceId(), child.name(), child.input(),
                            new ParentInstance(instance.instanceId(), instance.execution(), child.taskId()), now, now,
                            version);
                    FailureDetails taken = new FailureDetails(OrchestrationAlreadyExistsException.class.getName(),
                            "Sub-orchestration '" + child.name() + "' was not started: an instance with id '"
                                    + child.instanceId() + "' exists already", null);
                    children.add(new ChildInstance(created, new TaskMessage(instance.instanceId(), instance.execution(),
                            new SubOrchestrationFailed(now, child.taskId(), taken), now)));
                }
                case Action.RecordVersion version -> {
                }
            }
        }
        return new Work(messages, children, activities);
    }

    private static List<TaskMessage> parentMessages(InstanceRecord instance, @Nullable String output,
            @Nullable FailureDetails failure, Instant now) {
        ParentInstance parent = instance.parent();
        if (parent == null) {
            return List.of();
        }
        HistoryEvent event = (failure != null) ? new SubOrchestrationFailed(now, parent.taskId(), failure)
                : new SubOrchestrationCompleted(now, parent.taskId(), output);
        return List.of(new TaskMessage(parent.instanceId(), parent.execution(), event, now));
    }

    /**
     * Applies the parent-close policies of the children still running when this execution closes: a termination or
     * a cancellation request, naming this instance, for each child whose policy asks for one. A child reports to the
     * execution that started it, so continuing as new closes the execution for its children too.
     */
    private static List<TaskMessage> closeChildren(InstanceRecord instance, List<HistoryEvent> history,
            List<HistoryEvent> appended, OrchestrationStatus closedAs, Instant now) {
        Map<Integer, SubOrchestrationCreated> running = new LinkedHashMap<>();
        Stream.concat(history.stream(), appended.stream()).forEach((event) -> {
            switch (event) {
                case SubOrchestrationCreated created -> running.put(created.taskId(), created);
                case SubOrchestrationCompleted completed -> running.remove(completed.taskId());
                case SubOrchestrationFailed failed -> running.remove(failed.taskId());
                default -> {
                }
            }
        });
        String reason = "parent orchestration instance '" + instance.instanceId() + "' closed as " + closedAs;
        List<TaskMessage> messages = new ArrayList<>();
        for (SubOrchestrationCreated child : running.values()) {
            HistoryEvent event = switch (child.effectiveParentClosePolicy()) {
                case TERMINATE -> new ExecutionTerminated(now, reason, closer(instance, child));
                case REQUEST_CANCEL -> new ExecutionCancelRequested(now, reason, closer(instance, child));
                case ABANDON -> null;
            };
            if (event != null) {
                messages.add(new TaskMessage(child.instanceId(), TaskMessage.ANY_EXECUTION, event, now));
            }
        }
        return messages;
    }

    /**
     * Returns the parent as the child it started records it: this execution and the task that started the child.
     */
    private static ParentInstance closer(InstanceRecord instance, SubOrchestrationCreated child) {
        return new ParentInstance(instance.instanceId(), instance.execution(), child.taskId());
    }

    /**
     * Whether an event is for this instance: a termination or a cancellation that a parent's close sent reaches only
     * the child of that parent started by that execution and task (an instance id the parent chose may belong to
     * another instance, even another child of the same parent, by then).
     */
    private static boolean addressedHere(InstanceRecord instance, HistoryEvent event) {
        ParentInstance sender = switch (event) {
            case ExecutionTerminated terminated -> terminated.closedBy();
            case ExecutionCancelRequested cancelled -> cancelled.closedBy();
            default -> null;
        };
        return sender == null || sender.equals(instance.parent());
    }

    private static OrchestrationCommit finish(OrchestrationWorkItem item, List<Long> consumed,
            List<HistoryEvent> appended, OrchestrationStatus status, @Nullable String output,
            @Nullable FailureDetails failure, List<TaskMessage> messages, List<ChildInstance> children,
            List<NewActivity> activities, Instant now) {
        return new OrchestrationCommit(item.instance().instanceId(), item.token(), item.history().size(), appended,
                consumed, status, output, failure, false, null, messages, children, activities, now);
    }

    private static OrchestrationCommit unchanged(OrchestrationWorkItem item, List<Long> consumed) {
        InstanceRecord instance = item.instance();
        return new OrchestrationCommit(instance.instanceId(), item.token(), item.history().size(), List.of(), consumed,
                instance.status(), instance.output(), instance.failure(), false, null, List.of(), List.of(), List.of(),
                instance.updatedAt());
    }

    /**
     * The messages for the current execution, in the order they were stored.
     */
    private static List<ReceivedMessage> relevantMessages(OrchestrationWorkItem item) {
        return item.messages()
            .stream()
            .sorted(Comparator.comparingLong(ReceivedMessage::id))
            .filter((message) -> isCurrent(item, message))
            .toList();
    }

    /**
     * The ids of the messages for earlier executions.
     */
    private static List<Long> staleMessages(OrchestrationWorkItem item) {
        return item.messages().stream().filter((message) -> !isCurrent(item, message)).map(ReceivedMessage::id).toList();
    }

    private static boolean isCurrent(OrchestrationWorkItem item, ReceivedMessage message) {
        int execution = message.message().execution();
        return execution == TaskMessage.ANY_EXECUTION || execution == item.instance().execution();
    }

    private record Work(List<TaskMessage> messages, List<ChildInstance> children, List<NewActivity> activities) {
    }
}
