package dev.quark.runtime;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.actor.RequestContext;
import dev.quark.runtime.fixtures.Counter;
import dev.quark.runtime.fixtures.CounterActor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

class CallContextPropagatorTests {

    private final List<String> events = new CopyOnWriteArrayList<>();

    private final List<Map<String, String>> served = new CopyOnWriteArrayList<>();

    private CallContextPropagator adding(String key, String value) {
        return (metadata) -> {
            this.events.add("propagate " + key + " on " + Thread.currentThread().getName() + " with " + new TreeMap<>(metadata));
            Map<String, String> added = new HashMap<>(metadata);
            added.put(key, value);
            return added;
        };
    }

    private ActorRuntime.Builder builder() {
        return ActorRuntime.builder().actor(CounterActor.class).outgoingFilter((call) -> {
            this.events.add("outgoing filter sees " + new TreeMap<>(call.metadata()));
            return call.proceed();
        }).incomingFilter((call) -> {
            this.served.add(call.metadata());
            return call.proceed();
        });
    }

    @Test
    void propagatorsRunInOrderOnTheCallersThreadBeforeTheFiltersAndTheTurnSeesTheirMetadata() {
        try (ActorRuntime runtime = builder().contextPropagator(adding("trace", "t-1"))
            .contextPropagator(adding("span", "s-1"))
            .build();
                RequestContext.Scope scope = RequestContext.of("req-1", Map.of("tenant", "acme")).open()) {
            runtime.get(Counter.class, "c").increment();
        }
        String thread = Thread.currentThread().getName();
        assertThat(this.events).containsExactly("propagate trace on " + thread + " with {tenant=acme}",
                "propagate span on " + thread + " with {tenant=acme, trace=t-1}",
                "outgoing filter sees {span=s-1, tenant=acme, trace=t-1}");
        assertThat(this.served).containsExactly(Map.of("tenant", "acme", "trace", "t-1", "span", "s-1"));
    }

    @Test
    void aPropagatorThatReturnsNullFailsTheCallNamingItAndNothingIsDelivered() {
        CallContextPropagator broken = new CallContextPropagator() {

            @Override
            @SuppressWarnings("NullAway")
            public Map<String, String> propagate(Map<String, String> metadata) {
                return null;
            }

            @Override
            public String toString() {
                return "broken-propagator";
            }
        };
        try (ActorRuntime runtime = builder().contextPropagator(broken).build()) {
            assertThatNullPointerException().isThrownBy(() -> runtime.get(Counter.class, "c").increment())
                .withMessage("Call context propagator broken-propagator returned null metadata");
            assertThat(runtime.isActive(Counter.class, "c")).isFalse();
            assertThat(this.served).isEmpty();
        }
    }

    @Test
    void withoutAPropagatorACallCarriesItsRequestContextsMetadataAsItIs() {
        try (ActorRuntime runtime = builder().build();
                RequestContext.Scope scope = RequestContext.of("req-1", Map.of("tenant", "acme")).open()) {
            runtime.get(Counter.class, "c").increment();
        }
        assertThat(this.served).containsExactly(Map.of("tenant", "acme"));
    }
}
