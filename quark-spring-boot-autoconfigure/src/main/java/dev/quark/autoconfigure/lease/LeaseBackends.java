package dev.quark.autoconfigure.lease;

import java.util.ArrayList;
import java.util.List;

import dev.quark.autoconfigure.backend.BackendSelection;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackendResolver;
import dev.quark.eventsourcing.EventSubscriptionDefinition;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Which backend holds the leases of each area that claims work with them: {@code quark.leases.backend} when it is
 * set, for every area; otherwise the area's own backend ({@code quark.<area>.backend}, else {@code quark.backend},
 * else {@code memory}), so that an area's leases live beside its work.
 */
public final class LeaseBackends {

    /**
     * The areas that claim work with leases; reminders only with the cluster on, the event store only with
     * subscriptions declared and on (they follow each subscription on one node through a lease).
     */
    static final List<String> AREAS = List.of("jobs", "durabletasks", "messaging", "reminders", "eventstore");

    private static final String REMINDERS = "reminders";

    private static final String EVENT_STORE = "eventstore";

    private static final List<String> EVENT_SUBSCRIPTIONS_SWITCHES = List.of("quark.eventstore.enabled",
            "quark.eventstore.subscriptions.enabled");

    private static final String CLUSTER_ENABLED = "quark.cluster.enabled";

    private final QuarkBackendResolver resolver;

    private final Binder binder;

    private final @Nullable ListableBeanFactory beans;

    /**
     * Creates the lease backends of the given environment, not knowing the application's beans: the event store then
     * counts as using leases whenever its subscriptions are not turned off and it has a feed.
     * @param environment the application's environment
     */
    public LeaseBackends(Environment environment) {
        this(environment, null);
    }

    /**
     * Creates the lease backends of the given environment and beans: the event store counts as using leases only
     * when an {@link EventSubscriptionDefinition} bean is defined.
     * @param environment the application's environment
     * @param beans the application's bean factory, {@code null} when unknown
     */
    public LeaseBackends(Environment environment, @Nullable ListableBeanFactory beans) {
        this.resolver = new QuarkBackendResolver(environment);
        this.binder = Binder.get(environment);
        this.beans = beans;
    }

    /**
     * Returns {@code quark.leases.backend} when it is set.
     * @return the explicit selection, or {@code null} when the areas' own backends decide
     */
    public @Nullable BackendSelection explicit() {
        BackendSelection leases = this.resolver.resolve(QuarkLeasesAutoConfiguration.AREA);
        return leases.property().equals(QuarkBackendResolver.backendProperty(QuarkLeasesAutoConfiguration.AREA))
                ? leases : null;
    }

    /**
     * Returns the backend of an area's leases.
     * @param area the area, for instance {@code jobs}
     * @return {@code quark.leases.backend} when set, else the area's own backend and the property that chose it
     */
    public BackendSelection of(String area) {
        BackendSelection explicit = explicit();
        return (explicit != null) ? explicit : this.resolver.resolve(area);
    }

    /**
     * Returns the lease backends that the areas in use need, one per area: every area that claims work with
     * leases, reminders only with the cluster on ({@code quark.cluster.enabled}), the event store only for its
     * subscriptions: when {@link EventSubscriptionDefinition} beans are defined (known only with the bean factory),
     * the store has a global feed (not on Redis, where subscriptions fail start-up anyway) and neither it nor its
     * subscriptions are turned off ({@code quark.eventstore.enabled}, {@code quark.eventstore.subscriptions.enabled}).
     * @return the selections
     */
    public List<BackendSelection> inUse() {
        List<BackendSelection> selections = new ArrayList<>();
        for (String area : AREAS) {
            if (inUse(area)) {
                selections.add(of(area));
            }
        }
        return selections;
    }

    private boolean inUse(String area) {
        if (REMINDERS.equals(area)) {
            return this.binder.bind(CLUSTER_ENABLED, Boolean.class).orElse(false);
        }
        if (EVENT_STORE.equals(area)) {
            return EVENT_SUBSCRIPTIONS_SWITCHES.stream()
                .allMatch((property) -> this.binder.bind(property, Boolean.class).orElse(true))
                    && this.resolver.resolve(EVENT_STORE).backend() != QuarkBackend.REDIS
                    && subscriptionsDeclared();
        }
        return true;
    }

    /**
     * Whether an {@link EventSubscriptionDefinition} bean is defined, by type, without creating beans; as with
     * {@code @ConditionalOnBean}, only the definitions registered so far count (the application's own, and those of
     * auto-configurations that ran before the leases').
     */
    private boolean subscriptionsDeclared() {
        return (this.beans == null)
                || this.beans.getBeanNamesForType(EventSubscriptionDefinition.class, true, false).length > 0;
    }
}
