package dev.quark.durabletasks.client;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import dev.quark.durabletasks.DurableTaskClient;
import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.InstanceIdReusePolicy;
import dev.quark.durabletasks.OrchestrationAlreadyExistsException;
import dev.quark.durabletasks.OrchestrationDefinition;
import dev.quark.durabletasks.OrchestrationNotFoundException;
import dev.quark.durabletasks.OrchestrationQuery;
import dev.quark.durabletasks.OrchestrationState;
import dev.quark.durabletasks.OrchestrationStateException;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.PayloadConversionException;
import dev.quark.durabletasks.ScheduleOptions;
import dev.quark.durabletasks.UnknownOrchestrationException;
import dev.quark.durabletasks.history.EventRaised;
import dev.quark.durabletasks.history.ExecutionCancelRequested;
import dev.quark.durabletasks.history.ExecutionResumed;
import dev.quark.durabletasks.history.ExecutionStarted;
import dev.quark.durabletasks.history.ExecutionSuspended;
import dev.quark.durabletasks.history.ExecutionTerminated;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.history.OrchestratorStarted;
import dev.quark.durabletasks.internal.InstanceIds;
import dev.quark.durabletasks.internal.OrchestrationExecutor;
import dev.quark.durabletasks.payload.PayloadConverter;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.InstanceRecord;
import dev.quark.durabletasks.store.NewInstance;
import dev.quark.durabletasks.store.TaskMessage;
import org.jspecify.annotations.Nullable;

/**
 * The {@link DurableTaskClient} that works on a {@link DurableTaskStore} directly. With a registry it refuses to
 * schedule orchestrations the registry does not know, and inputs their declared input type cannot read, before
 * anything is stored; without one (a node that only schedules) it leaves that to the worker, which fails such
 * instances. After a change it wakes the worker of its process, if it was given one.
 */
public final class StoreDurableTaskClient implements DurableTaskClient {

    private static final Duration MAX_POLL = Duration.ofMillis(500);

    /** The longest a query's replay may run the code. */
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(30);

    private final DurableTaskStore store;

    private final PayloadConverter converter;

    private final Clock clock;

    private final Supplier<@Nullable DurableTaskRegistry> registry;

    private final Runnable workAdded;

    private final InstanceUpdates updates;

    /**
     * Creates a client.
     * @param store the store
     * @param converter writes inputs and payloads, reads outputs
     * @param clock the clock instances are created and events raised at
     * @param registry the orchestrations that may be scheduled, {@code null} to accept any name
     * @param workAdded told after an instance was scheduled, an event raised or an instance terminated; for
     * instance {@code worker::wake}
     * @param updates where a worker of this process reports the steps it records
     */
    public StoreDurableTaskClient(DurableTaskStore store, PayloadConverter converter, Clock clock,
            @Nullable DurableTaskRegistry registry, Runnable workAdded, InstanceUpdates updates) {
        this(store, converter, clock, (Supplier<@Nullable DurableTaskRegistry>) () -> registry, workAdded, updates);
    }

    /**
     * Creates a client whose registry is looked up whenever it schedules, for instance when activities that use the
     * client are part of the registry.
     * @param store the store
     * @param converter writes inputs and payloads, reads outputs
     * @param clock the clock instances are created and events raised at
     * @param registry supplies the orchestrations that may be scheduled, {@code null} to accept any name
     * @param workAdded told after an instance was scheduled, an event raised or an instance terminated
     * @param updates where a worker of this process reports the steps it records
     * @return the client
     */
    public static StoreDurableTaskClient withRegistryLookup(DurableTaskStore store, PayloadConverter converter,
            Clock clock, Supplier<@Nullable DurableTaskRegistry> registry, Runnable workAdded, InstanceUpdates updates) {
        return new StoreDurableTaskClient(store, converter, clock, registry, workAdded, updates);
    }

