package dev.quark.runtime;

import java.lang.reflect.Method;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.function.Predicate;
import java.util.function.Supplier;

import dev.quark.actor.Actor;
import dev.quark.actor.ActorRefFactory;
import dev.quark.actor.DeactivationReason;
import dev.quark.runtime.filter.IncomingCallFilter;
import dev.quark.runtime.filter.OutgoingCallFilter;
import dev.quark.runtime.internal.ActivationCatalog;
import dev.quark.runtime.internal.ActorReferences;
import dev.quark.runtime.internal.ActorRegistry;
import dev.quark.runtime.internal.CallDispatcher;
import dev.quark.runtime.internal.CallRouter;
import dev.quark.runtime.internal.DeadlockProbes;
import dev.quark.runtime.internal.ClockScheduler;
import dev.quark.runtime.internal.ConstructorInstanceFactory;
import dev.quark.runtime.internal.InboundEntry;
import dev.quark.runtime.internal.IncomingFilters;
import dev.quark.runtime.internal.JvmHeapUsage;
import dev.quark.runtime.internal.RuntimeSettings;
import dev.quark.runtime.internal.SheddingSettings;
import dev.quark.runtime.internal.ReadyQueueScheduler;
import dev.quark.runtime.internal.VirtualThreadExecutor;
import dev.quark.runtime.routing.ActivationGate;
import dev.quark.runtime.routing.ActorLocator;
import dev.quark.runtime.routing.ActorTypeNames;
import dev.quark.runtime.routing.InboundCalls;
import dev.quark.runtime.routing.RemoteCallSender;
import dev.quark.runtime.routing.RemoteWaits;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The actor runtime of one silo: hosts activations, delivers calls to them and collects idle ones.
 * <p>
 * Under Spring Boot the starter builds it from {@code quark.actors.*} properties. Without Spring, build one
 * directly, for instance in a unit test:
 * <pre>{@code
 * try (ActorRuntime runtime = ActorRuntime.builder().actor(CounterActor.class).build()) {
 *     Counter counter = runtime.get(Counter.class, "c-1");
 *     counter.increment();
 * }
 * }</pre>
 */
