package dev.quark.autoconfigure.tracing;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.Actor;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.filter.IncomingCall;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MicrometerTracingCallFilterTests {

    private static final Map<String, String> TRACED = Map.of("traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();

    private final SdkTracerProvider provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(this.exporter))
        .build();

    private final Tracer tracer = new OtelTracer(this.provider.get("test"), new OtelCurrentTraceContext(),
            (event) -> {
            });

    private final Propagator propagator = new OtelPropagator(
            ContextPropagators.create(W3CTraceContextPropagator.getInstance()), this.provider.get("test"));

    @AfterEach
    void close() {
        this.provider.close();
    }

    @Test
    void filterShouldRunTheTurnInAnEndedChildSpan() throws Throwable {
        Call call = new Call(TRACED);
        assertThat(new MicrometerTracingCallFilter(this.tracer, this.propagator).filter(call)).isEqualTo("done");
        assertThat(call.proceeded).hasValue(1);
        assertThat(this.exporter.getFinishedSpanItems()).singleElement()
            .satisfies((span) -> assertThat(span.getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736"));
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
        assertThat(this.exporter.getFinishedSpanItems()).isEmpty();
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
        assertThat(this.exporter.getFinishedSpanItems()).hasSize(1);
        assertThat(this.tracer.currentSpan()).isNull();
    }

    interface Traced extends Actor {
    }

    private static final class Call implements IncomingCall {

        private final Map<String, String> metadata;

        private final AtomicInteger proceeded = new AtomicInteger();

        Call(Map<String, String> metadata) {
            this.metadata = metadata;
        }

        @Override
        public @Nullable Object proceed() {
            this.proceeded.incrementAndGet();
            return "done";
        }

        @Override
        public ActorAddress address() {
            return new ActorAddress("traced", "one");
        }

        @Override
        public MethodDescriptor method() {
            return new MethodDescriptor(Traced.class, "work", "work", 0, List.of(), String.class,
                    MethodDescriptor.CallKind.SYNCHRONOUS);
        }

        @Override
        public List<@Nullable Object> arguments() {
            return List.of();
        }

        @Override
        public String requestId() {
            return "r";
        }

        @Override
        public Map<String, String> metadata() {
            return this.metadata;
        }

        @Override
        public long callChainId() {
            return 1;
        }

        @Override
        public long deadlineEpochMillis() {
            return Long.MAX_VALUE;
        }
    }
}
