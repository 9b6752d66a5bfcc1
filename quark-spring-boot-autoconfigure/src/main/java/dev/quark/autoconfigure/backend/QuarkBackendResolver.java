package dev.quark.autoconfigure.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.quark.state.StateStoreRegistry;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.core.ResolvableType;
import org.springframework.core.env.Environment;

/**
 * Which backend each area of Quark uses, read from the environment so that conditions can ask before any
 * properties bean exists: {@code quark.<area>.backend}, else {@code quark.backend}, else {@code memory}.
 * <p>
 * An area is a name such as {@code state}, {@code reminders}, {@code jobs} or {@code cluster.membership}; its
 * properties live under {@code quark.<area>}. The one exception is {@value #STATE}, whose properties have lived
 * under {@code quark.persistence} since before the other areas existed, and which alone has named stores
 * ({@code quark.persistence.stores.<name>.backend}, defaulting to the area's backend; a store named
 * {@code default} is ignored here and rejected by the properties' validation).
 * <p>
 * A blank value counts as not set, so that {@code quark.persistence.stores.audit.backend=} declares a store on
 * the area's backend. A value that names no backend fails with an
 * {@link InvalidConfigurationPropertyValueException} naming the property and the value.
 */
public final class QuarkBackendResolver {

    /** The property every area falls back to. */
    public static final String DEFAULT_PROPERTY = "quark.backend";

    /** The area of persistent actor state. */
    public static final String STATE = "state";

    private static final String STATE_PREFIX = "quark.persistence";

    private static final Bindable<Map<String, Map<String, String>>> STORES = Bindable.of(ResolvableType
        .forClassWithGenerics(Map.class, ResolvableType.forClass(String.class),
                ResolvableType.forClassWithGenerics(Map.class, String.class, String.class)));

    private final Binder binder;

    /**
     * Creates a resolver reading the given environment.
     * @param environment the application's environment
     */
    public QuarkBackendResolver(Environment environment) {
        this.binder = Binder.get(environment);
    }

    /**
     * Returns the prefix of an area's properties.
     * @param area the area, for instance {@code jobs}
     * @return for instance {@code quark.jobs}; {@code quark.persistence} for {@value #STATE}
     */
    public static String propertyPrefix(String area) {
        return STATE.equals(area) ? STATE_PREFIX : "quark." + area;
    }

    /**
     * Returns the property that selects an area's backend.
     * @param area the area, for instance {@code jobs}
     * @return for instance {@code quark.jobs.backend}
     */
    public static String backendProperty(String area) {
        return propertyPrefix(area) + ".backend";
    }

    /**
     * Resolves the backend of an area.
     * @param area the area, for instance {@code jobs}
     * @return the backend and the property that chose it
     * @throws InvalidConfigurationPropertyValueException when the deciding property names no backend
     */
    public BackendSelection resolve(String area) {
        return read(area, null, backendProperty(area)).or(() -> read(area, null, DEFAULT_PROPERTY))
            .orElseGet(() -> new BackendSelection(area, null, QuarkBackend.MEMORY, DEFAULT_PROPERTY));
    }

    /**
     * Resolves the backend of a named store of an area: {@code <prefix>.stores.<store>.backend}, else the
     * area's backend.
     * @param area the area, for instance {@code state}
     * @param store the store's name
     * @return the backend and the property that chose it
     * @throws InvalidConfigurationPropertyValueException when the deciding property names no backend
     */
    public BackendSelection resolve(String area, String store) {
        String value = stores(area).getOrDefault(store, Map.of()).getOrDefault("backend", "");
        return parse(area, store, propertyPrefix(area) + ".stores." + store + ".backend", value).orElseGet(() -> {
            BackendSelection inherited = resolve(area);
            return new BackendSelection(area, store, inherited.backend(), inherited.property());
        });
    }

    /**
     * Resolves the backend of an area and of each of its named stores, the area first; what conditions ask.
     * @param area the area
     * @return the selections
     * @throws InvalidConfigurationPropertyValueException when a deciding property names no backend
     */
    public List<BackendSelection> resolveAll(String area) {
        List<BackendSelection> selections = new ArrayList<>();
        selections.add(resolve(area));
        for (String store : stores(area).keySet()) {
            if (!store.equals(StateStoreRegistry.DEFAULT)) {
                selections.add(resolve(area, store));
            }
        }
        return selections;
    }

    private Map<String, Map<String, String>> stores(String area) {
        return STATE.equals(area) ? this.binder.bind(STATE_PREFIX + ".stores", STORES).orElse(Map.of()) : Map.of();
    }

    private Optional<BackendSelection> read(String area, @Nullable String store, String property) {
        return parse(area, store, property, this.binder.bind(property, String.class).orElse(""));
    }

    private static Optional<BackendSelection> parse(String area, @Nullable String store, String property, String value) {
        if (value.isBlank()) {
            return Optional.empty();
        }
        QuarkBackend backend = QuarkBackend.fromPropertyValue(value)
            .orElseThrow(() -> new InvalidConfigurationPropertyValueException(property, value,
                    "must be one of " + QuarkBackend.propertyValues()));
        return Optional.of(new BackendSelection(area, store, backend, property));
    }
}
