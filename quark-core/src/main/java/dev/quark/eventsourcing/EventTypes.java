package dev.quark.eventsourcing;

import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The event classes of one event base type and their stored names and schema versions, read once. For a sealed
 * base type, the classes are its permitted subclasses (recursively); otherwise the base type itself must be the one
 * concrete event class, or the classes are listed.
 *
 * @param <E> the event base type
 */
public final class EventTypes<E> {

    private final Class<E> base;

    private final Map<Class<?>, Name> names = new LinkedHashMap<>();

    private final Map<String, Class<? extends E>> classes = new LinkedHashMap<>();

    private EventTypes(Class<E> base, Collection<Class<? extends E>> eventClasses) {
        this.base = base;
        for (Class<? extends E> eventClass : eventClasses) {
            EventType annotation = eventClass.getAnnotation(EventType.class);
            String name = (annotation != null && !annotation.value().isBlank()) ? annotation.value()
                    : eventClass.getSimpleName();
            int version = (annotation != null) ? annotation.version() : 1;
            if (version < 1) {
                throw new IllegalArgumentException("Event class " + eventClass.getName() + " declares schema version "
                        + version + "; schema versions start at 1");
            }
            Class<? extends E> other = this.classes.putIfAbsent(name, eventClass);
            if (other != null) {
                throw new IllegalArgumentException("Event classes " + other.getName() + " and " + eventClass.getName()
                        + " are both stored as event type '" + name + "'; give one another name with @EventType");
            }
            this.names.put(eventClass, new Name(name, version));
        }
    }

    /**
     * Reads the event classes of a base type: its permitted subclasses when it is sealed, else the type itself.
     * @param base the event base type
     * @param <E> the event base type
     * @return the event types
     * @throws IllegalArgumentException when two classes have the same type name, or the base type is neither sealed
     * nor concrete
     */
    public static <E> EventTypes<E> of(Class<E> base) {
        Objects.requireNonNull(base, "base must not be null");
        List<Class<? extends E>> concrete = new java.util.ArrayList<>();
        Deque<Class<?>> pending = new ArrayDeque<>();
        pending.add(base);
        while (!pending.isEmpty()) {
            Class<?> type = pending.poll();
            if (type.isSealed()) {
                pending.addAll(List.of(type.getPermittedSubclasses()));
            }
            else if (!type.isInterface() && !Modifier.isAbstract(type.getModifiers())) {
                concrete.add(type.asSubclass(base));
            }
            else {
                throw new IllegalArgumentException("Event type " + type.getName() + " is neither sealed nor a concrete "
                        + "class: make the event base type a sealed interface whose permitted classes are the events");
            }
        }
        return new EventTypes<>(base, concrete);
    }

    /**
     * Lists event classes explicitly.
     * @param base the event base type
     * @param eventClasses the concrete event classes
     * @param <E> the event base type
     * @return the event types
     */
    public static <E> EventTypes<E> of(Class<E> base, Collection<Class<? extends E>> eventClasses) {
        return new EventTypes<>(base, List.copyOf(eventClasses));
    }

    /**
     * Returns the event base type.
     * @return the base type
     */
    public Class<E> base() {
        return this.base;
    }

    /**
     * Returns the concrete event classes.
     * @return the classes, by type name
     */
    public Map<String, Class<? extends E>> classes() {
        return java.util.Collections.unmodifiableMap(this.classes);
    }

    /**
     * Returns the stored name and current schema version of an event's class.
     * @param eventClass the class
     * @return the name and version
     * @throws IllegalArgumentException naming the class when it is not one of the event classes
     */
    public Name nameOf(Class<?> eventClass) {
        Name name = this.names.get(eventClass);
        if (name == null) {
            throw new IllegalArgumentException(eventClass.getName() + " is not one of the event classes of "
                    + this.base.getName() + ": " + this.classes.values().stream().map(Class::getName).toList());
        }
        return name;
    }

    /**
     * Returns the class stored under a type name.
     * @param type the type name
     * @return the class, or {@code null} when no class has that name
     */
    public @org.jspecify.annotations.Nullable Class<? extends E> classOf(String type) {
        return this.classes.get(type);
    }

    /**
     * An event class's stored name and current schema version.
     *
     * @param type the type name
     * @param version the schema version
     */
    public record Name(String type, int version) {
    }
}
