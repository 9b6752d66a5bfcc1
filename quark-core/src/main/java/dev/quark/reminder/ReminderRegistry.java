package dev.quark.reminder;

import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

import dev.quark.actor.ActorReminders;
import dev.quark.actor.Reminder;
import dev.quark.actor.ReminderException;
import dev.quark.actor.ReminderSchedule;
import dev.quark.actor.Remindable;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorReminderSource;
import dev.quark.runtime.ActorTypeView;

/**
 * Registers, replaces, reads and removes reminders in a {@link ReminderTable} on behalf of actors: what
 * {@link dev.quark.actor.AbstractActor}'s reminder methods reach through the runtime, which takes it as its
 * {@link ActorReminderSource}. It validates everything before it writes, so that a wrong argument stores
 * nothing, turns a schedule's delay into the instant of its first tick on its clock, and tells its listeners
 * (the silo's {@link ReminderTickManager}) about every change so that a reminder due soon need not wait for the
 * next read of the table.
 * <pre>{@code
 * ReminderTable table = new InMemoryReminderTable();
 * ReminderRegistry registry = new ReminderRegistry(table, Clock.systemUTC());
 * ActorRuntime runtime = ActorRuntime.builder().actor(AccountActor.class).reminders(registry).build();
 * ReminderTickManager ticks = ReminderTickManager.builder(table, runtime).registry(registry).build();
 * ticks.start();
 * }</pre>
 */
public final class ReminderRegistry implements ActorReminderSource {

    /** The default of the largest payload, in bytes. */
    public static final int DEFAULT_MAX_PAYLOAD_SIZE = 4096;

    /** The largest payload limit a registry accepts, in bytes: reminders are not a place for documents. */
    public static final int MAX_PAYLOAD_SIZE_LIMIT = 1024 * 1024;

    private final ReminderTable table;

    private final Clock clock;

    private final int maxPayloadSize;

    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    /**
     * Creates a registry with payloads of at most {@value #DEFAULT_MAX_PAYLOAD_SIZE} bytes.
     * @param table where reminders are kept
     * @param clock the clock delays are measured on, the runtime's
     */
    public ReminderRegistry(ReminderTable table, Clock clock) {
        this(table, clock, DEFAULT_MAX_PAYLOAD_SIZE);
    }

    /**
     * Creates a registry.
     * @param table where reminders are kept
     * @param clock the clock delays are measured on, the runtime's
     * @param maxPayloadSize the largest payload in bytes, from 0 to {@value #MAX_PAYLOAD_SIZE_LIMIT}
     */
    public ReminderRegistry(ReminderTable table, Clock clock, int maxPayloadSize) {
        this.table = Objects.requireNonNull(table, "table must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        if (maxPayloadSize < 0 || maxPayloadSize > MAX_PAYLOAD_SIZE_LIMIT) {
            throw new IllegalArgumentException("maxPayloadSize must be between 0 and " + MAX_PAYLOAD_SIZE_LIMIT
                    + " bytes, was " + maxPayloadSize);
        }
        this.maxPayloadSize = maxPayloadSize;
    }

    /**
     * Returns the table reminders are kept in.
     * @return the table
     */
    public ReminderTable table() {
        return this.table;
    }

    /**
     * Adds a listener told about every registration and removal made through this registry.
     * @param listener the listener
     */
    public void addListener(Listener listener) {
        this.listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
    }

    /**
     * Removes a listener.
     * @param listener the listener
     */
    public void removeListener(Listener listener) {
        this.listeners.remove(listener);
    }

    @Override
    public ActorReminders remindersOf(ActorTypeView type, ActorAddress address) {
        return new ActorView(type, address);
    }

