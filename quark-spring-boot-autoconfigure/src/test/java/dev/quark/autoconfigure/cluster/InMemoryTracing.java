package dev.quark.autoconfigure.cluster;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.autoconfigure.tracing.QuarkTracingAutoConfiguration;
import dev.quark.runtime.filter.IncomingCallFilter;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A real tracer for a context of the tests: Micrometer's OpenTelemetry bridge over an SDK tracer that keeps
 * every ended span in memory, W3C trace context and baggage propagation, and Quark's tracing
 * auto-configuration.
 */
@Configuration(proxyBeanMethods = false)
@ImportAutoConfiguration(QuarkTracingAutoConfiguration.class)
class InMemoryTracing {

    @Bean
    InMemorySpanExporter inMemorySpanExporter() {
        return InMemorySpanExporter.create();
    }

    @Bean
    SdkTracerProvider sdkTracerProvider(InMemorySpanExporter spans) {
        return SdkTracerProvider.builder()
            .setSampler(Sampler.alwaysOn())
            .addSpanProcessor(SimpleSpanProcessor.create(spans))
            .build();
    }

    @Bean
    Tracer tracer(SdkTracerProvider provider) {
        return new OtelTracer(provider.get("quark-tests"), new OtelCurrentTraceContext(), (event) -> {
        });
    }

    @Bean
    Propagator propagator(SdkTracerProvider provider) {
        return new OtelPropagator(ContextPropagators.create(TextMapPropagator
            .composite(W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())),
                provider.get("quark-tests"));
    }

    /**
     * Notes, for each actor id, the metadata of the last call its turn served and the trace id current in that
     * turn (empty without a current span); for contexts with or without a tracer.
     */
    @Configuration(proxyBeanMethods = false)
    static class TurnsSeen {

        final Map<String, Map<String, String>> metadata = new ConcurrentHashMap<>();

        final Map<String, String> traceIds = new ConcurrentHashMap<>();

        @Bean
        IncomingCallFilter turnsSeenFilter(ObjectProvider<Tracer> tracer) {
            return (call) -> {
                this.metadata.put(call.address().id(), call.metadata());
                Tracer current = tracer.getIfAvailable();
                Span span = (current != null) ? current.currentSpan() : null;
                this.traceIds.put(call.address().id(), (span != null) ? span.context().traceId() : "");
                return call.proceed();
            };
        }
    }
}
