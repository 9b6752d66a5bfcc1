package dev.quark.autoconfigure.tracing;

import java.util.Map;

import dev.quark.runtime.CallContextPropagator;
import dev.quark.runtime.filter.IncomingCallFilter;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

class QuarkTracingAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkTracingAutoConfiguration.class));

    @Test
    void runWithoutATracerShouldRegisterNothing() {
        this.runner.run((context) -> {
            assertThat(context).doesNotHaveBean(CallContextPropagator.class);
            assertThat(context).doesNotHaveBean(IncomingCallFilter.class);
        });
    }

    @Test
    void runWhenQuarkIsDisabledShouldRegisterNothing() {
        this.runner.withUserConfiguration(OtelTracing.class).withPropertyValues("quark.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean(CallContextPropagator.class));
    }

    @Test
    void runWithATracerShouldPropagateTheCurrentSpanAndDropAStaleContextOutsideOne() {
        this.runner.withUserConfiguration(OtelTracing.class).run((context) -> {
            assertThat(context).hasSingleBean(IncomingCallFilter.class);
            CallContextPropagator propagator = context.getBean(CallContextPropagator.class);
            Tracer tracer = context.getBean(Tracer.class);
            Map<String, String> stale = Map.of("tenant", "acme", "traceparent",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
            assertThat(propagator.propagate(stale)).isEqualTo(Map.of("tenant", "acme"));
            Map<String, String> none = Map.of("tenant", "acme");
            assertThat(propagator.propagate(none)).isSameAs(none);
            Span span = tracer.nextSpan().start();
            try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
                assertThat(propagator.propagate(stale)).containsEntry("tenant", "acme")
                    .hasEntrySatisfying("traceparent", (traceparent) -> assertThat(traceparent)
                        .startsWith("00-" + span.context().traceId() + "-" + span.context().spanId() + "-"));
            }
            finally {
                span.end();
            }
        });
    }

    @Test
    void aTraceparentIsWellFormedOnlyWithHexFieldsOfTheW3cLengthsAndNonZeroIds() {
        assertThat(TraceFields.isWellFormedTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
            .isTrue();
        assertThat(TraceFields.isWellFormedTraceparent(null)).isFalse();
        assertThat(TraceFields.isWellFormedTraceparent("")).isFalse();
        assertThat(TraceFields.isWellFormedTraceparent("00-not-a-trace-id-01")).isFalse();
        assertThat(TraceFields.isWellFormedTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"))
            .isFalse();
        assertThat(TraceFields.isWellFormedTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"))
            .isFalse();
        assertThat(TraceFields.isWellFormedTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"))
            .isFalse();
        assertThat(TraceFields.isWellFormedTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
            .isFalse();
        assertThat(TraceFields.isWellFormedTraceparent("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
            .isFalse();
    }

    @Configuration(proxyBeanMethods = false)
    static class OtelTracing {

        @Bean(destroyMethod = "close")
        SdkTracerProvider sdkTracerProvider() {
            return SdkTracerProvider.builder().build();
        }

        @Bean
        Tracer tracer(SdkTracerProvider provider) {
            return new OtelTracer(provider.get("test"), new OtelCurrentTraceContext(), (event) -> {
            });
        }

        @Bean
        Propagator propagator(SdkTracerProvider provider) {
            return new OtelPropagator(ContextPropagators.create(W3CTraceContextPropagator.getInstance()),
                    provider.get("test"));
        }
    }
}
