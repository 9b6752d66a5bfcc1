package dev.quark.autoconfigure.tracing;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.Actor;
import dev.quark.actor.ReminderStatus;
import dev.quark.actor.Remindable;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.filter.IncomingCall;
import dev.quark.runtime.filter.OutgoingCall;
import dev.quark.testkit.filter.StubActorCall;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class MicrometerTracingCallFilterTests {

    private static final Map<String, String> TRACED = Map.of("traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

    private static final ActorAddress TRACED_ONE = new ActorAddress("traced", "one");

    private final InMemoryTracer tracing = new InMemoryTracer();

    private final Tracer tracer = this.tracing.tracer;

    private final Propagator propagator = this.tracing.propagator;

    @AfterEach
    void close() {
        this.tracing.close();
    }

    @Test
    void filterShouldRunTheTurnInAnEndedChildSpan() throws Throwable {
        Call call = new Call(TRACED);
        assertThat(new MicrometerTracingCallFilter(this.tracer, this.propagator).filter(call)).isEqualTo("done");
        assertThat(call.proceeded).hasValue(1);
        assertThat(this.tracing.ended()).singleElement()
            .satisfies((span) -> assertThat(span.getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736"));
    }

    @Test
    void filterShouldRunATwoWayTurnInAServerSpan() throws Throwable {
        new MicrometerTracingCallFilter(this.tracer, this.propagator).filter(new Call(TRACED));
        assertThat(this.tracing.endedSpan(SpanKind.SERVER).getParentSpanId()).isEqualTo("00f067aa0ba902b7");
    }

    @Test
    void filterShouldRunAOneWayTurnInAConsumerSpanChildOfTheProducerSpanOfItsCaller() throws Throwable {
        Map<String, String> sent = new HashMap<>();
        MicrometerClientSpanCallFilter producing = new MicrometerClientSpanCallFilter(this.tracer, this.propagator);
        Span caller = this.tracing.caller();
        try (Tracer.SpanInScope scope = this.tracer.withSpan(caller)) {
            producing.filter(new OneWaySend(sent));
        }
        finally {
            caller.end();
        }
        Call call = new Call(sent, MethodDescriptor.CallKind.ONE_WAY);
        assertThat(new MicrometerTracingCallFilter(this.tracer, this.propagator).filter(call)).isEqualTo("done");

        SpanData producer = this.tracing.endedSpan(SpanKind.PRODUCER);
        SpanData consumer = this.tracing.endedSpan(SpanKind.CONSUMER);
        assertThat(consumer.getName()).isEqualTo("traced.work");
        assertThat(consumer.getTraceId()).isEqualTo(caller.context().traceId());
        assertThat(consumer.getParentSpanId()).isEqualTo(producer.getSpanId());
        assertThat(producer.getParentSpanId()).isEqualTo(caller.context().spanId());
        assertThat(this.tracing.ended()).extracting(SpanData::getKind)
            .doesNotContain(SpanKind.CLIENT, SpanKind.SERVER);
    }

    @Test
    void filterShouldRunAReminderTickInAConsumerSpanOfATraceOfItsOwn() throws Throwable {
        Tick tick = new Tick(null);
        assertThat(new MicrometerTracingCallFilter(this.tracer, this.propagator).filter(tick)).isNull();

        assertThat(tick.proceeded).hasValue(1);
        SpanData span = this.tracing.endedSpan(SpanKind.CONSUMER);
        assertThat(span.getName()).isEqualTo("traced.receiveReminder");
        assertThat(span.getParentSpanContext().isValid()).as("a root span").isFalse();
        assertThat(span.getAttributes().asMap()).extractingFromEntries((entry) -> entry.getKey().getKey() + "="
                + entry.getValue())
            .contains("quark.reminder.name=monthly-fee", "quark.actor.type=traced", "quark.actor.id=one",
                    "quark.actor.method=receiveReminder");
    }

    @Test
    void filterShouldRecordTheFailureOfAReminderTickOnItsSpan() {
        Tick tick = new Tick(new IllegalStateException("fee not charged"));
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> new MicrometerTracingCallFilter(this.tracer, this.propagator).filter(tick));

        assertThat(this.tracing.endedSpan(SpanKind.CONSUMER).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    }

    @Test
    void filterShouldRunACallWithoutTraceContextThatIsNoReminderTickWithoutASpan() throws Throwable {
        Call call = new Call(Map.of());
        assertThat(new MicrometerTracingCallFilter(this.tracer, this.propagator).filter(call)).isEqualTo("done");
        assertThat(call.proceeded).hasValue(1);
        assertThat(this.tracing.ended()).isEmpty();
    }

    @Test
    void filterWhenThePropagatorFailsOnTheContextShouldRunTheTurnWithoutASpan() throws Throwable {
        Propagator failing = new Propagator() {

            @Override
            public List<String> fields() {
                return List.of("traceparent");
            }

            @Override
            public <C> void inject(TraceContext context, @Nullable C carrier, Setter<C> setter) {
            }

            @Override
            public <C> Span.Builder extract(C carrier, Getter<C> getter) {
                throw new IllegalArgumentException("bad tracestate");
            }
        };
        Call call = new Call(TRACED);
        assertThat(new MicrometerTracingCallFilter(this.tracer, failing).filter(call)).isEqualTo("done");
        assertThat(call.proceeded).hasValue(1);
        assertThat(this.tracing.ended()).isEmpty();
    }

    @Test
    void filterWhenTheSpanCannotBeMadeCurrentShouldEndItAndRunTheTurnWithoutIt() throws Throwable {
        Tracer failing = (Tracer) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { Tracer.class },
                (proxy, method, arguments) -> {
                    if (method.getName().equals("withSpan")) {
                        throw new IllegalStateException("no scope");
                    }
                    try {
                        return method.invoke(this.tracer, arguments);
                    }
                    catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                });
        Call call = new Call(TRACED);
        assertThat(new MicrometerTracingCallFilter(failing, this.propagator).filter(call)).isEqualTo("done");
        assertThat(call.proceeded).hasValue(1);
        assertThat(this.tracing.ended()).hasSize(1);
        assertThat(this.tracer.currentSpan()).isNull();
    }

    interface Traced extends Actor {
    }

    private static final class Call extends StubActorCall implements IncomingCall {

        private final AtomicInteger proceeded = new AtomicInteger();

        Call(Map<String, String> metadata) {
            this(metadata, MethodDescriptor.CallKind.SYNCHRONOUS);
        }

        Call(Map<String, String> metadata, MethodDescriptor.CallKind kind) {
            super(TRACED_ONE, StubActorCall.work(Traced.class, kind), metadata);
        }

        @Override
        public @Nullable Object proceed() {
            this.proceeded.incrementAndGet();
            return "done";
        }
    }

    /** A reminder's tick as the reminder service calls it: no trace context, the reminder's name first. */
    private static final class Tick extends StubActorCall implements IncomingCall {

        private final AtomicInteger proceeded = new AtomicInteger();

        private final @Nullable RuntimeException failure;

        Tick(@Nullable RuntimeException failure) {
            super(TRACED_ONE, new MethodDescriptor(Remindable.class, "receiveReminder", "receiveReminder", 0,
                    List.of(String.class, ReminderStatus.class), void.class, MethodDescriptor.CallKind.SYNCHRONOUS,
                    false), Map.of());
            this.failure = failure;
        }

        @Override
        public List<@Nullable Object> arguments() {
            return List.of("monthly-fee");
        }

        @Override
        public @Nullable Object proceed() {
            this.proceeded.incrementAndGet();
            if (this.failure != null) {
                throw this.failure;
            }
            return null;
        }
    }

    /** A one-way call on the caller's side whose sending notes the metadata it is sent with. */
    private static final class OneWaySend extends StubActorCall implements OutgoingCall {

        private final Map<String, String> sent;

        OneWaySend(Map<String, String> sent) {
            super(TRACED_ONE, StubActorCall.work(Traced.class, MethodDescriptor.CallKind.ONE_WAY), Map.of());
            this.sent = sent;
        }

        @Override
        public CompletionStage<@Nullable Object> proceed() {
            return proceed(Map.of());
        }

        @Override
        public CompletionStage<@Nullable Object> proceed(Map<String, String> metadata) {
            this.sent.putAll(metadata);
            return CompletableFuture.completedFuture(null);
        }
    }
}