    private StoreDurableTaskClient(DurableTaskStore store, PayloadConverter converter, Clock clock,
            Supplier<@Nullable DurableTaskRegistry> registry, Runnable workAdded, InstanceUpdates updates) {
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.converter = Objects.requireNonNull(converter, "converter must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.registry = Objects.requireNonNull(registry, "registry must not be null");
        this.workAdded = Objects.requireNonNull(workAdded, "workAdded must not be null");
        this.updates = Objects.requireNonNull(updates, "updates must not be null");
    }

    @Override
    public String schedule(String name, @Nullable Object input, ScheduleOptions options) {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(options, "options must not be null");
        String requested = options.instanceId();
        String instanceId = (requested != null) ? InstanceIds.require(requested) : UUID.randomUUID().toString();
        String json = write(input, "the input of orchestration '" + name + "'");
        DurableTaskRegistry known = this.registry.get();
        int version = ExecutionStarted.UNKNOWN_VERSION;
        if (known != null) {
            OrchestrationDefinition definition = known.orchestration(name)
                .orElseThrow(() -> new UnknownOrchestrationException(name, known.orchestrationNames()));
            version = definition.version();
            try {
                this.converter.read(json, definition.inputType());
            }
            catch (RuntimeException ex) {
                throw new PayloadConversionException("the input of orchestration '" + name + "'",
                        definition.inputType(), ex);
            }
        }
        Instant now = this.clock.instant();
        Instant startAt = options.startAt();
        NewInstance instance = new NewInstance(instanceId, name, json, null, now,
                (startAt != null && startAt.isAfter(now)) ? startAt : now, version);
        Optional<InstanceRecord> existing = this.store.create(instance);
        if (existing.isPresent()) {
            InstanceRecord found = existing.get();
            InstanceIdReusePolicy policy = options.idReusePolicy();
            switch (policy) {
                case IDEMPOTENT -> {
                    if (!found.name().equals(name)) {
                        throw new OrchestrationAlreadyExistsException(instanceId, found.name(), name);
                    }
                    return instanceId;
                }
                case REJECT -> throw new OrchestrationAlreadyExistsException(instanceId, found.name(), found.status(),
                        policy);
                case ALLOW_IF_FINISHED, TERMINATE_IF_RUNNING -> replace(instance, found, policy);
            }
        }
        this.workAdded.run();
        return instanceId;
    }

    /**
     * Purges a finished instance (terminating it first when the policy says so) and creates the new one in its place.
     */
    private void replace(NewInstance instance, InstanceRecord found, InstanceIdReusePolicy policy) {
        String instanceId = instance.instanceId();
        if (!found.status().isFinal()) {
            if (policy != InstanceIdReusePolicy.TERMINATE_IF_RUNNING) {
                throw new OrchestrationAlreadyExistsException(instanceId, found.name(), found.status(), policy);
            }
            terminateAndWait(instanceId, found);
        }
        this.store.purge(instanceId);
        Optional<InstanceRecord> taken = this.store.create(instance);
        if (taken.isPresent()) {
            // Another client scheduled the id between the purge and the create.
            throw new OrchestrationAlreadyExistsException(instanceId, taken.get().name(), taken.get().status(), policy);
        }
    }

    private void terminateAndWait(String instanceId, InstanceRecord found) {
        Instant now = this.clock.instant();
        if (this.store.send(new TaskMessage(instanceId, TaskMessage.ANY_EXECUTION,
                new ExecutionTerminated(now, "replaced by a new instance (id reuse policy TERMINATE_IF_RUNNING)"), now))) {
            this.workAdded.run();
        }
        try {
            waitForCompletion(instanceId, ScheduleOptions.TERMINATION_WAIT);
        }
        catch (TimeoutException ex) {
            throw new OrchestrationStateException(instanceId, found.status(), "replace",
                    "was not terminated within " + ScheduleOptions.TERMINATION_WAIT
                            + ": no worker recorded the termination (is one running?)");
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the termination of orchestration instance '"
                    + instanceId + "'", ex);
        }
    }

