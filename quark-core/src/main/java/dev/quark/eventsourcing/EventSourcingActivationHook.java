package dev.quark.eventsourcing;

import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.actor.DeactivationReason;
import dev.quark.runtime.ActivationHook;
import dev.quark.runtime.ActorInstance;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.ResolvableType;

/**
 * Gives every activation of an {@link EventSourcedActor} its event stream: rebuilds its state from the latest
 * snapshot and the events after it, before {@code onActivate()}. An event that cannot be read, or a store that
 * cannot be reached, fails the activation; the call that triggered it gets an
 * {@link dev.quark.actor.ActivationException} whose cause names the stream, and the next call tries again.
 * <p>
 * The Spring Boot starter registers one; without Spring, add it to the runtime:
 * <pre>{@code
 * ActorRuntime runtime = ActorRuntime.builder()
 *     .actor(AccountActor.class)
 *     .activationHook(new EventSourcingActivationHook(new InMemoryEventStore(), JsonMapper.shared(), List.of(), 100))
 *     .build();
 * }</pre>
 */
public final class EventSourcingActivationHook implements ActivationHook {

    /** How many events follow a snapshot before the next one, unless configured otherwise. */
    public static final int DEFAULT_SNAPSHOT_EVERY = 100;

    private final EventStore store;

    private final JsonMapper mapper;

    private final List<EventUpcaster> upcasters;

    private final int snapshotEvery;

    private final Map<Class<?>, Types> types = new ConcurrentHashMap<>();

    /**
     * Creates the hook.
     * @param store where the streams are kept
     * @param mapper writes and reads events and snapshots, usually the application's
     * @param upcasters bring old event payloads up to date
     * @param snapshotEvery how many events follow a snapshot before the next one, unless an actor says otherwise
     * @throws IllegalArgumentException when {@code snapshotEvery} is below 1, or the upcasters do not pass
     * {@link EventSerializer#check} (so that the application does not start, rather than fail every activation)
     */
    public EventSourcingActivationHook(EventStore store, JsonMapper mapper, List<EventUpcaster> upcasters,
            int snapshotEvery) {
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.mapper = Objects.requireNonNull(mapper, "mapper must not be null");
        this.upcasters = List.copyOf(upcasters);
        EventSerializer.check(this.upcasters);
        if (snapshotEvery < 1) {
            throw new IllegalArgumentException("Snapshots every " + snapshotEvery + " events: must be at least 1");
        }
        this.snapshotEvery = snapshotEvery;
    }

    /**
     * Returns the state type and the event base type of an event-sourced actor class.
     * @param implementation the actor class
     * @return the state type and the event types
     * @throws IllegalStateException naming the class when its type arguments cannot be resolved or its events are
     * not a sealed hierarchy
     */
    public static EventSourcedTypes typesOf(Class<?> implementation) {
        ResolvableType actorType = ResolvableType.forClass(implementation).as(EventSourcedActor.class);
        Type state = actorType.getGeneric(0).getType();
        Class<?> events = actorType.getGeneric(1).resolve();
        if (actorType.getGeneric(0).resolve() == null || events == null) {
            throw new IllegalStateException("Event-sourced actor " + implementation.getName() + " must give concrete "
                    + "types for EventSourcedActor<S, E>, was " + actorType);
        }
        try {
            return new EventSourcedTypes(state, EventTypes.of(events));
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalStateException("Event-sourced actor " + implementation.getName() + ": " + ex.getMessage(), ex);
        }
    }

    @Override
    @SuppressWarnings({ "unchecked", "rawtypes" })
    public void beforeActivate(ActorInstance actor) {
        if (!(actor.instance() instanceof EventSourcedActor<?, ?> sourced)) {
            return;
        }
        Types resolved = this.types.computeIfAbsent(actor.type().implementation(), (type) -> {
            EventSourcedTypes found = typesOf(type);
            return new Types(found.state(), new EventSerializer<>(this.mapper, found.events(), this.upcasters));
        });
        int every = (sourced.snapshotEvery() > 0) ? sourced.snapshotEvery() : this.snapshotEvery;
        EventSourcedActor raw = sourced;
        EventJournal journal = new EventJournal(raw, this.store, resolved.serializer(), this.mapper, resolved.state(),
                sourced.streamName(actor.type().name(), actor.id()), every, sourced.truncateAfterSnapshot());
        journal.load();
        raw.attach(journal);
    }

    @Override
    public void afterDeactivate(ActorInstance actor, DeactivationReason reason) {
        if (actor.instance() instanceof EventSourcedActor<?, ?> sourced) {
            sourced.detach();
        }
    }

    @Override
    public String toString() {
        return "EventSourcingActivationHook[" + this.store + "]";
    }

    /**
     * The types of an event-sourced actor class.
     *
     * @param state the state type
     * @param events the event classes
     */
    public record EventSourcedTypes(Type state, EventTypes<?> events) {
    }

    private record Types(Type state, EventSerializer<?> serializer) {
    }
}
