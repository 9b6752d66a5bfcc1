package dev.quark.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.quark.actor.Actor;
import dev.quark.actor.ActorRefFactory;
import dev.quark.eventsourcing.EventSourcedActor;
import dev.quark.eventsourcing.EventSourcingActivationHook;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.EventUpcaster;
import dev.quark.eventsourcing.memory.InMemoryEventStore;
import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.runtime.ActorRuntime;
import dev.quark.state.JsonStateSerializer;
import dev.quark.state.StateActivationHook;
import dev.quark.state.StateSerializer;
import dev.quark.state.StateStore;
import dev.quark.state.StateStoreRegistry;
import dev.quark.state.memory.InMemoryStateStore;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs actors in a plain unit test, without Spring, on a {@link ManualClock}.
 * <pre>{@code
 * try (ActorTestKit kit = ActorTestKit.builder().actor(AccountActor.class).build()) {
 *     Account account = kit.get(Account.class, "alice");
 *     account.deposit(10);
 *     kit.advanceTime(Duration.ofMinutes(16));   // past the idle timeout: the account is deactivated
 *     assertThat(kit.isActive(Account.class, "alice")).isFalse();
 * }
 * }</pre>
 * Time moves only with {@link #advanceTime(Duration)}, which also runs what became due (timer ticks,
 * restarts after a backoff, idle collection every virtual second), so tests never sleep.
 * <p>
 * Actors with {@link dev.quark.state.ActorState persistent state} keep it in an {@link InMemoryStateStore} by
 * default ({@link #stateStores()} shows what they saved); {@link Builder#stateStore(String, StateStore)} adds
 * the named stores they refer to.
 * <p>
 * {@link Builder#reminders()} gives the actors {@link dev.quark.actor.Remindable reminders}, kept in an
 * {@link InMemoryReminderTable} (or the table given to {@link Builder#reminders(ReminderTable, ReminderSettings)})
 * and fired in virtual time like timers:
 * <pre>{@code
 * try (ActorTestKit kit = ActorTestKit.builder().actor(AccountActor.class).reminders().build()) {
 *     kit.get(Account.class, "alice").open();            // registers a reminder due in 30 days
 *     kit.advanceTime(Duration.ofDays(30));             // the tick runs as a turn of alice
 * }
 * }</pre>
 */
public final class ActorTestKit implements ActorRefFactory, AutoCloseable {

    private final ManualClock clock;

    private final ManualScheduler scheduler;

    private final ActorRuntime runtime;

    private final StateStoreRegistry stateStores;

    private final @Nullable ReminderTickManager reminders;

    private final EventStore eventStore;

    private ActorTestKit(ManualClock clock, ManualScheduler scheduler, ActorRuntime runtime,
            StateStoreRegistry stateStores, @Nullable ReminderTickManager reminders, EventStore eventStore) {
        this.clock = clock;
        this.scheduler = scheduler;
        this.runtime = runtime;
        this.stateStores = stateStores;
        this.reminders = reminders;
        this.eventStore = eventStore;
    }

    /**
     * Starts building a test kit.
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public <T extends Actor> T get(Class<T> contract, String id) {
        return this.runtime.get(contract, id);
    }

    /**
     * Moves the clock forward and runs what falls due on the way, in order, each at its instant: timer
     * ticks, restarts after a backoff, idle collection. Returns once that work is done, so the test sees its
     * effects.
     * @param duration how far to move, not negative
     */
    public void advanceTime(Duration duration) {
        this.scheduler.advance(duration);
        this.runtime.collectIdleActivations();
    }

    /**
     * Returns whether an actor has an activation now.
     * @param contract the actor contract
     * @param id the actor id
     * @return whether it is active
     */
    public boolean isActive(Class<? extends Actor> contract, String id) {
        return this.runtime.isActive(contract, id);
    }

    /**
     * Returns the number of live activations.
     * @return the activation count
     */
    public int activationCount() {
        return this.runtime.activationCount();
    }

    /**
     * Returns the clock the runtime runs on.
     * @return the manual clock
     */
    public ManualClock clock() {
        return this.clock;
    }

    /**
     * Returns the scheduler that runs the runtime's timed work in virtual time.
     * @return the manual scheduler
     */
    public ManualScheduler scheduler() {
        return this.scheduler;
    }

    /**
     * Returns the stores the actors' persistent states are kept in, to look at what they saved or to prepare
     * what they will load.
     * @return the stores by name; {@code stateStores().store("")} is the default store
     */
    public StateStoreRegistry stateStores() {
        return this.stateStores;
    }

    /**
     * Returns the tick manager that fires the actors' reminders, to look at its {@link ReminderTickManager#stats()
     * counters} or its table.
     * @return the tick manager
     * @throws IllegalStateException when the kit was built without {@link Builder#reminders()}
     */
    public ReminderTickManager reminders() {
        if (this.reminders == null) {
            throw new IllegalStateException("This test kit has no reminders: build it with ActorTestKit.builder().reminders()");
        }
        return this.reminders;
    }

    /**
     * Returns the store that {@link EventSourcedActor event-sourced actors} append to, to look at their streams or
     * to prepare what they will read.
     * @return the event store; an {@link InMemoryEventStore} on the kit's clock unless
     * {@link Builder#eventStore(EventStore)} gave another
     */
    public EventStore eventStore() {
        return this.eventStore;
    }

    /**
     * Returns the runtime under test, for what this class does not offer directly.
     * @return the runtime
     */
    public ActorRuntime runtime() {
        return this.runtime;
    }

    /**
     * Shuts the runtime down; every activation is deactivated with reason {@code SHUTDOWN}.
     */
    @Override
    public void close() {
        try {
            if (this.reminders != null) {
                this.reminders.close();
            }
        }
        finally {
            this.runtime.close();
        }
    }

    /**
     * Builds an {@link ActorTestKit}.
     */
    public static final class Builder {

        private final ActorRuntime.Builder runtime = ActorRuntime.builder().collectionInterval(Duration.ofSeconds(1));

        private @Nullable EventStore eventStore;

        private int snapshotEvery = EventSourcingActivationHook.DEFAULT_SNAPSHOT_EVERY;

        private final List<EventUpcaster> upcasters = new ArrayList<>();

        private ManualClock clock = new ManualClock();

        private StateStoreRegistry stateStores = StateStoreRegistry.of(new InMemoryStateStore());

        private StateSerializer stateSerializer = new JsonStateSerializer();

        private @Nullable ReminderTable reminderTable;

        private ReminderSettings reminderSettings = ReminderSettings.DEFAULTS;

        private Builder() {
        }

        /**
         * Gives the actors reminders, kept in a new {@link InMemoryReminderTable} and fired by a
         * {@link ReminderTickManager} in virtual time. Default: no reminders.
         * @return this builder
         */
        public Builder reminders() {
            return reminders(new InMemoryReminderTable(), ReminderSettings.DEFAULTS);
        }

        /**
         * Gives the actors reminders kept in a table, for instance one on a test server shared by several kits
         * to test a restart. Default: no reminders.
         * @param table the table
         * @param settings the tick manager's settings
         * @return this builder
         */
        public Builder reminders(ReminderTable table, ReminderSettings settings) {
            this.reminderTable = Objects.requireNonNull(table, "table must not be null");
            this.reminderSettings = Objects.requireNonNull(settings, "settings must not be null");
            return this;
        }

        /**
         * Sets the default store of persistent states. Default: a new {@link InMemoryStateStore}.
         * @param store the store
         * @return this builder
         */
        public Builder stateStore(StateStore store) {
            StateStoreRegistry stores = StateStoreRegistry.of(store);
            for (String name : this.stateStores.names()) {
                if (!name.equals(StateStoreRegistry.DEFAULT)) {
                    stores = stores.with(name, this.stateStores.store(name));
                }
            }
            this.stateStores = stores;
            return this;
        }

        /**
         * Adds a named store of persistent states, for {@code @ActorState(store = name)}.
         * @param name the store's name
         * @param store the store
         * @return this builder
         */
        public Builder stateStore(String name, StateStore store) {
            this.stateStores = this.stateStores.with(name, store);
            return this;
        }

        /**
         * Sets how persistent states are converted to JSON. Default: a {@link JsonStateSerializer} with Jackson's
         * default mapper.
         * @param serializer the serializer
         * @return this builder
         */
        public Builder stateSerializer(StateSerializer serializer) {
            this.stateSerializer = Objects.requireNonNull(serializer, "serializer must not be null");
            return this;
        }

        /**
         * Registers an actor implementation created with its no-argument constructor.
         * @param implementation the implementation class
         * @return this builder
         */
        public Builder actor(Class<?> implementation) {
            this.runtime.actor(implementation);
            return this;
        }

        /**
         * Registers an actor implementation whose instances come from a supplier, for constructor
         * injection of test doubles.
         * @param implementation the implementation class
         * @param instances supplies a new instance per activation
         * @param <T> the implementation type
         * @return this builder
         */
        public <T> Builder actor(Class<T> implementation, Supplier<? extends T> instances) {
            this.runtime.actor(implementation, instances);
            return this;
        }

        /**
         * Sets the clock to run on. Default: a new {@link ManualClock} at {@link ManualClock#DEFAULT_START}.
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(ManualClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock must not be null");
            return this;
        }

        /**
         * Changes any other runtime setting (timeouts, mailbox capacity, ...).
         * @param customizer applied to the runtime builder
         * @return this builder
         */
        public Builder runtime(Consumer<ActorRuntime.Builder> customizer) {
            customizer.accept(this.runtime);
            return this;
        }

        /**
         * Keeps the streams of {@link EventSourcedActor event-sourced actors} in the given store instead of an
         * {@link InMemoryEventStore}.
         * @param store the event store
         * @return this builder
         */
        public Builder eventStore(EventStore store) {
            this.eventStore = Objects.requireNonNull(store, "store must not be null");
            return this;
        }

        /**
         * Sets how many events follow a snapshot before event-sourced actors save the next one, unless an actor
         * says otherwise.
         * @param events the number, at least 1
         * @return this builder
         */
        public Builder snapshotEvery(int events) {
            this.snapshotEvery = events;
            return this;
        }

        /**
         * Adds upcasters that event-sourced actors read old event payloads with.
         * @param upcasters the upcasters
         * @return this builder
         */
        public Builder upcasters(EventUpcaster... upcasters) {
            this.upcasters.addAll(List.of(upcasters));
            return this;
        }

        /**
         * Starts the runtime. Persistent states are loaded by a {@link StateActivationHook} that runs after the
         * hooks added through {@link #runtime(Consumer)}.
         * @return the test kit
         */
        public ActorTestKit build() {
            this.runtime.activationHook(new StateActivationHook(this.stateStores, this.stateSerializer));
            EventStore events = (this.eventStore != null) ? this.eventStore : new InMemoryEventStore(this.clock);
            this.runtime.activationHook(new EventSourcingActivationHook(events, JsonMapper.shared(), this.upcasters,
                    this.snapshotEvery));
            ManualScheduler scheduler = new ManualScheduler(this.clock);
            ReminderTable table = this.reminderTable;
            ReminderRegistry registry = (table != null) ? new ReminderRegistry(table, this.clock) : null;
            if (registry != null) {
                this.runtime.reminders(registry);
            }
            ActorRuntime built = this.runtime.clock(this.clock).scheduler(scheduler).build();
            ReminderTickManager reminders = null;
            if (table != null && registry != null) {
                reminders = ReminderTickManager.builder(table, built)
                    .registry(registry)
                    .settings(this.reminderSettings)
                    .build();
                reminders.start();
                scheduler.runDueTasks();
            }
            return new ActorTestKit(this.clock, scheduler, built, this.stateStores, reminders, events);
        }
    }
}
