package dev.quark.state;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The state stores an application uses, by name: the default store and any named ones that
 * {@link ActorState#store()} refers to. Immutable.
 */
public final class StateStoreRegistry {

    /** The name of the default store; {@link ActorState#store()} left empty means this store. */
    public static final String DEFAULT = "default";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");

    private final Map<String, StateStore> stores;

    private StateStoreRegistry(Map<String, StateStore> stores) {
        this.stores = stores;
    }

    /**
     * Creates a registry with only a default store.
     * @param defaultStore the default store
     * @return the registry
     */
    public static StateStoreRegistry of(StateStore defaultStore) {
        Objects.requireNonNull(defaultStore, "defaultStore must not be null");
        Map<String, StateStore> stores = new LinkedHashMap<>();
        stores.put(DEFAULT, defaultStore);
        return new StateStoreRegistry(stores);
    }

    /**
     * Returns a registry with one more named store.
     * @param name the store's name: letters, digits, {@code _} and {@code -}, not {@value #DEFAULT}
     * @param store the store
     * @return a new registry
     * @throws IllegalArgumentException when the name is not allowed or already taken
     */
    public StateStoreRegistry with(String name, StateStore store) {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(store, "store must not be null");
        if (!isValidName(name)) {
            throw new IllegalArgumentException("Store name '" + name + "' is not allowed: use letters, digits, '_' and '-'");
        }
        if (this.stores.containsKey(name)) {
            throw new IllegalArgumentException("Store name '" + name + "' is already taken");
        }
        Map<String, StateStore> stores = new LinkedHashMap<>(this.stores);
        stores.put(name, store);
        return new StateStoreRegistry(stores);
    }

    /**
     * Tells whether a store may have this name: letters, digits, {@code _} and {@code -}.
     * @param name the candidate
     * @return whether it is allowed ({@value #DEFAULT} is allowed, but taken by the default store)
     */
    public static boolean isValidName(String name) {
        return NAME.matcher(name).matches();
    }

    /**
     * Returns a store by name.
     * @param name the store's name; empty or {@value #DEFAULT} for the default store
     * @return the store
     * @throws NoSuchElementException naming the store and the known ones when there is no such store
     */
    public StateStore store(String name) {
        return find(name).orElseThrow(() -> new NoSuchElementException(
                "No state store named '" + name + "'; the stores are " + this.stores.keySet()));
    }

    /**
     * Looks a store up by name.
     * @param name the store's name; empty or {@value #DEFAULT} for the default store
     * @return the store, or empty when there is no such store
     */
    public Optional<StateStore> find(String name) {
        return Optional.ofNullable(this.stores.get(name.isEmpty() ? DEFAULT : name));
    }

    /**
     * Returns every store by name, the default first.
     * @return the stores
     */
    public Map<String, StateStore> stores() {
        return Collections.unmodifiableMap(this.stores);
    }

    /**
     * Returns the store names, the default first.
     * @return the names
     */
    public Set<String> names() {
        return Collections.unmodifiableSet(this.stores.keySet());
    }

    @Override
    public String toString() {
        return "StateStoreRegistry" + this.stores;
    }
}
