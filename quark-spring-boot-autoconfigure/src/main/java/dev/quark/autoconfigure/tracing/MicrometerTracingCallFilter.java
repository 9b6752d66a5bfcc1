package dev.quark.autoconfigure.tracing;

import java.util.List;
import java.util.Map;

import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.filter.IncomingCall;
import dev.quark.runtime.filter.IncomingCallFilter;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a turn whose call carries a trace context in a span of its own, a child of the caller's span, current
 * on the turn's thread: logs written by the actor carry the caller's trace id, and the calls it makes carry
 * the turn's span on ({@link MicrometerCallContextPropagator}). A call without a trace context runs without a
 * span; one whose {@code traceparent} is malformed too (logged at debug), since it cannot name a parent, and
 * one whose context the tracer fails on (a bad {@code tracestate} or {@code baggage}, logged at debug): trace
 * context never fails a turn. A started span is always ended.
 * <p>
 * The span is named {@code <actor type>.<method>}, tagged with the actor's type, id and method
 * ({@code quark.actor.type}, {@code quark.actor.id}, {@code quark.actor.method}), and records the turn's failure.
 * It is of kind {@code SERVER}, or {@code CONSUMER} for a one-way call (the caller's span of it is a
 * {@code PRODUCER}, {@link MicrometerClientSpanCallFilter}): still a child of the span whose context the call
 * carries, as a message consumer's span is of its producer's in Micrometer Tracing's instrumentations (Brave's
 * messaging ones), since the turn processes that one message.
 */
final class MicrometerTracingCallFilter implements IncomingCallFilter {

    private static final Logger logger = LoggerFactory.getLogger(MicrometerTracingCallFilter.class);

    private final Tracer tracer;

    private final Propagator propagator;

    private final List<String> fields;

    MicrometerTracingCallFilter(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
        this.fields = List.copyOf(propagator.fields());
    }

    @Override
    public @Nullable Object filter(IncomingCall call) throws Throwable {
        Map<String, String> metadata = call.metadata();
        if (metadata.isEmpty() || !TraceFields.anyIn(this.fields, metadata)) {
            return call.proceed();
        }
        if (metadata.containsKey(TraceFields.TRACEPARENT)
                && !TraceFields.isWellFormedTraceparent(metadata.get(TraceFields.TRACEPARENT))) {
            logger.debug("Ignored the malformed traceparent '{}' of a call to {}.{}(): the turn runs without a span",
                    metadata.get(TraceFields.TRACEPARENT), call.address(), call.method().name());
            return call.proceed();
        }
        Span span;
        try {
            span = this.propagator.extract(metadata, Map::get)
                .name(call.address().typeName() + "." + call.method().name())
                .kind((call.method().kind() == MethodDescriptor.CallKind.ONE_WAY) ? Span.Kind.CONSUMER
                        : Span.Kind.SERVER)
                .tag("quark.actor.type", call.address().typeName())
                .tag("quark.actor.id", call.address().id())
                .tag("quark.actor.method", call.method().name())
                .start();
        }
        catch (RuntimeException ex) {
            logger.debug("Could not start a span from the trace context of a call to {}.{}(): the turn runs"
                    + " without a span", call.address(), call.method().name(), ex);
            return call.proceed();
        }
        Tracer.SpanInScope scope;
        try {
            scope = this.tracer.withSpan(span);
        }
        catch (RuntimeException ex) {
            span.end();
            logger.debug("Could not make the span of a call to {}.{}() current: the turn runs without a span",
                    call.address(), call.method().name(), ex);
            return call.proceed();
        }
        try (scope) {
            return call.proceed();
        }
        catch (Throwable ex) {
            span.error(ex);
            throw ex;
        }
        finally {
            span.end();
        }
    }
}
