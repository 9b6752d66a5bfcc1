package dev.quark.autoconfigure.tracing;

import java.util.List;
import java.util.Map;

import dev.quark.actor.Remindable;
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
 * <p>
 * A reminder's tick ({@link Remindable#receiveReminder}, a call the reminder service makes, with no trace context)
 * starts a trace of its own: a {@code CONSUMER} span named {@code <actor type>.receiveReminder}, tagged as above and
 * with the reminder's name ({@code quark.reminder.name}), so that what a scheduled turn does is traced as what a
 * call does; the tracer's sampler decides whether it is recorded.
 */
final class MicrometerTracingCallFilter implements IncomingCallFilter {

    private static final Logger logger = LoggerFactory.getLogger(MicrometerTracingCallFilter.class);

    private final Tracer tracer;

    private final Propagator propagator;

    private final List<String> fields;

    /** The method of a reminder's tick ({@link Remindable#receiveReminder}). */
    private static final String REMINDER_TICK = "receiveReminder";

    MicrometerTracingCallFilter(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
        this.fields = List.copyOf(propagator.fields());
    }

    @Override
    public @Nullable Object filter(IncomingCall call) throws Throwable {
        Map<String, String> metadata = call.metadata();
        if (metadata.isEmpty() || !TraceFields.anyIn(this.fields, metadata)) {
            return isReminderTick(call) ? inSpan(call, reminderSpan(call)) : call.proceed();
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
        return inSpan(call, span);
    }

    private static boolean isReminderTick(IncomingCall call) {
        return REMINDER_TICK.equals(call.method().name())
                && Remindable.class.isAssignableFrom(call.method().contract());
    }

    /** The root span of a reminder's tick; {@code null} when the tracer fails to start it (logged at debug). */
    private @Nullable Span reminderSpan(IncomingCall call) {
        try {
            Object reminder = call.arguments().isEmpty() ? null : call.arguments().getFirst();
            return this.tracer.spanBuilder()
                .setNoParent()
                .name(call.address().typeName() + "." + REMINDER_TICK)
                .kind(Span.Kind.CONSUMER)
                .tag("quark.actor.type", call.address().typeName())
                .tag("quark.actor.id", call.address().id())
                .tag("quark.actor.method", REMINDER_TICK)
                .tag("quark.reminder.name", String.valueOf(reminder))
                .start();
        }
        catch (RuntimeException ex) {
            logger.debug("Could not start the span of a reminder's tick of {}: the turn runs without a span",
                    call.address(), ex);
            return null;
        }
    }

    /** Runs the call with a span current, and ends the span; without one when {@code span} is {@code null}. */
    private @Nullable Object inSpan(IncomingCall call, @Nullable Span span) throws Throwable {
        if (span == null) {
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