    /**
     * Registers a reminder, or replaces the one with the same name; see
     * {@link dev.quark.actor.AbstractActor#registerReminder(String, ReminderSchedule, byte[])}. Called from
     * outside an actor it cannot check that the actor's type implements {@link Remindable}: ticks to one that
     * does not fail, and are counted as failed.
     * @param actor the actor that receives it
     * @param name its name
     * @param schedule when it ticks
     * @param payload delivered with every tick
     * @return the registered reminder
     * @throws IllegalArgumentException naming the value when an argument is wrong; nothing is stored
     * @throws ReminderException when the table fails
     */
    public Reminder register(ActorAddress actor, String name, ReminderSchedule schedule, byte[] payload) {
        ReminderKey key = new ReminderKey(actor, name);
        Objects.requireNonNull(schedule, "Schedule of the " + key + " must not be null");
        Objects.requireNonNull(payload, "Payload of the " + key + " must not be null");
        if (payload.length > this.maxPayloadSize) {
            throw new IllegalArgumentException("The payload of the " + key + " is " + payload.length
                    + " bytes, more than the limit of " + this.maxPayloadSize
                    + " bytes (quark.reminders.max-payload-size)");
        }
        ReminderSchedule stored = TickSchedule.resolve(key, schedule, this.clock.instant());
        ReminderTick first = ReminderTick.first(stored.dueAt().orElseThrow(), 1);
        ReminderEntry entry = new ReminderEntry(key, ThreadLocalRandom.current().nextLong(), stored, payload, first);
        run("register", key, () -> {
            this.table.save(entry);
            return null;
        });
        this.table.afterCommit(() -> this.listeners.forEach((listener) -> listener.registered(entry)));
        return entry.toReminder();
    }

    /**
     * Removes a reminder; see {@link dev.quark.actor.AbstractActor#unregisterReminder(String)}.
     * @param actor the actor
     * @param name the reminder's name
     * @return whether there was one
     * @throws ReminderException when the table fails
     */
    public boolean unregister(ActorAddress actor, String name) {
        ReminderKey key = new ReminderKey(actor, name);
        boolean removed = run("unregister", key, () -> this.table.delete(key));
        this.table.afterCommit(() -> this.listeners.forEach((listener) -> listener.unregistered(key)));
        return removed;
    }

    /**
     * Reads a reminder.
     * @param actor the actor
     * @param name the reminder's name
     * @return the reminder, empty when there is none
     * @throws ReminderException when the table fails
     */
    public Optional<Reminder> get(ActorAddress actor, String name) {
        ReminderKey key = new ReminderKey(actor, name);
        return run("read", key, () -> this.table.find(key)).map(ReminderEntry::toReminder);
    }

    /**
     * Reads every reminder of an actor.
     * @param actor the actor
     * @return its reminders, by name
     * @throws ReminderException when the table fails
     */
    public List<Reminder> list(ActorAddress actor) {
        Objects.requireNonNull(actor, "actor must not be null");
        try {
            return this.table.list(actor).stream().map(ReminderEntry::toReminder).toList();
        }
        catch (RuntimeException ex) {
            throw new ReminderException("Cannot read the reminders of " + actor + ": " + ex.getMessage(), ex);
        }
    }

    private <T> T run(String operation, ReminderKey key, Supplier<T> action) {
        try {
            return action.get();
        }
        catch (RuntimeException ex) {
            throw new ReminderException("Cannot " + operation + " the " + key + ": " + ex.getMessage(), ex);
        }
    }

    @Override
    public String toString() {
        return "ReminderRegistry[" + this.table + "]";
    }

    /**
     * Told about the changes made through a registry, once they are stored: when they were made in a transaction the
     * table joins (PostgreSQL), once it commits, and not at all when it rolls back ({@link ReminderTable#afterCommit}).
     */
    public interface Listener {

        /**
         * A reminder was registered or replaced.
         * @param entry the stored reminder, with a new registration
         */
        void registered(ReminderEntry entry);

        /**
         * A reminder was removed, or was not there to remove.
         * @param key the reminder
         */
        void unregistered(ReminderKey key);
    }

    /**
     * The reminders of one actor, for its {@link dev.quark.actor.AbstractActor} methods.
     */
    private final class ActorView implements ActorReminders {

        private final ActorTypeView type;

        private final ActorAddress address;

        ActorView(ActorTypeView type, ActorAddress address) {
            this.type = type;
            this.address = address;
        }

        @Override
        public Reminder register(String name, ReminderSchedule schedule, byte[] payload) {
            if (!Remindable.class.isAssignableFrom(this.type.implementation())) {
                throw new IllegalStateException("Actor type " + this.type.name() + " ("
                        + this.type.implementation().getName() + ") does not implement " + Remindable.class.getName()
                        + ", so it cannot receive reminder '" + name + "': implement receiveReminder(name, status)");
            }
            return ReminderRegistry.this.register(this.address, name, schedule, payload);
        }

        @Override
        public boolean unregister(String name) {
            return ReminderRegistry.this.unregister(this.address, name);
        }

        @Override
        public Optional<Reminder> get(String name) {
            return ReminderRegistry.this.get(this.address, name);
        }

        @Override
        public List<Reminder> list() {
            return ReminderRegistry.this.list(this.address);
        }
    }
}