    @Override
    public String signalWithStart(String name, @Nullable Object input, ScheduleOptions options, String eventName,
            @Nullable Object payload) {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(options, "options must not be null");
        String instanceId = options.instanceId();
        if (instanceId == null) {
            throw new IllegalArgumentException("signal-with-start needs an instance id in the schedule options");
        }
        requireEventName(eventName);
        Optional<InstanceRecord> existing = this.store.instance(instanceId);
        if (existing.isPresent() && !existing.get().status().isFinal()) {
            if (!existing.get().name().equals(name)) {
                throw new OrchestrationAlreadyExistsException(instanceId, existing.get().name(), name);
            }
        }
        else {
            InstanceIdReusePolicy policy = options.idReusePolicy();
            if (existing.isPresent() && policy != InstanceIdReusePolicy.ALLOW_IF_FINISHED
                    && policy != InstanceIdReusePolicy.TERMINATE_IF_RUNNING) {
                throw new OrchestrationStateException(instanceId, existing.get().status(), "signal-with-start",
                        "id reuse policy " + policy + " keeps a finished instance: use ALLOW_IF_FINISHED to start "
                                + "a new one");
            }
            schedule(name, input, (policy == InstanceIdReusePolicy.REJECT)
                    ? options.withIdReusePolicy(InstanceIdReusePolicy.IDEMPOTENT) : options);
        }
        raiseEvent(instanceId, eventName, payload);
        return instanceId;
    }

    @Override
    public void raiseEvent(String instanceId, String eventName, @Nullable Object payload) {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        requireEventName(eventName);
        String json = write(payload, "the payload of event '" + eventName + "'");
        Instant now = this.clock.instant();
        String operation = "raise event '" + eventName + "' to";
        if (!this.store.send(new TaskMessage(instanceId, TaskMessage.ANY_EXECUTION, new EventRaised(now, eventName, json),
                now))) {
            throw refused(instanceId, operation, "has finished: the event would be dropped");
        }
        this.workAdded.run();
    }

    @Override
    public Optional<OrchestrationState> getState(String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        return this.store.instance(instanceId).map(this::state);
    }

    @Override
    public <R> @Nullable R query(String instanceId, String queryName, @Nullable Object argument, Class<R> resultType) {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        Objects.requireNonNull(queryName, "queryName must not be null");
        Objects.requireNonNull(resultType, "resultType must not be null");
        InstanceRecord instance = this.store.instance(instanceId)
            .orElseThrow(() -> new OrchestrationNotFoundException(instanceId, "query '" + queryName + "'"));
        List<HistoryEvent> history = this.store.history(instanceId);
        if (history.isEmpty() && instance.status() == OrchestrationStatus.CONTINUED_AS_NEW) {
            // The next execution has not taken its first step: its history is empty until then. It starts as its
            // queued start says, from the instance's new input.
            history = List.of(new OrchestratorStarted(instance.updatedAt()),
                    new ExecutionStarted(instance.updatedAt(), instance.name(), instance.input(), instance.parent(),
                            instance.version()));
        }
        if (history.stream().noneMatch(ExecutionStarted.class::isInstance)) {
            throw new OrchestrationStateException(instanceId, instance.status(), "query",
                    "its code has not run yet");
        }
        DurableTaskRegistry known = this.registry.get();
        if (known == null) {
            throw new UnknownOrchestrationException(instance.name(), List.of());
        }
        OrchestrationExecutor executor = new OrchestrationExecutor(known, this.converter, QUERY_TIMEOUT,
                Integer.MAX_VALUE - 1, Integer.MAX_VALUE);
        String json = write(argument, "the argument of query '" + queryName + "'");
        String answer = executor.query(instanceId, instance.execution(), history, queryName, json);
        try {
            return resultType.cast(this.converter.read(answer, resultType));
        }
        catch (RuntimeException ex) {
            throw new PayloadConversionException("the answer of query '" + queryName + "'", resultType, ex);
        }
    }

    @Override
    public List<HistoryEvent> getHistory(String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        List<HistoryEvent> history = this.store.history(instanceId);
        if (history.isEmpty() && this.store.instance(instanceId).isEmpty()) {
            throw new OrchestrationNotFoundException(instanceId, "read the history");
        }
        return history;
    }