public final class ActorRuntime implements ActorRefFactory, AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(ActorRuntime.class);

    private final RuntimeSettings settings;

    private final ActorRegistry registry;

    private final ActivationCatalog catalog;

    private final ActorReferences references;

    private final CallDispatcher dispatcher;

    private final InboundCalls inbound;

    private final ScheduledThreadPoolExecutor timers;

    private final RuntimeScheduler scheduler;

    /** Closes the turn executor the runtime made itself, if it did. */
    private final @Nullable Runnable closeOwnedTurnExecutor;

    private ActorRuntime(RuntimeSettings settings, ActorRegistry registry, @Nullable RuntimeScheduler scheduler,
            @Nullable Runnable closeOwnedTurnExecutor, Builder builder) {
        this.settings = settings;
        this.closeOwnedTurnExecutor = closeOwnedTurnExecutor;
        this.registry = registry;
        this.timers = new ScheduledThreadPoolExecutor(1, daemonThreads("quark-scheduler"));
        try {
            this.timers.setRemoveOnCancelPolicy(true);
            this.scheduler = (scheduler != null) ? scheduler : new ClockScheduler(settings.clock(), this.timers);
            this.catalog = new ActivationCatalog(settings, this.scheduler, registry,
                    new IncomingFilters(builder.incomingFilters, settings.metrics()));
            CallRouter router = new CallRouter(this.catalog, builder.locator, builder.remoteSender);
            this.catalog.bindRouter(router);
            DeadlockProbes probes = new DeadlockProbes(builder.remoteWaits, this.catalog, registry);
            this.dispatcher = new CallDispatcher(router, settings, builder.outgoingFilters,
                    builder.contextPropagators, probes);
            this.references = new ActorReferences(registry, this.dispatcher);
            this.catalog.bindReferences(this.references);
            this.inbound = new InboundEntry(registry, router, probes);
            scheduleCollection();
            // After something is scheduled on the timer pool: a failure here leaves its thread to be shut down.
            settings.metrics().bindActorTypes(registry.types());
            if (settings.turnExecutor() instanceof TurnRunners runners) {
                settings.metrics().bindTurnRunners(runners);
            }
        }
        catch (RuntimeException | Error ex) {
            // A runtime that cannot be made leaves no timer thread behind (the builder closes the turn executor).
            this.timers.shutdownNow();
            throw ex;
        }
    }

    /**
     * Starts building a runtime.
     * @return a builder with the documented defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@inheritDoc}
     * <p>
     * The contract need not be hosted by this runtime: a call to an actor this runtime does not host is
     * routed by the {@link Builder#actorLocator(ActorLocator) actor locator}; with no silo to route it to, it
     * fails with an {@link dev.quark.actor.ActorUnreachableException} naming the contract.
     */
    @Override
    public <T extends Actor> T get(Class<T> contract, String id) {
        return this.references.reference(contract, id);
    }

    /**
     * Returns a reference to an actor given by its address, through a contract its actor type implements: the
     * way to reach an actor through a {@link dev.quark.actor.SharedContract shared contract}, such as
     * {@link dev.quark.actor.Remindable}, which names no actor type by itself. Calls go the normal way: to the
     * silo the {@link Builder#actorLocator(ActorLocator) actor locator} names, through the mailbox and the
     * filters.
     * @param contract a contract the actor's type implements
     * @param address the actor
     * @param <T> the contract type
     * @return the reference
     * @throws IllegalArgumentException naming both when this runtime hosts the address's actor type and that
     * type does not implement the contract
     */
    public <T extends Actor> T reference(Class<T> contract, ActorAddress address) {
        return this.references.reference(contract, address);
    }

    /**
     * Calls a method of an actor given by its address, as {@link #reference(Class, ActorAddress)} would, but without
     * waiting for its turn, even when the method is synchronous: the call goes the normal way (locator, outgoing
     * filters, mailbox, incoming filters) and the caller gets a future instead of a blocked thread, timed out after
     * the runtime's call timeout. What services that make many calls at once use (the reminder tick manager
     * delivers every tick so) rather than a thread per call; the caller's thread does not wait for room in a full
     * mailbox either (a task of the turn executor does). The future is completed on the thread that ends the turn
     * (or receives the reply), so what depends on it must be short and must not block. Application code calls
     * through references.
     * @param contract a contract the actor's type implements
     * @param address the actor
     * @param method a method of the contract, not one-way
     * @param arguments its arguments
     * @return a future completed with what the method returned when the turn has run, or exceptionally with what a
     * call through a reference would throw (what the method threw, {@link dev.quark.actor.ActorCallTimeoutException},
     * {@link dev.quark.actor.MailboxFullException}, {@link dev.quark.actor.ActorUnreachableException}...)
     * @throws IllegalArgumentException naming them when this runtime hosts the address's actor type and that type
     * does not implement the contract, or when the method is not an actor method of the contract or is one-way
     */
    public CompletableFuture<@Nullable Object> callWithoutWaiting(Class<? extends Actor> contract, ActorAddress address,
            Method method, Object... arguments) {
        return this.references.callWithoutWaiting(contract, address, method, arguments);
    }

    /**
     * Returns what runs the runtime's timed work on its clock, for the services built on the runtime
     * (reminders) so that a test's manual scheduler drives them as well.
     * @return the scheduler
     */
    public RuntimeScheduler scheduler() {
        return this.scheduler;
    }

    /**
     * Returns the wire name of a contract, the name every silo knows it by: its
     * {@link dev.quark.actor.WireName}, otherwise its simple name. A transport writes it for a reference
     * passed between silos; {@link #contractNamed(String)} turns it back into the contract.
     * @param contract the actor contract, introspected here on first use
     * @return the wire name
     * @throws IllegalArgumentException naming the class when it is not an actor contract
     */
    public String wireNameOf(Class<? extends Actor> contract) {
        return this.registry.contract(contract).wireName();
    }

    /**
     * Returns the contract a wire name stands for among those this runtime knows: the contracts it hosts,
     * those declared {@link Builder#callableContract(Class) callable}, and those it has made references to.
     * @param wireName the wire name
     * @return the contract, or {@code null} when this runtime knows none by that name
     */
    public @Nullable Class<? extends Actor> contractNamed(String wireName) {
        return this.registry.contractNamed(wireName);
    }

    /**
     * Returns the entry point through which a transport delivers calls received from other silos.
     * @return the inbound calls of this runtime
     */
    public InboundCalls inbound() {
        return this.inbound;
    }

    /**
     * Returns the registered actor types with their live counters.
     * @return the actor types, in registration order
     */
    public List<ActorTypeView> actorTypes() {
        return List.copyOf(this.registry.types());
    }

    /**
     * Returns the number of activations alive on this silo.
     * @return the activation count
     */
    public int activationCount() {
        return this.catalog.size();
    }

    /**
     * Returns whether the given actor has an activation on this silo now (for a stateless worker, any worker of
     * its pool).
     * @param contract the actor contract
     * @param id the actor id
     * @return whether it is active
     */
    public boolean isActive(Class<? extends Actor> contract, String id) {
        return this.catalog.isActive(this.registry.identity(contract, id));
    }

    /**
     * Returns whether this silo holds an activation of an actor in any state: one that waits for its
     * {@link dev.quark.runtime.routing.ActivationGate} to admit it, runs, restarts or deactivates. A cluster's
     * directory reads it to decide whether an actor runs here before it records the actor elsewhere.
     * @param address the actor
     * @return whether an activation of it is held here
     */
    public boolean holdsActivation(ActorAddress address) {
        Objects.requireNonNull(address, "address must not be null");
        return this.catalog.holds(address);
    }

    /**
     * Returns how many messages wait in an actor's mailbox, not counting the turn that runs (for a stateless
     * worker, in the mailboxes of all the workers of its pool).
     * @param contract the actor contract
     * @param id the actor id
     * @return the number of waiting messages, 0 when the actor is not active
     */
    public int queuedMessages(Class<? extends Actor> contract, String id) {
        return this.catalog.queuedMessages(this.registry.identity(contract, id));
    }

    /**
     * Deactivates the activations that have been idle for the idle timeout, measured on the runtime's clock,
     * and returns once their {@code onDeactivate} hooks have run. Over the {@link Builder#maxActivations(int)
     * maximum activation count} or the {@link Builder#memoryPressure(int, int) memory limit}, it first
     * deactivates the least recently used idle activations, as the runtime's shedding check does every
     * {@link Builder#sheddingCheckInterval(Duration) check interval}. The runtime also does this by itself
     * every collection interval; tests that drive a manual clock call it to collect at once.
     * @return how many activations were deactivated
     */
    public int collectIdleActivations() {
        return this.catalog.collectIdle().join();
    }

    /**
     * Deactivates an actor once its current turn ends, with reason {@link DeactivationReason#EXPLICIT}; its
     * next call activates a fresh instance. A stateless worker's whole pool is deactivated, every worker once its
     * own turn ends.
     * @param contract the actor contract
     * @param id the actor id
     * @return whether the actor was active
     */
    public boolean deactivate(Class<? extends Actor> contract, String id) {
        return this.catalog.deactivate(this.registry.identity(contract, id), DeactivationReason.EXPLICIT);
    }

    /**
     * Deactivates an actor by its address once its current turn ends (a stateless worker's whole pool), and
     * tells when it has ended; a cluster
     * uses it to hand an actor over to the silo that owns it now. Calls that arrive meanwhile wait and go to
     * the next activation, which the {@link Builder#activationGate(ActivationGate) activation gate} may place
     * on another silo.
     * @param address the actor
     * @param reason why it ends, passed to {@code onDeactivate}
     * @return a stage completed with {@code true} once the activation has ended (its {@code onDeactivate} and
     * the activation hooks have run), or at once with {@code false} when the actor had no activation here
     */
    public CompletableFuture<Boolean> deactivate(ActorAddress address, DeactivationReason reason) {
        Objects.requireNonNull(address, "address must not be null");
        Objects.requireNonNull(reason, "reason must not be null");
        return this.catalog.deactivate(address, reason);
    }

    /**
     * Deactivates every activation whose address passes a test, each once its current turn ends; a cluster
     * uses it when membership moves actors to other silos.
     * @param which the test, run on this thread for every activation
     * @param reason why they end, passed to {@code onDeactivate}
     * @return a stage completed with their number once every one of them has ended
     */
    public CompletableFuture<Integer> deactivateWhere(Predicate<ActorAddress> which, DeactivationReason reason) {
        Objects.requireNonNull(which, "which must not be null");
        Objects.requireNonNull(reason, "reason must not be null");
        return this.catalog.deactivateWhere(which, reason);
    }

    /**
     * Drops every activation whose address passes a test, each once its current turn ends, without running
     * any of its code: {@code onDeactivate} is not called, and activation hooks see
     * {@link DeactivationReason#DROPPED}. A cluster uses it when this silo was declared dead: its actors live
     * on other silos now, and a deactivation that saved state could overwrite what they wrote. Calls that
     * arrive meanwhile go to the next activation, which the activation gate may place elsewhere.
     * @param which the test, run on this thread for every activation
     * @return a stage completed with their number once every one of them has ended
     */
    public CompletableFuture<Integer> dropWhere(Predicate<ActorAddress> which) {
        Objects.requireNonNull(which, "which must not be null");
        return this.catalog.deactivateWhere(which, DeactivationReason.DROPPED);
    }

    /**
     * Returns whether the runtime accepts calls.
     * @return {@code false} once {@link #close()} has begun
     */
    public boolean isRunning() {
        return !this.catalog.isClosed();
    }

    /**
     * Returns the clock the runtime measures idle time with.
     * @return the clock
     */
    public Clock clock() {
        return this.settings.clock();
    }

    /**
     * Stops accepting calls, lets running turns finish, deactivates every actor with reason
     * {@link DeactivationReason#SHUTDOWN} and fails the calls still waiting in mailboxes. Waits at most the
     * shutdown timeout.
     */
    @Override
    public void close() {
        if (this.catalog.isClosed()) {
            return;
        }
        logger.debug("Shutting down the actor runtime ({} activations)", this.catalog.size());
        try {
            this.catalog.close(this.settings.shutdownTimeout());
        }
        finally {
            this.dispatcher.close();
            this.timers.shutdownNow();
            if (this.closeOwnedTurnExecutor != null) {
                this.closeOwnedTurnExecutor.run();
            }
        }
    }

    private void scheduleCollection() {
        this.scheduler.schedule(this.settings.clock().instant().plus(this.settings.collectionInterval()), () -> {
            if (this.catalog.isClosed()) {
                return CompletableFuture.completedFuture(0);
            }
            CompletableFuture<Integer> collected;
            try {
                collected = this.catalog.collectIdle();
            }
            catch (RuntimeException ex) {
                logger.error("Idle collection failed", ex);
                collected = CompletableFuture.completedFuture(0);
            }
            return collected.whenComplete((count, failure) -> {
                if (failure != null) {
                    logger.error("Idle collection failed", failure);
                }
                scheduleCollection();
            });
        });
    }

    private static ThreadFactory daemonThreads(String name) {
        return (task) -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * Builds an {@link ActorRuntime}. Every setting has a default; see the setters.
     */
    public static final class Builder {

        /** The longest {@link #platformCallerSpin}: beyond a kernel wake-up's cost, spinning only burns a core. */
        private static final Duration MAX_PLATFORM_CALLER_SPIN = Duration.ofMillis(1);

        /** How many virtual threads of the default turn executor may wait for work: about 1 KB each. */
        private static final int IDLE_TURN_THREADS = Math.max(64, 16 * Runtime.getRuntime().availableProcessors());

        /** How many runners of the ready-queue scheduler run turns at once (blocked ones not counted). */
        private static final int READY_QUEUE_PARALLELISM = 2 * Runtime.getRuntime().availableProcessors();


        /** The ready-queue scheduler's fairness bound: turns of one activation before it is requeued. */
        private static final int READY_QUEUE_TURNS_PER_SCHEDULING = 32;

        /** The ready-queue scheduler's time slice: time since an activation's first turn before it is requeued. */
        private static final long READY_QUEUE_TIME_SLICE_NANOS = 1_000_000;

        /** How long a turn runs before the ready-queue scheduler counts its runner as blocked. */
        private static final long READY_QUEUE_BLOCKED_AFTER_NANOS = 1_000_000;

        /** Each implementation with its own factory, or {@code null} for the builder's instance factory. */
        private final Map<Class<?>, @Nullable ActorInstanceFactory> implementations = new LinkedHashMap<>();

        private ActorInstanceFactory instanceFactory = new ConstructorInstanceFactory();

        private Clock clock = Clock.systemUTC();

        private @Nullable Executor turnExecutor;

        private TurnScheduler turnScheduler = ActorRuntimeDefaults.TURN_SCHEDULER;

        private int readyQueueMaxRunners = ActorRuntimeDefaults.READY_QUEUE_MAX_RUNNERS;

        private Duration idleTimeout = ActorRuntimeDefaults.IDLE_TIMEOUT;

        private Duration collectionInterval = ActorRuntimeDefaults.COLLECTION_INTERVAL;

        private int mailboxCapacity = ActorRuntimeDefaults.MAILBOX_CAPACITY;

        private Duration mailboxFullTimeout = ActorRuntimeDefaults.MAILBOX_FULL_TIMEOUT;

        private Duration callTimeout = ActorRuntimeDefaults.CALL_TIMEOUT;

        private Duration platformCallerSpin = ActorRuntimeDefaults.PLATFORM_CALLER_SPIN;

        private Duration shutdownTimeout = ActorRuntimeDefaults.SHUTDOWN_TIMEOUT;

        private ActorMetrics metrics = ActorMetrics.NONE;

        private final List<ActivationHook> activationHooks = new ArrayList<>();

        private @Nullable RuntimeScheduler scheduler;

        private final Set<Class<?>> callableContracts = new LinkedHashSet<>();

        private final List<OutgoingCallFilter> outgoingFilters = new ArrayList<>();

        private final List<IncomingCallFilter> incomingFilters = new ArrayList<>();

        private final List<CallContextPropagator> contextPropagators = new ArrayList<>();

        private ActorLocator locator = ActorLocator.SINGLE_SILO;

        private RemoteCallSender remoteSender = RemoteCallSender.NONE;

        private RemoteWaits remoteWaits = RemoteWaits.NONE;

        private ActorTypeNames typeNames = ActorTypeNames.WIRE_NAME;

        private ActorReminderSource reminders = ActorReminderSource.NONE;

        private ActivationGate activationGate = ActivationGate.OPEN;

        /** At most this many activations (shedding); 0 for no limit. */
        private int maxActivations;

        /** Memory pressure limit and target in percent of the maximum heap; 0 when off. */
        private int memoryLimitPercent;

        private int memoryTargetPercent;

        private @Nullable HeapUsage heapUsage;

        private Duration sheddingCheckInterval = ActorRuntimeDefaults.SHEDDING_CHECK_INTERVAL;

        private Builder() {
        }

        /**
         * Declares a contract this runtime calls without hosting it, so that it is validated at start-up
         * rather than on first use. Undeclared contracts work as well: they are introspected on first use.
         * @param contract an interface extending {@link Actor}
         * @return this builder
         */
        public Builder callableContract(Class<? extends Actor> contract) {
            this.callableContracts.add(Objects.requireNonNull(contract, "contract must not be null"));
            return this;
        }

        /**
         * Adds a filter that runs on the caller's side around every call made through a reference of this
         * runtime, inside those added before it.
         * @param filter the filter
         * @return this builder
         */
        public Builder outgoingFilter(OutgoingCallFilter filter) {
            this.outgoingFilters.add(Objects.requireNonNull(filter, "filter must not be null"));
            return this;
        }

        /**
         * Adds a filter that runs inside the turn of every call an actor of this runtime serves, inside
         * those added before it (and inside the metrics filter the runtime adds when metrics are set).
         * @param filter the filter
         * @return this builder
         */
        public Builder incomingFilter(IncomingCallFilter filter) {
            this.incomingFilters.add(Objects.requireNonNull(filter, "filter must not be null"));
            return this;
        }

        /**
         * Adds what puts the calling thread's context (a trace context) into the metadata of every call made
         * through a reference of this runtime, when the call is created; after those added before it, each
         * given the metadata the previous one returned. Default: none.
         * @param propagator the propagator
         * @return this builder
         */
        public Builder contextPropagator(CallContextPropagator propagator) {
            this.contextPropagators.add(Objects.requireNonNull(propagator, "propagator must not be null"));
            return this;
        }

        /**
         * Sets what tells which silo an actor lives on. Default: this one, for every actor.
         * @param locator the locator
         * @return this builder
         */
        public Builder actorLocator(ActorLocator locator) {
            this.locator = Objects.requireNonNull(locator, "locator must not be null");
            return this;
        }

        /**
         * Sets what carries calls to other silos. Default: nothing; such calls fail.
         * @param sender the sender
         * @return this builder
         */
        public Builder remoteCallSender(RemoteCallSender sender) {
            this.remoteSender = Objects.requireNonNull(sender, "sender must not be null");
            return this;
        }

        /**
         * Sets what carries the search for deadlocks to other silos, so that cycles of call chains across silos
         * are found and broken. Default: nothing; such cycles end with the call timeout.
         * @param remoteWaits the carrier
         * @return this builder
         */
        public Builder remoteWaits(RemoteWaits remoteWaits) {
            this.remoteWaits = Objects.requireNonNull(remoteWaits, "remoteWaits must not be null");
            return this;
        }

        /**
         * Sets what names the actor type of a contract this runtime does not host. Default: the contract's
         * wire name.
         * @param typeNames the naming
         * @return this builder
         */
        public Builder actorTypeNames(ActorTypeNames typeNames) {
            this.typeNames = Objects.requireNonNull(typeNames, "typeNames must not be null");
            return this;
        }

        /**
         * Sets what decides whether a new activation may start on this silo, before its instance is created.
         * Default: every activation may.
         * @param activationGate the gate
         * @return this builder
         */
        public Builder activationGate(ActivationGate activationGate) {
            this.activationGate = Objects.requireNonNull(activationGate, "activationGate must not be null");
            return this;
        }

        /**
         * Registers an actor implementation whose instances the {@link #instanceFactory(ActorInstanceFactory)
         * instance factory} creates (by default its no-argument constructor).
         * @param implementation the implementation class
         * @return this builder
         */
        public Builder actor(Class<?> implementation) {
            Objects.requireNonNull(implementation, "implementation must not be null");
            this.implementations.put(implementation, null);
            return this;
        }

        /**
         * Registers an actor implementation whose instances come from a supplier.
         * @param implementation the implementation class
         * @param instances supplies a new instance per activation
         * @param <T> the implementation type
         * @return this builder
         */
        public <T> Builder actor(Class<T> implementation, Supplier<? extends T> instances) {
            Objects.requireNonNull(implementation, "implementation must not be null");
            Objects.requireNonNull(instances, "instances must not be null");
            this.implementations.put(implementation, (type) -> instances.get());
            return this;
        }

        /**
         * Sets how instances of implementations registered with {@link #actor(Class)} are created and
         * disposed of. Default: the no-argument constructor.
         * @param instanceFactory the factory
         * @return this builder
         */
        public Builder instanceFactory(ActorInstanceFactory instanceFactory) {
            this.instanceFactory = Objects.requireNonNull(instanceFactory, "instanceFactory must not be null");
            return this;
        }

        /**
         * Sets the clock idle time is measured with. Default: the system UTC clock.
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock must not be null");
            return this;
        }

        /**
         * Sets what starts the threads turns run on. Default: the runtime's own, chosen by
         * {@link #turnScheduler(TurnScheduler)}.
         * @param turnExecutor the executor
         * @return this builder
         */
        public Builder turnExecutor(Executor turnExecutor) {
            this.turnExecutor = Objects.requireNonNull(turnExecutor, "turnExecutor must not be null");
            return this;
        }

        /**
         * Sets how the runtime runs turns when no {@link #turnExecutor(Executor)} is given (one given wins).
         * Default: {@link TurnScheduler#VIRTUAL_THREADS}.
         * @param turnScheduler the scheduler
         * @return this builder
         */
        public Builder turnScheduler(TurnScheduler turnScheduler) {
            this.turnScheduler = Objects.requireNonNull(turnScheduler, "turnScheduler must not be null");
            return this;
        }

        /**
         * Sets how many runner threads the {@link TurnScheduler#READY_QUEUE ready-queue scheduler} may have,
         * blocked ones included (turns run on two runners per core, or on this many if fewer). A turn that waits
         * (a synchronous call to another actor, JDBC) holds its runner: once this many wait, further turns wait
         * for one to free, and synchronous calls between actors may run into their call timeout; once every
         * runner is blocked while work waits, the scheduler logs a WARN (at most one a minute) and counts the
         * episode ({@link ActorMetrics#turnRunnersExhausted(int)}). Ignored by the other scheduler and when a
         * {@link #turnExecutor(Executor)} is given. Default: 32,768.
         * @param maxRunners a positive number
         * @return this builder
         */
        public Builder readyQueueMaxRunners(int maxRunners) {
            if (maxRunners <= 0) {
                throw new InvalidSettingException("readyQueueMaxRunners", maxRunners, "must be positive");
            }
            this.readyQueueMaxRunners = maxRunners;
            return this;
        }

        /**
         * Sets how long an activation may receive no calls before it is deactivated. Default: 15 minutes.
         * @param idleTimeout a positive duration
         * @return this builder
         */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = positive("idleTimeout", idleTimeout);
            return this;
        }

        /**
         * Sets how often idle activations are looked for. Default: 1 minute.
         * @param collectionInterval a positive duration
         * @return this builder
         */
        public Builder collectionInterval(Duration collectionInterval) {
            this.collectionInterval = positive("collectionInterval", collectionInterval);
            return this;
        }

        /**
         * Sets how many messages may wait in one activation's mailbox. Default: 1000.
         * @param mailboxCapacity a positive number
         * @return this builder
         */
        public Builder mailboxCapacity(int mailboxCapacity) {
            if (mailboxCapacity <= 0) {
                throw new InvalidSettingException("mailboxCapacity", mailboxCapacity, "must be positive");
            }
            this.mailboxCapacity = mailboxCapacity;
            return this;
        }

        /**
         * Sets how long a caller waits for room in a full mailbox before it gets a
         * {@link dev.quark.actor.MailboxFullException}; zero fails at once. Default: 10 seconds.
         * @param mailboxFullTimeout a duration that is not negative
         * @return this builder
         */
        public Builder mailboxFullTimeout(Duration mailboxFullTimeout) {
            Objects.requireNonNull(mailboxFullTimeout, "mailboxFullTimeout must not be null");
            if (mailboxFullTimeout.isNegative()) {
                throw new InvalidSettingException("mailboxFullTimeout", mailboxFullTimeout, "must not be negative");
            }
            this.mailboxFullTimeout = mailboxFullTimeout;
            return this;
        }

        /**
         * Sets how long a caller waits for the result of a call before it gets an
         * {@link dev.quark.actor.ActorCallTimeoutException}. Default: 30 seconds.
         * @param callTimeout a positive duration
         * @return this builder
         */
        public Builder callTimeout(Duration callTimeout) {
            this.callTimeout = positive("callTimeout", callTimeout);
            return this;
        }

        /**
         * Sets how long a platform thread (not a virtual one) that makes a blocking call from outside a turn spins for
         * the answer before it parks. An uncontended call answers within a few microseconds once the turn's thread
         * runs; a caller that parked first needs a kernel wake-up to see it (tens of microseconds on an idle core).
         * At most half the processors spin at once (none on one processor), so callers do not take the cores the
         * turns need; a method whose answer missed the spin is spun for ever more rarely (a turn doing I/O, a call to
         * another silo); virtual threads, fork-join workers and threads inside turns never spin. Zero turns it off; at
         * most 1 ms, as a kernel wake-up costs tens of microseconds and a longer spin would only burn a core.
         * Default: 20 microseconds.
         * @param platformCallerSpin between zero and 1 ms
         * @return this builder
         */
        public Builder platformCallerSpin(Duration platformCallerSpin) {
            Objects.requireNonNull(platformCallerSpin, "platformCallerSpin must not be null");
            if (platformCallerSpin.isNegative()) {
                throw new InvalidSettingException("platformCallerSpin", platformCallerSpin, "must not be negative");
            }
            if (platformCallerSpin.compareTo(MAX_PLATFORM_CALLER_SPIN) > 0) {
                throw new InvalidSettingException("platformCallerSpin", platformCallerSpin,
                        "must be at most " + MAX_PLATFORM_CALLER_SPIN.toNanos() / 1000 + " µs");
            }
            this.platformCallerSpin = platformCallerSpin;
            return this;
        }

        /**
         * Sets how long {@link ActorRuntime#close()} waits for running turns and deactivations. Default: 30
         * seconds.
         * @param shutdownTimeout a positive duration
         * @return this builder
         */
        public Builder shutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = positive("shutdownTimeout", shutdownTimeout);
            return this;
        }

        /**
         * Sets where calls are recorded. Unless it is {@link ActorMetrics#NONE}, the runtime records calls
         * with a filter of its own, the outermost incoming filter. Default: nowhere.
         * @param metrics the metrics
         * @return this builder
         */
        public Builder metrics(ActorMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics must not be null");
            return this;
        }

        /**
         * Sets what runs timed work (timer ticks, restarts after a backoff, idle collection) on the runtime's
         * clock. Default: real time on an internal thread; tests use the test kit's {@code ManualScheduler}.
         * @param scheduler the scheduler
         * @return this builder
         */
        public Builder scheduler(RuntimeScheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Adds a hook that runs around every activation, after those added before it.
         * @param hook the hook
         * @return this builder
         */
        public Builder activationHook(ActivationHook hook) {
            this.activationHooks.add(Objects.requireNonNull(hook, "hook must not be null"));
            return this;
        }

        /**
         * Sets what gives actors their reminders ({@code dev.quark.reminder.ReminderRegistry}). Default: none;
         * an actor's reminder methods fail saying so.
         * @param reminders the reminder source
         * @return this builder
         */
        public Builder reminders(ActorReminderSource reminders) {
            this.reminders = Objects.requireNonNull(reminders, "reminders must not be null");
            return this;
        }

        /**
         * Validates the registered actors and starts the runtime.
         * @return the running runtime
         * @throws IllegalArgumentException naming a class or method that cannot be an actor
         * @throws IllegalStateException naming both classes when two implement one contract
         */
        public ActorRuntime build() {
            Map<Class<?>, ActorInstanceFactory> factories = new LinkedHashMap<>();
            this.implementations.forEach((implementation, factory) -> {
                if (factory == null && this.instanceFactory instanceof ConstructorInstanceFactory) {
                    ConstructorInstanceFactory.check(implementation);
                }
                factories.put(implementation, (factory != null) ? factory : this.instanceFactory);
            });
            ActorRegistry registry = ActorRegistry.of(factories, this.callableContracts, this.metrics, this.typeNames);
            // Made once the actors are known to be valid: a build that fails leaves no thread behind.
            Executor turnExecutor = this.turnExecutor;
            Runnable closeOwnedTurnExecutor = null;
            if (turnExecutor == null && this.turnScheduler == TurnScheduler.READY_QUEUE) {
                ReadyQueueScheduler owned = new ReadyQueueScheduler("quark-turn",
                        Math.min(READY_QUEUE_PARALLELISM, this.readyQueueMaxRunners), this.readyQueueMaxRunners,
                        READY_QUEUE_TURNS_PER_SCHEDULING, READY_QUEUE_TIME_SLICE_NANOS,
                        READY_QUEUE_BLOCKED_AFTER_NANOS, Thread.ofVirtual().name("quark-turn-", 0).factory(),
                        this.metrics);
                closeOwnedTurnExecutor = owned::close;
                turnExecutor = owned;
            }
            else if (turnExecutor == null) {
                VirtualThreadExecutor owned = new VirtualThreadExecutor("quark-turn", IDLE_TURN_THREADS);
                closeOwnedTurnExecutor = owned::close;
                turnExecutor = owned;
            }
            try {
                RuntimeSettings settings = new RuntimeSettings(this.clock, turnExecutor, this.idleTimeout,
                        this.collectionInterval, this.mailboxCapacity, this.mailboxFullTimeout, this.callTimeout,
                        this.platformCallerSpin, this.shutdownTimeout, this.metrics, this.activationHooks, shedding(), this.reminders,
                        this.activationGate);
                return new ActorRuntime(settings, registry, this.scheduler, closeOwnedTurnExecutor, this);
            }
            catch (RuntimeException | Error ex) {
                if (closeOwnedTurnExecutor != null) {
                    try {
                        closeOwnedTurnExecutor.run();
                    }
                    catch (RuntimeException | Error closing) {
                        // The build's own failure is the one to report.
                        ex.addSuppressed(closing);
                    }
                }
                throw ex;
            }
        }

        /**
         * Sets how many activations the silo should hold at most. Past it, the least recently used idle
         * activations are deactivated before their idle timeout, until 90% of the maximum remain. It is a
         * target, not a hard limit: calls are never refused, activations created between two checks count
         * only at the next, and busy activations are not deactivated. Default: no limit.
         * @param maxActivations a positive number
         * @return this builder
         */
        public Builder maxActivations(int maxActivations) {
            if (maxActivations <= 0) {
                throw new InvalidSettingException("maxActivations", maxActivations, "must be positive");
            }
            this.maxActivations = maxActivations;
            return this;
        }

        /**
         * Turns on shedding under memory pressure: once the heap in use after the last garbage collection
         * exceeds {@code limitPercent} of the maximum heap, the least recently used idle activations are
         * deactivated before their idle timeout until it is at most {@code targetPercent}. Default: off.
         * @param limitPercent the percentage past which shedding starts, 1 to 99
         * @param targetPercent the percentage at which it stops, 1 to 99 and below {@code limitPercent}
         * @return this builder
         */
        public Builder memoryPressure(int limitPercent, int targetPercent) {
            percent("memoryPressure limitPercent", limitPercent);
            percent("memoryPressure targetPercent", targetPercent);
            if (targetPercent >= limitPercent) {
                throw new InvalidSettingException("memoryPressure targetPercent", targetPercent,
                        "must be below the limit (" + limitPercent + ")");
            }
            this.memoryLimitPercent = limitPercent;
            this.memoryTargetPercent = targetPercent;
            return this;
        }

        /**
         * Sets how the heap is measured for {@link #memoryPressure(int, int) memory pressure}. Default: the
         * JVM's heap memory pools, usage after their last collection against the maximum heap.
         * @param heapUsage the measurement
         * @return this builder
         */
        public Builder heapUsage(HeapUsage heapUsage) {
            this.heapUsage = Objects.requireNonNull(heapUsage, "heapUsage must not be null");
            return this;
        }

        /**
         * Sets how often the activation count and the heap are checked against {@link #maxActivations(int)}
         * and {@link #memoryPressure(int, int)}; no check runs when neither is set. A check under the limits
         * costs a counter read and a heap reading. Default: 1 second.
         * @param sheddingCheckInterval a positive duration
         * @return this builder
         */
        public Builder sheddingCheckInterval(Duration sheddingCheckInterval) {
            this.sheddingCheckInterval = positive("sheddingCheckInterval", sheddingCheckInterval);
            return this;
        }

        private SheddingSettings shedding() {
            // The JVM's memory beans only when memory pressure is on: a runtime without it never reads the heap.
            HeapUsage heap = (this.heapUsage != null) ? this.heapUsage
                    : (this.memoryLimitPercent > 0) ? new JvmHeapUsage() : () -> new HeapReading(0, 0, 0);
            return new SheddingSettings(this.maxActivations, this.memoryLimitPercent, this.memoryTargetPercent, heap,
                    this.sheddingCheckInterval);
        }

        private static void percent(String name, int value) {
            if (value < 1 || value > 99) {
                throw new InvalidSettingException(name, value, "must be between 1 and 99");
            }
        }

        private static Duration positive(String name, Duration value) {
            Objects.requireNonNull(value, name + " must not be null");
            if (value.isNegative() || value.isZero()) {
                throw new InvalidSettingException(name, value, "must be positive");
            }
            return value;
        }
    }
}
