package dev.quark.runtime;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.RequestContext;
import dev.quark.runtime.filter.IncomingCallFilter;
import dev.quark.runtime.filter.OutgoingCall;
import dev.quark.runtime.filter.OutgoingCallFilter;
import dev.quark.runtime.fixtures.Counter;
import dev.quark.runtime.fixtures.CounterActor;
import dev.quark.runtime.fixtures.Probe;
import dev.quark.runtime.fixtures.ProbeActor;
import dev.quark.runtime.fixtures.ProbeEnvironment;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class CallFilterTests {

    private final List<String> events = new CopyOnWriteArrayList<>();

    private final ProbeEnvironment environment = new ProbeEnvironment();

    private ActorRuntime.Builder builder() {
        return ActorRuntime.builder()
            .actor(CounterActor.class)
            .actor(ProbeActor.class, () -> new ProbeActor(this.environment));
    }

    private OutgoingCallFilter outgoing(String name) {
        return (call) -> {
            this.events.add(name + ">");
            return call.proceed().whenComplete((result, failure) -> this.events.add("<" + name + " " + result));
        };
    }

    private static OutgoingCallFilter named(String name, OutgoingCallFilter filter) {
        return new OutgoingCallFilter() {

            @Override
            public CompletionStage<@Nullable Object> filter(OutgoingCall call) throws Throwable {
                return filter.filter(call);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    private IncomingCallFilter incoming(String name) {
        return (call) -> {
            this.events.add(name + ">");
            Object result = call.proceed();
            this.events.add("<" + name + " " + result);
            return result;
        };
    }

    @Test
    void filtersRunInRegistrationOrderOutgoingAroundIncoming() {
        try (ActorRuntime runtime = builder().outgoingFilter(outgoing("out1"))
            .outgoingFilter(outgoing("out2"))
            .incomingFilter(incoming("in1"))
            .incomingFilter(incoming("in2"))
            .build()) {
            assertThat(runtime.get(Counter.class, "c").increment()).isEqualTo(1);
            assertThat(this.events).containsExactly("out1>", "out2>", "in1>", "in2>", "<in2 1", "<in1 1", "<out2 1",
                    "<out1 1");
        }
    }

    @Test
    void incomingFilterThatShortCircuitsAnswersWithoutRunningTheMethod() {
        try (ActorRuntime runtime = builder()
            .incomingFilter((call) -> call.method().name().equals("increment") ? 99L : call.proceed())
            .build()) {
            Counter counter = runtime.get(Counter.class, "c");
            assertThat(counter.increment()).isEqualTo(99);
            assertThat(counter.get()).isZero();
        }
    }

    @Test
    void incomingFilterThatProceedsTwiceRunsTheFiltersInsideItAndTheMethodAgain() {
        IncomingCallFilter retryOnce = (call) -> {
            try {
                return call.proceed();
            }
            catch (RuntimeException ex) {
                return call.proceed();
            }
        };
        AtomicInteger authorizations = new AtomicInteger();
        IncomingCallFilter authorization = (call) -> {
            authorizations.incrementAndGet();
            if (call.method().name().equals("increment") && !"admin".equals(call.metadata().get("role"))) {
                throw new SecurityException("Only admins may call " + call.address() + ".increment");
            }
            return call.proceed();
        };
        AtomicInteger runs = new AtomicInteger();
        IncomingCallFilter failsFirst = (call) -> {
            if (runs.incrementAndGet() == 1) {
                throw new IllegalStateException("first try fails");
            }
            return call.proceed();
        };
        try (ActorRuntime runtime = builder().incomingFilter(retryOnce)
            .incomingFilter(authorization)
            .incomingFilter(failsFirst)
            .build()) {
            Counter counter = runtime.get(Counter.class, "c");
            try (RequestContext.Scope scope = RequestContext.of("r", Map.of("role", "admin")).open()) {
                assertThat(counter.increment()).isEqualTo(1);
            }
            assertThat(authorizations).as("the retry went through the filters inside the retrying one").hasValue(2);
            assertThat(runs).hasValue(2);
            // A retry of a call the filter inside it refused goes through that filter again: refused again.
            assertThatExceptionOfType(SecurityException.class).isThrownBy(counter::increment);
            assertThat(authorizations).hasValue(4);
            assertThat(counter.get()).isEqualTo(1);
        }
    }

    @Test
    void outgoingFilterThatShortCircuitsNeverDeliversTheCall() {
        try (ActorRuntime runtime = builder()
            .outgoingFilter((call) -> CompletableFuture.completedFuture(7L))
            .build()) {
            assertThat(runtime.get(Counter.class, "c").increment()).isEqualTo(7);
            assertThat(runtime.get(Counter.class, "c").incrementAsync()).succeedsWithin(Duration.ofSeconds(5))
                .isEqualTo(7L);
            assertThat(runtime.isActive(Counter.class, "c")).isFalse();
        }
    }

    @Test
    void asynchronousCallWhoseOutgoingFilterNeverAnswersTimesOut() {
        try (ActorRuntime runtime = builder().callTimeout(Duration.ofMillis(300))
            .outgoingFilter((call) -> call.proceed().thenCompose((result) -> new CompletableFuture<>()))
            .build()) {
            assertThat(runtime.get(Counter.class, "c").incrementAsync()).failsWithin(Duration.ofSeconds(5))
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(ActorCallTimeoutException.class);
        }
    }

    @Test
    void outgoingFilterThatProceedsTwiceFailsTheSecondTimeAndTheCallRunsOnce() {
        try (ActorRuntime runtime = builder()
            .outgoingFilter((call) -> call.method().name().equals("increment")
                    ? call.proceed().thenCompose((first) -> call.proceed()) : call.proceed())
            .build()) {
            Counter counter = runtime.get(Counter.class, "c");
            assertThatExceptionOfType(IllegalStateException.class).isThrownBy(counter::increment)
                .withMessageContaining("proceed() was already called");
            assertThat(counter.get()).isEqualTo(1);
        }
    }

    @Test
    void outgoingFilterThatProceedsWithOtherMetadataSendsItToTheInnerFiltersAndTheTurn() {
        List<Map<String, String>> seen = new CopyOnWriteArrayList<>();
        try (ActorRuntime runtime = builder()
            .outgoingFilter((call) -> {
                Map<String, String> metadata = new HashMap<>(call.metadata());
                metadata.put("span", "client-" + call.method().name());
                return call.proceed(metadata);
            })
            .outgoingFilter((call) -> {
                seen.add(call.metadata());
                return call.proceed();
            })
            .incomingFilter((call) -> {
                seen.add(call.metadata());
                return call.proceed();
            })
            .build()) {
            Map<String, String> context;
            try (RequestContext.Scope scope = RequestContext.of("req-1", Map.of("tenant", "acme")).open()) {
                context = runtime.get(Probe.class, "p").seenContext();
            }
            assertThat(context).containsEntry("tenant", "acme").containsEntry("span", "client-seenContext");
            assertThat(seen).containsExactly(Map.of("tenant", "acme", "span", "client-seenContext"),
                    Map.of("tenant", "acme", "span", "client-seenContext"));
        }
    }

    @Test
    void outgoingFilterThatProceedsWithNullMetadataOrANullKeyOrValueFailsTheCallNamingItAndNothingIsDelivered() {
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("traceparent", null);
        Map<String, String> nullKey = new HashMap<>();
        nullKey.put(null, "x");
        AtomicReference<Map<String, String>> proceedWith = new AtomicReference<>();
        OutgoingCallFilter filter = new OutgoingCallFilter() {

            @Override
            public CompletionStage<@Nullable Object> filter(OutgoingCall call) {
                return call.method().name().equals("increment") ? call.proceed(proceedWith.get()) : call.proceed();
            }

            @Override
            public String toString() {
                return "tracing-filter";
            }
        };
        try (ActorRuntime runtime = builder().outgoingFilter(filter).build()) {
            Counter counter = runtime.get(Counter.class, "c");
            proceedWith.set(nullValue);
            assertThatExceptionOfType(NullPointerException.class).isThrownBy(counter::increment)
                .withMessage("Outgoing call filter tracing-filter proceeded with metadata with a null value of key "
                        + "'traceparent' for Call Counter/c.increment()");
            proceedWith.set(nullKey);
            assertThatExceptionOfType(NullPointerException.class).isThrownBy(counter::increment)
                .withMessage("Outgoing call filter tracing-filter proceeded with metadata with a null key for "
                        + "Call Counter/c.increment()");
            proceedWith.set(null);
            assertThatExceptionOfType(NullPointerException.class).isThrownBy(counter::increment)
                .withMessage("Outgoing call filter tracing-filter proceeded with null metadata for "
                        + "Call Counter/c.increment()");
            assertThat(runtime.isActive(Counter.class, "c")).isFalse();
            assertThat(counter.get()).isZero();
        }
    }

    @Test
    void outgoingFilterThatProceedsWithMetadataAfterTheCallWasSentFailsAndTheCallRunsOnce() {
        try (ActorRuntime runtime = builder()
            .outgoingFilter((call) -> call.method().name().equals("increment")
                    ? call.proceed().thenCompose((first) -> call.proceed(Map.of("again", "yes"))) : call.proceed())
            .build()) {
            Counter counter = runtime.get(Counter.class, "c");
            assertThatExceptionOfType(IllegalStateException.class).isThrownBy(counter::increment)
                .withMessageContaining("proceed() was already called");
            assertThat(counter.get()).isEqualTo(1);
        }
    }

    @Test
    void outgoingFilterThatProceedsAgainAfterAnInnerFilterShortCircuitedFailsNamingItAndNothingIsDelivered() {
        List<String> innermost = new CopyOnWriteArrayList<>();
        try (ActorRuntime runtime = builder()
            .outgoingFilter(named("outer", (call) -> call.proceed().thenCompose((first) -> call.proceed())))
            .outgoingFilter(named("cache", (call) -> CompletableFuture.completedFuture(7L)))
            .outgoingFilter(named("innermost", (call) -> {
                innermost.add(call.method().name());
                return call.proceed();
            }))
            .build()) {
            Counter counter = runtime.get(Counter.class, "c");
            assertThatExceptionOfType(IllegalStateException.class).isThrownBy(counter::increment)
                .withMessage("proceed() was already called by outgoing call filter outer for Call Counter/c.increment()"
                        + ": an outgoing call is sent once; a filter that retries makes a new call");
            assertThat(innermost).isEmpty();
            assertThat(runtime.isActive(Counter.class, "c")).isFalse();
        }
    }

    @Test
    void outgoingFilterThatProceedsWithBadMetadataAfterAnInnerFilterShortCircuitedFailsNamingItNotTheInnerOne() {
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("traceparent", null);
        try (ActorRuntime runtime = builder()
            .outgoingFilter(named("outer", (call) -> call.proceed().thenCompose((first) -> call.proceed(nullValue))))
            .outgoingFilter(named("cache", (call) -> CompletableFuture.completedFuture(7L)))
            .outgoingFilter(named("innermost", OutgoingCall::proceed))
            .build()) {
            Counter counter = runtime.get(Counter.class, "c");
            assertThatExceptionOfType(RuntimeException.class).isThrownBy(counter::increment)
                .withMessageContaining("outgoing call filter outer ")
                .withMessageNotContaining("cache");
            assertThat(runtime.isActive(Counter.class, "c")).isFalse();
        }
    }

    @Test
    void outgoingFilterThatProceedsWithNullMetadataInsideAnotherFailsNamingTheInnerOne() {
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("traceparent", null);
        try (ActorRuntime runtime = builder()
            .outgoingFilter(named("outer", OutgoingCall::proceed))
            .outgoingFilter(named("inner", (call) -> call.proceed(nullValue)))
            .build()) {
            assertThatExceptionOfType(NullPointerException.class)
                .isThrownBy(() -> runtime.get(Counter.class, "c").increment())
                .withMessage("Outgoing call filter inner proceeded with metadata with a null value of key "
                        + "'traceparent' for Call Counter/c.increment()");
            assertThat(runtime.isActive(Counter.class, "c")).isFalse();
        }
    }

    @Test
    void outgoingFilterContinuationThatCallsTheSameActorDoesNotRunOnTheActorsNextTurn() throws Exception {
        AtomicReference<Probe> self = new AtomicReference<>();
        OutgoingCallFilter callsBack = (call) -> call.method().name().equals("block")
                ? call.proceed().thenApply((result) -> result + "+" + self.get().overlap()) : call.proceed();
        try (ActorRuntime runtime = builder().callTimeout(Duration.ofSeconds(3)).outgoingFilter(callsBack).build()) {
            Probe probe = runtime.get(Probe.class, "callback");
            self.set(probe);
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> probe.block("first"));
            await().atMost(Duration.ofSeconds(5)).until(() -> runtime.isActive(Probe.class, "callback"));
            CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> probe.block("second"));
            await().atMost(Duration.ofSeconds(5)).until(() -> runtime.queuedMessages(Probe.class, "callback") == 1);
            this.environment.open("second");
            this.environment.open("first");
            assertThat(first.get(2, TimeUnit.SECONDS)).isEqualTo("first+1");
            assertThat(second.get(2, TimeUnit.SECONDS)).isEqualTo("second+1");
        }
    }

    @Test
    void outgoingFilterContinuationRunsOnTheTurnsThreadWhenTheActorHasNothingMoreToRun() throws Exception {
        Map<String, Thread> turnThreads = new ConcurrentHashMap<>();

        Thread continuationThread = seenByContinuation(recordingTurnThreads(turnThreads), Thread::currentThread);

        // No other thread woken for it: the caller's wait ends on the turn's thread, without a hand-over.
        assertThat(continuationThread).isSameAs(turnThreads.get("block"));
    }

    @Test
    void asynchronousCallersCallbackRunsOnTheTurnsThreadWhenTheActorHasNothingMoreToRun() throws Exception {
        Map<String, Thread> turnThreads = new ConcurrentHashMap<>();
        try (ActorRuntime runtime = builder().incomingFilter(recordingTurnThreads(turnThreads)).build()) {
            Probe probe = runtime.get(Probe.class, "dependents");
            CompletableFuture<String> held = CompletableFuture.supplyAsync(() -> probe.block("gate"));
            await().atMost(Duration.ofSeconds(5)).until(() -> turnThreads.containsKey("block"));
            CompletableFuture<Thread> callbackThread = probe.failAsync("expected by the test")
                .handle((result, failure) -> Thread.currentThread());
            await().atMost(Duration.ofSeconds(5)).until(() -> runtime.queuedMessages(Probe.class, "dependents") == 1);

            this.environment.open("gate");

            assertThat(held.get(5, TimeUnit.SECONDS)).isEqualTo("gate");
            assertThat(callbackThread.get(5, TimeUnit.SECONDS)).isSameAs(turnThreads.get("failAsync"));
        }
    }

    @Test
    void outgoingFilterContinuationNeverInheritsAnInterruptTheTurnLeftOnItsThread() throws Exception {
        IncomingCallFilter leavesInterrupt = (call) -> {
            Object result = call.proceed();
            Thread.currentThread().interrupt();
            return result;
        };

        assertThat(seenByContinuation(leavesInterrupt, () -> Thread.currentThread().isInterrupted())).isFalse();
    }

    /**
     * Calls {@code block("gate")} through an outgoing filter whose continuation records what {@code seen} tells on
     * its thread; the turn is held until the continuation is attached, so that the turn completes the call.
     */
    private <T> T seenByContinuation(IncomingCallFilter incoming, Supplier<T> seen) throws Exception {
        CompletableFuture<T> seenThere = new CompletableFuture<>();
        CountDownLatch continued = new CountDownLatch(1);
        OutgoingCallFilter records = (call) -> {
            CompletionStage<@Nullable Object> stage = call.proceed()
                .whenComplete((result, failure) -> seenThere.complete(seen.get()));
            continued.countDown();
            return stage;
        };
        try (ActorRuntime runtime = builder().outgoingFilter(records).incomingFilter(incoming).build()) {
            Probe probe = runtime.get(Probe.class, "continued");
            CompletableFuture<String> held = CompletableFuture.supplyAsync(() -> probe.block("gate"));
            assertThat(continued.await(5, TimeUnit.SECONDS)).isTrue();

            this.environment.open("gate");

            assertThat(held.get(5, TimeUnit.SECONDS)).isEqualTo("gate");
            return seenThere.get(5, TimeUnit.SECONDS);
        }
    }

    private static IncomingCallFilter recordingTurnThreads(Map<String, Thread> turnThreads) {
        return (call) -> {
            turnThreads.put(call.method().name(), Thread.currentThread());
            return call.proceed();
        };
    }

    @Test
    void incomingFilterThatThrowsFailsTheCallAndTheMethodDoesNotRun() {
        IncomingCallFilter authorization = (call) -> {
            if (!"admin".equals(call.metadata().get("role")) && call.method().name().startsWith("increment")) {
                throw new SecurityException("Only admins may call " + call.address() + "." + call.method().name());
            }
            return call.proceed();
        };
        try (ActorRuntime runtime = builder().incomingFilter(authorization).build()) {
            Counter counter = runtime.get(Counter.class, "c");
            assertThatExceptionOfType(SecurityException.class).isThrownBy(counter::increment)
                .withMessage("Only admins may call Counter/c.increment");
            assertThat(counter.incrementAsync()).failsWithin(Duration.ofSeconds(5))
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(SecurityException.class);
            assertThat(counter.get()).isZero();
            try (RequestContext.Scope scope = RequestContext.of("r", Map.of("role", "admin")).open()) {
                assertThat(counter.increment()).isEqualTo(1);
            }
        }
    }

    @Test
    void outgoingFilterThatThrowsFailsTheCallBeforeItIsSent() {
        try (ActorRuntime runtime = builder()
            .outgoingFilter((call) -> {
                throw new SecurityException("denied " + call.method().name());
            })
            .build()) {
            Counter counter = runtime.get(Counter.class, "c");
            assertThatExceptionOfType(SecurityException.class).isThrownBy(counter::increment).withMessage("denied increment");
            assertThatExceptionOfType(SecurityException.class).isThrownBy(() -> counter.add(1)).withMessage("denied add");
            assertThat(runtime.isActive(Counter.class, "c")).isFalse();
        }
    }

    @Test
    void filtersSeeTheOutcomeOfSynchronousAsynchronousAndOneWayCalls() {
        try (ActorRuntime runtime = builder().outgoingFilter(outgoing("out")).incomingFilter(incoming("in")).build()) {
            Counter counter = runtime.get(Counter.class, "c");
            counter.increment();
            assertThat(counter.incrementAsync()).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(2L);
            counter.add(5);
            await().atMost(Duration.ofSeconds(5)).until(() -> this.events.contains("<in null"));
            assertThat(this.events).containsSubsequence("<in 1", "<out 1", "<in 2", "<out 2")
                .contains("<out null", "<in null");
        }
    }

    @Test
    void incomingFilterSeesTheFailureOfAnAsynchronousMethod() {
        List<Throwable> seen = new CopyOnWriteArrayList<>();
        try (ActorRuntime runtime = builder().incomingFilter((call) -> {
            try {
                return call.proceed();
            }
            catch (Throwable ex) {
                seen.add(ex);
                throw ex;
            }
        }).build()) {
            assertThat(runtime.get(Probe.class, "p").failAsync("broken")).failsWithin(Duration.ofSeconds(5));
            assertThat(seen).singleElement().satisfies((ex) -> assertThat(ex).hasMessage("broken"));
        }
    }

    @Test
    void filtersSeeTheRequestContextAndOneCallChainOnBothSides() {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (ActorRuntime runtime = builder()
            .outgoingFilter((call) -> {
                seen.add("out " + call.requestId() + " " + call.metadata() + " " + call.callChainId() + " "
                        + call.arguments());
                return call.proceed();
            })
            .incomingFilter((call) -> {
                seen.add("in " + call.requestId() + " " + call.metadata() + " " + call.callChainId() + " "
                        + call.arguments());
                return call.proceed();
            })
            .build()) {
            this.environment.actors().set(runtime);
            Map<String, String> context;
            try (RequestContext.Scope scope = RequestContext.of("req-1", Map.of("tenant", "acme")).open()) {
                context = runtime.get(Probe.class, "p").contextOf("q");
            }
            String chain = context.get("chainId");
            assertThat(seen).containsExactly("out req-1 {tenant=acme} " + chain + " [q]",
                    "in req-1 {tenant=acme} " + chain + " [q]", "out req-1 {tenant=acme} " + chain + " []",
                    "in req-1 {tenant=acme} " + chain + " []");
        }
    }

    @Test
    void metricsAreRecordedByTheMetricsFilterAroundTheOtherFilters() {
        List<String> recorded = new CopyOnWriteArrayList<>();
        try (ActorRuntime runtime = builder()
            .metrics((contract, method) -> (outcome, nanos) -> recorded.add(method + ":" + outcome))
            .incomingFilter((call) -> {
                if (call.method().name().equals("get")) {
                    throw new SecurityException("no");
                }
                return call.proceed();
            })
            .build()) {
            Counter counter = runtime.get(Counter.class, "c");
            counter.increment();
            assertThatExceptionOfType(SecurityException.class).isThrownBy(counter::get);
            assertThat(recorded).containsExactly("increment:SUCCESS", "get:FAILURE");
        }
    }
}
