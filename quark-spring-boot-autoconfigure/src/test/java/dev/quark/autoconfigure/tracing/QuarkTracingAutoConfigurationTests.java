package dev.quark.autoconfigure.tracing;

import java.util.List;
import java.util.Map;

import dev.quark.jobs.JobFilter;
import dev.quark.runtime.CallContextPropagator;
import dev.quark.runtime.filter.IncomingCallFilter;
import dev.quark.runtime.filter.OutgoingCallFilter;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

import static org.assertj.core.api.Assertions.assertThat;

class QuarkTracingAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkTracingAutoConfiguration.class));

    @Test
    void runWithoutATracerShouldRegisterNothing() {
        this.runner.run((context) -> {
            assertThat(context).doesNotHaveBean(CallContextPropagator.class);
            assertThat(context).doesNotHaveBean(IncomingCallFilter.class);
            assertThat(context).doesNotHaveBean(OutgoingCallFilter.class);
            assertThat(context).doesNotHaveBean(MicrometerTracingJobFilter.class);
        });
    }

    @Test
    void runWithATracerShouldRegisterTheJobFilterUnlessTurnedOff() {
        this.runner.withUserConfiguration(OtelTracing.class)
            .run((context) -> assertThat(context).hasSingleBean(MicrometerTracingJobFilter.class));
        this.runner.withUserConfiguration(OtelTracing.class)
            .withPropertyValues("quark.jobs.tracing.enabled=false")
            .run((context) -> {
                assertThat(context).doesNotHaveBean(MicrometerTracingJobFilter.class);
                assertThat(context).hasSingleBean(IncomingCallFilter.class);
            });
    }

    @Test
    void runWithoutQuarkJobsShouldRegisterNoJobFilter() {
        this.runner.withUserConfiguration(OtelTracing.class)
            .withClassLoader(new FilteredClassLoader(JobFilter.class))
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context).doesNotHaveBean(MicrometerTracingJobFilter.class);
                assertThat(context).hasSingleBean(IncomingCallFilter.class);
            });
    }

    @Test
    void runWithAJobFilterOfTheApplicationsTypeShouldKeepIt() {
        MicrometerTracingJobFilter own = new MicrometerTracingJobFilter(Tracer.NOOP, Propagator.NOOP);
        this.runner.withUserConfiguration(OtelTracing.class)
            .withBean("ownTracingJobFilter", MicrometerTracingJobFilter.class, () -> own)
            .run((context) -> assertThat(context).getBean(MicrometerTracingJobFilter.class).isSameAs(own));
    }

    @Test
    void runWhenQuarkIsDisabledShouldRegisterNothing() {
        this.runner.withUserConfiguration(OtelTracing.class).withPropertyValues("quark.enabled=false")
            .run((context) -> {
                assertThat(context).doesNotHaveBean(CallContextPropagator.class);
                assertThat(context).doesNotHaveBean(OutgoingCallFilter.class);
                assertThat(context).doesNotHaveBean(MicrometerTracingJobFilter.class);
            });
    }

    @Test
    void runWithATracerShouldPropagateTheCurrentSpanAndDropAStaleContextOutsideOne() {
        this.runner.withUserConfiguration(OtelTracing.class).run((context) -> {
            assertThat(context).hasSingleBean(IncomingCallFilter.class);
            assertThat(context).hasSingleBean(OutgoingCallFilter.class);
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
    void runWithTracingTurnedOffShouldRegisterNothingDespiteATracer() {
        this.runner.withUserConfiguration(OtelTracing.class)
            .withPropertyValues("quark.tracing.enabled=false")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context).doesNotHaveBean(CallContextPropagator.class);
                assertThat(context).doesNotHaveBean(IncomingCallFilter.class);
                assertThat(context).doesNotHaveBean(OutgoingCallFilter.class);
                assertThat(context).doesNotHaveBean(MicrometerTracingJobFilter.class);
            });
    }

    @Test
    void runWithClientSpansOffShouldRegisterNoOutgoingFilterButStillPropagate() {
        this.runner.withUserConfiguration(OtelTracing.class)
            .withPropertyValues("quark.tracing.client-spans=false")
            .run((context) -> {
                assertThat(context).doesNotHaveBean(OutgoingCallFilter.class);
                assertThat(context).hasSingleBean(CallContextPropagator.class);
                assertThat(context).hasSingleBean(IncomingCallFilter.class);
            });
    }

    @Test
    void runWithTwoPropagatorsOfWhichNoneIsPrimaryShouldStartAndRegisterNothing() {
        this.runner.withUserConfiguration(OtelTracing.class, SecondPropagator.class).run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(CallContextPropagator.class);
            assertThat(context).doesNotHaveBean(IncomingCallFilter.class);
            assertThat(context).doesNotHaveBean(OutgoingCallFilter.class);
        });
    }

    @Test
    void runWithTwoTracersOfWhichNoneIsPrimaryShouldStartAndRegisterNothing() {
        this.runner.withUserConfiguration(OtelTracing.class, SecondTracer.class).run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(CallContextPropagator.class);
            assertThat(context).doesNotHaveBean(IncomingCallFilter.class);
            assertThat(context).doesNotHaveBean(OutgoingCallFilter.class);
        });
    }

    @Test
    void runWithTwoPropagatorsOfWhichOneIsPrimaryShouldUseIt() {
        this.runner.withUserConfiguration(OtelTracing.class, PrimaryPropagator.class).run((context) -> {
            assertThat(context).hasSingleBean(IncomingCallFilter.class);
            assertThat(context).hasSingleBean(OutgoingCallFilter.class);
            CallContextPropagator propagator = context.getBean(CallContextPropagator.class);
            Tracer tracer = context.getBean(Tracer.class);
            Span span = tracer.nextSpan().start();
            try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
                assertThat(propagator.propagate(Map.of())).containsEntry("primary", span.context().traceId());
            }
            finally {
                span.end();
            }
        });
    }

    @Test
    void aTraceparentOfALaterVersionMayBeLongerThanVersion00s() {
        String v00 = "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assertThat(TraceFields.isWellFormedTraceparent("01-" + v00 + "-what-comes-later")).isTrue();
        assertThat(TraceFields.isWellFormedTraceparent("cc-" + v00 + "-x")).isTrue();
        assertThat(TraceFields.isWellFormedTraceparent("01-" + v00)).isTrue();
        assertThat(TraceFields.isWellFormedTraceparent("01-" + v00 + "x")).isFalse();
        assertThat(TraceFields.isWellFormedTraceparent("00-" + v00 + "-later")).isFalse();
        assertThat(TraceFields.isWellFormedTraceparent("00-" + v00 + "0")).isFalse();
        assertThat(TraceFields.isWellFormedTraceparent("ff-" + v00 + "-later")).isFalse();
        assertThat(TraceFields.isWellFormedTraceparent("0g-" + v00 + "-later")).isFalse();
        assertThat(TraceFields.isWellFormedTraceparent("01-" + v00.substring(0, v00.length() - 1))).isFalse();
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
    static class SecondPropagator {

        @Bean
        Propagator secondPropagator() {
            return Propagator.NOOP;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class SecondTracer {

        @Bean
        Tracer secondTracer() {
            return Tracer.NOOP;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class PrimaryPropagator {

        @Bean
        @Primary
        Propagator primaryPropagator() {
            return new Propagator() {

                @Override
                public List<String> fields() {
                    return List.of("primary");
                }

                @Override
                public <C> void inject(TraceContext context, @Nullable C carrier, Setter<C> setter) {
                    setter.set(carrier, "primary", context.traceId());
                }

                @Override
                public <C> Span.Builder extract(C carrier, Getter<C> getter) {
                    return Span.Builder.NOOP;
                }
            };
        }
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
