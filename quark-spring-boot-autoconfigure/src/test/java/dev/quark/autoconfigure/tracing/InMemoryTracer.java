package dev.quark.autoconfigure.tracing;

import java.util.List;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;

/**
 * A real tracer for the tracing filters' tests: Micrometer's OpenTelemetry bridge over an SDK tracer that keeps
 * every ended span in memory, with W3C trace context propagation. Closed after each test.
 */
final class InMemoryTracer implements AutoCloseable {

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();

    private final SdkTracerProvider provider;

    final Tracer tracer;

    final Propagator propagator;

    /** A tracer that samples every trace. */
    InMemoryTracer() {
        this(Sampler.parentBased(Sampler.alwaysOn()));
    }

    /**
     * A tracer with the given sampler.
     * @param sampler which traces it records
     */
    InMemoryTracer(Sampler sampler) {
        this.provider = SdkTracerProvider.builder()
            .setSampler(sampler)
            .addSpanProcessor(SimpleSpanProcessor.create(this.exporter))
            .build();
        this.tracer = new OtelTracer(this.provider.get("test"), new OtelCurrentTraceContext(), (event) -> {
        });
        this.propagator = new OtelPropagator(ContextPropagators.create(W3CTraceContextPropagator.getInstance()),
                this.provider.get("test"));
    }

    /** Starts a span named {@code caller} for a test to make current and end. */
    Span caller() {
        return this.tracer.nextSpan().name("caller").start();
    }

    /** The spans ended so far, in the order they ended. */
    List<SpanData> ended() {
        return this.exporter.getFinishedSpanItems();
    }

    /**
     * The one ended span of a kind.
     * @throws AssertionError when none or several ended
     */
    SpanData endedSpan(SpanKind kind) {
        return ended().stream()
            .filter((span) -> span.getKind() == kind)
            .reduce((one, other) -> {
                throw new AssertionError("more than one " + kind + " span: " + one + ", " + other);
            })
            .orElseThrow(() -> new AssertionError("no ended " + kind + " span in " + ended()));
    }

    @Override
    public void close() {
        this.provider.close();
    }
}