    @Override
    public OrchestrationState waitForCompletion(String instanceId, Duration timeout)
            throws TimeoutException, InterruptedException {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        Objects.requireNonNull(timeout, "timeout must not be null");
        long deadline = System.nanoTime() + timeout.toNanos();
        Duration poll = Duration.ofMillis(10);
        while (true) {
            long seen = this.updates.version();
            OrchestrationState state = getState(instanceId)
                .orElseThrow(() -> new OrchestrationNotFoundException(instanceId, "wait for the completion of it"));
            if (state.status().isFinal()) {
                return state;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("Orchestration instance '" + instanceId + "' did not finish within "
                        + timeout + "; it is " + state.status());
            }
            this.updates.awaitChange(seen, Duration.ofNanos(Math.min(left, poll.toNanos())));
            poll = poll.multipliedBy(2).compareTo(MAX_POLL) > 0 ? MAX_POLL : poll.multipliedBy(2);
        }
    }

    @Override
    public void terminate(String instanceId, @Nullable String reason) {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        Instant now = this.clock.instant();
        if (!this.store.send(new TaskMessage(instanceId, TaskMessage.ANY_EXECUTION, new ExecutionTerminated(now, reason),
                now))) {
            throw refused(instanceId, "terminate", "has finished");
        }
        this.workAdded.run();
    }

    @Override
    public void cancel(String instanceId, @Nullable String reason) {
        control(instanceId, "cancel", new ExecutionCancelRequested(this.clock.instant(), reason));
    }

    @Override
    public void suspend(String instanceId, @Nullable String reason) {
        control(instanceId, "suspend", new ExecutionSuspended(this.clock.instant(), reason));
    }

    @Override
    public void resume(String instanceId, @Nullable String reason) {
        control(instanceId, "resume", new ExecutionResumed(this.clock.instant(), reason));
    }

    private void control(String instanceId, String operation, HistoryEvent event) {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        if (!this.store.send(new TaskMessage(instanceId, TaskMessage.ANY_EXECUTION, event, event.timestamp()))) {
            throw refused(instanceId, operation, "has finished");
        }
        this.workAdded.run();
    }

    @Override
    public boolean purge(String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        Optional<InstanceRecord> instance = this.store.instance(instanceId);
        if (instance.isEmpty()) {
            return false;
        }
        if (!instance.get().status().isFinal()) {
            throw new OrchestrationStateException(instanceId, instance.get().status(), "purge",
                    "has not finished: terminate it first");
        }
        return this.store.purge(instanceId);
    }

    @Override
    public List<OrchestrationState> list(OrchestrationQuery query) {
        Objects.requireNonNull(query, "query must not be null");
        return this.store.list(query).stream().map(this::state).toList();
    }

    private static void requireEventName(String eventName) {
        Objects.requireNonNull(eventName, "eventName must not be null");
        if (eventName.isBlank()) {
            throw new IllegalArgumentException("An event name must not be blank");
        }
    }

    private RuntimeException refused(String instanceId, String operation, String reason) {
        return this.store.instance(instanceId)
            .<RuntimeException>map((record) -> new OrchestrationStateException(instanceId, record.status(), operation,
                    reason))
            .orElseGet(() -> new OrchestrationNotFoundException(instanceId, operation + " it"));
    }

    private OrchestrationState state(InstanceRecord record) {
        return new OrchestrationState(record.instanceId(), record.name(), record.status(), record.execution(),
                record.createdAt(), record.updatedAt(), record.input(), record.output(), record.failure(),
                record.customStatus(), record.version(), this.converter);
    }

    private @Nullable String write(@Nullable Object value, String what) {
        try {
            return this.converter.write(value);
        }
        catch (RuntimeException ex) {
            throw new PayloadConversionException(what, (value != null) ? value.getClass() : Object.class, ex);
        }
    }

    @Override
    public String toString() {
        return "StoreDurableTaskClient[" + this.store + "]";
    }
}
