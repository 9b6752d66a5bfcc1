package dev.quark.autoconfigure.tracing;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.jobs.JobFilter;
import dev.quark.runtime.CallContextPropagator;
import dev.quark.runtime.filter.IncomingCallFilter;
import dev.quark.runtime.filter.OutgoingCallFilter;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Auto-configuration of trace context propagation, when the application has a Micrometer {@link Tracer} and
 * {@link Propagator} (Spring Boot's Brave or OpenTelemetry tracing): every call made through an actor reference
 * while a span is current runs in a {@code CLIENT} span of its own ({@code PRODUCER} for a one-way call), a child
 * of the current one, whose context it carries in its metadata (across silos in the envelope), and the turn it
 * starts runs in a {@code SERVER} span ({@code CONSUMER} for a one-way call), a child of the caller's one. Without a tracer nothing is registered and calls pay nothing; nor with
 * several tracers or propagators of which none is primary, since which one to use cannot be told.
 * <p>
 * With Quark's jobs on the class path, a {@link MicrometerTracingJobFilter} carries the enqueuing thread's trace
 * context to the workers and runs each attempt in a {@code CONSUMER} span, unless
 * {@code quark.jobs.tracing.enabled=false}.
 * <p>
 * {@code quark.tracing.enabled=false} turns all of it off (calls carry no trace context and run in no span of
 * Quark's, jobs neither), as if there were no tracer; the application's own tracing is untouched.
 */
@AutoConfiguration(before = QuarkActorsAutoConfiguration.class, afterName = {
        "org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration",
        "org.springframework.boot.micrometer.tracing.brave.autoconfigure.BraveAutoConfiguration",
        "org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration" })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "quark.tracing.enabled", matchIfMissing = true)
@ConditionalOnClass({ Tracer.class, Propagator.class })
@ConditionalOnSingleCandidate(Tracer.class)
public final class QuarkTracingAutoConfiguration {

    @Bean
    @ConditionalOnSingleCandidate(Propagator.class)
    CallContextPropagator quarkTraceContextPropagator(Tracer tracer, Propagator propagator) {
        return new MicrometerCallContextPropagator(tracer, propagator);
    }

    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    @ConditionalOnSingleCandidate(Propagator.class)
    @ConditionalOnBooleanProperty(name = "quark.tracing.client-spans", matchIfMissing = true)
    OutgoingCallFilter quarkClientSpanCallFilter(Tracer tracer, Propagator propagator) {
        return new MicrometerClientSpanCallFilter(tracer, propagator);
    }

    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    @ConditionalOnSingleCandidate(Propagator.class)
    IncomingCallFilter quarkTracingCallFilter(Tracer tracer, Propagator propagator) {
        return new MicrometerTracingCallFilter(tracer, propagator);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(JobFilter.class)
    @ConditionalOnBooleanProperty(name = "quark.jobs.tracing.enabled", matchIfMissing = true)
    static class JobsTracingConfiguration {

        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnSingleCandidate(Propagator.class)
        MicrometerTracingJobFilter quarkTracingJobFilter(Tracer tracer, Propagator propagator) {
            return new MicrometerTracingJobFilter(tracer, propagator);
        }
    }
}
