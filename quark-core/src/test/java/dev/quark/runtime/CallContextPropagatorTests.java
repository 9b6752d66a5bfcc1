package dev.quark.runtime;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
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
    void eachPropagatorIsGivenAnImmutableCopyOfWhatTheOneBeforeItReturned() {
        List<String> seen = new CopyOnWriteArrayList<>();
        CallContextPropagator probing = (metadata) -> {
            try {
                metadata.put("sneaked", "in");
                seen.add("mutable");
            }
            catch (UnsupportedOperationException ex) {
                seen.add("immutable");
            }
            return metadata;
        };
        try (ActorRuntime runtime = builder().contextPropagator(adding("trace", "t-1")).contextPropagator(probing).build()) {
            runtime.get(Counter.class, "c").increment();
        }
        assertThat(seen).containsExactly("immutable");
        assertThat(this.served).containsExactly(Map.of("trace", "t-1"));
    }

    @Test
    void aPropagatorThatReturnsANullValueFailsTheCallNamingItAndTheKeyAndNothingIsDelivered() {
        CallContextPropagator broken = new CallContextPropagator() {

            @Override
            @SuppressWarnings("NullAway")
            public Map<String, String> propagate(Map<String, String> metadata) {
                Map<String, String> withNull = new HashMap<>(metadata);
                withNull.put("traceparent", null);
                return withNull;
            }

            @Override
            public String toString() {
                return "null-value-propagator";
            }
        };
        for (ActorRuntime.Builder builder : List.of(builder().contextPropagator(broken),
                builder().contextPropagator(adding("trace", "t-1")).contextPropagator(broken))) {
            try (ActorRuntime runtime = builder.build()) {
                assertThatNullPointerException().isThrownBy(() -> runtime.get(Counter.class, "c").increment())
                    .withMessage("Call context propagator null-value-propagator returned metadata with a null value "
                            + "for 'traceparent'");
                assertThat(runtime.isActive(Counter.class, "c")).isFalse();
                assertThat(this.served).isEmpty();
            }
        }
    }

    @Test
    void aPropagatorThatThrowsFailsTheFutureOfACallWithoutWaitingAndNothingIsDelivered() throws Exception {
        IllegalStateException failure = new IllegalStateException("no current context");
        CallContextPropagator throwing = (metadata) -> {
            throw failure;
        };
        try (ActorRuntime runtime = builder().contextPropagator(throwing).build()) {
            CompletableFuture<?> future = runtime.callWithoutWaiting(Counter.class, new ActorAddress("Counter", "c"),
                    Counter.class.getMethod("increment"));
            assertThat(future).failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingCause().isSameAs(failure);
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
