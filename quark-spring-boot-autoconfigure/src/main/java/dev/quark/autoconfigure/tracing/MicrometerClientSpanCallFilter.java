package dev.quark.autoconfigure.tracing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.filter.OutgoingCall;
import dev.quark.runtime.filter.OutgoingCallFilter;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps a call made through a reference while a span is current in a span of its own on the caller's side: a
 * child of the current span, named like the turn's span ({@code <actor type>.<method>}) and tagged alike
 * ({@code quark.actor.type}, {@code quark.actor.id}, {@code quark.actor.method}). It starts before the call is
 * sent, and the call carries its trace context instead of the caller's, so the turn's span
 * ({@link MicrometerTracingCallFilter}) is its child.
 * <p>
 * A call that waits for an answer (synchronous or asynchronous) gets a {@code CLIENT} span, which ends when the
 * call's outcome is known: the answer, the failure (recorded on it), or the call timeout (recorded too). A
 * one-way call gets a {@code PRODUCER} span, as a message sent to a queue would: no outcome comes back, so it ends
 * when the call is handed over, that is when the filters inside this one return, the moment the caller of a
 * one-way method returns. It records the failure the stage they return already has then (a call that could not
 * be delivered, which the caller receives too); a stage still running then is not waited for (an inner filter
 * that defers the sending, or one that never completes its stage, leaves no span open). A call made where no span
 * is current gets none (its metadata is {@link MicrometerCallContextPropagator}'s, without trace context).
 * <p>
 * The span is not made current on the caller's thread: nothing of the caller's runs while it is open but the
 * routing and the inner filters. A tracer that fails to start the span or to write its context (logged at
 * debug) leaves the call as it was, carrying the caller's span's context: a tracer's failure never fails a call.
 * (An {@code OutgoingCall} implemented outside Quark that does not override {@code proceed(Map)} fails the call with
 * {@code UnsupportedOperationException}: this filter replaces the call's metadata.) A
 * {@code CLIENT} span ends on the thread that completes the call, which may be just after the caller has its
 * outcome.
 */
final class MicrometerClientSpanCallFilter implements OutgoingCallFilter {

    private static final Logger logger = LoggerFactory.getLogger(MicrometerClientSpanCallFilter.class);

    private final Tracer tracer;

    private final Propagator propagator;

    private final List<String> fields;

    MicrometerClientSpanCallFilter(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
        this.fields = List.copyOf(propagator.fields());
    }

    @Override
    public CompletionStage<@Nullable Object> filter(OutgoingCall call) throws Throwable {
        TraceContext parent = this.tracer.currentTraceContext().context();
        if (parent == null || Boolean.FALSE.equals(parent.sampled())) {
            // No span, or one not sampled: a child would not be recorded either; the propagator already wrote the
            // caller's context, which says so.
            return call.proceed();
        }
        boolean oneWay = call.method().kind() == MethodDescriptor.CallKind.ONE_WAY;
        Span span;
        Map<String, String> metadata;
        try {
            span = this.tracer.spanBuilder()
                .setParent(parent)
                .name(call.address().typeName() + "." + call.method().name())
                .kind(oneWay ? Span.Kind.PRODUCER : Span.Kind.CLIENT)
                .tag("quark.actor.type", call.address().typeName())
                .tag("quark.actor.id", call.address().id())
                .tag("quark.actor.method", call.method().name())
                .start();
        }
        catch (RuntimeException ex) {
            logger.debug("Could not start the span of a call to {}.{}(): the call carries the caller's span",
                    call.address(), call.method().name(), ex);
            return call.proceed();
        }
        try {
            metadata = withContextOf(span, call.metadata());
        }
        catch (RuntimeException ex) {
            end(span, null);
            logger.debug("Could not write the context of the span of a call to {}.{}(): the call carries"
                    + " the caller's span", call.address(), call.method().name(), ex);
            return call.proceed();
        }
        CompletionStage<@Nullable Object> outcome;
        try {
            outcome = call.proceed(metadata);
        }
        catch (Throwable ex) {
            end(span, ex);
            throw ex;
        }
        if (oneWay) {
            end(span, failureSoFar(outcome));
            return outcome;
        }
        CompletableFuture<@Nullable Object> ending = endingStage(outcome);
        ending.whenComplete((result, failure) -> end(span, failure));
        return ending;
    }

    /**
     * Returns the stage whose completion ends a {@code CLIENT} span: the inner filters' own when it is the future
     * the caller waits on (the runtime completes that very future with the call timeout), else a future of this
     * filter's that follows it and that the runtime times out in its place. A stage that is not its own future (a
     * {@code minimalCompletionStage()}, a stage of another library) would otherwise never end the span when it never
     * completes: the runtime would time out a copy of it.
     */
    private static CompletableFuture<@Nullable Object> endingStage(CompletionStage<@Nullable Object> outcome) {
        try {
            CompletableFuture<@Nullable Object> future = outcome.toCompletableFuture();
            if (future == outcome) {
                return future;
            }
        }
        catch (UnsupportedOperationException ex) {
            // Not convertible: followed below.
        }
        CompletableFuture<@Nullable Object> following = new CompletableFuture<>();
        outcome.whenComplete((result, failure) -> {
            if (failure != null) {
                following.completeExceptionally(failure);
            }
            else {
                following.complete(result);
            }
        });
        return following;
    }

    /** The failure a stage already completed with, as the caller of a one-way method receives it; none else. */
    private static @Nullable Throwable failureSoFar(CompletionStage<?> stage) {
        CompletableFuture<?> future;
        try {
            future = stage.toCompletableFuture();
        }
        catch (UnsupportedOperationException ex) {
            return null;
        }
        if (!future.isCompletedExceptionally()) {
            return null;
        }
        try {
            future.join();
            return null;
        }
        catch (CompletionException | CancellationException ex) {
            return ex;
        }
    }

    private Map<String, String> withContextOf(Span span, Map<String, String> metadata) {
        Map<String, String> carrier = new HashMap<>(metadata);
        this.fields.forEach(carrier::remove);
        this.propagator.inject(span.context(), carrier, (map, key, value) -> {
            if (map != null) {
                map.put(key, value);
            }
        });
        return carrier;
    }

    /** Ends the span, recording the call's failure when it has one; a tracer that fails here fails no call. */
    private static void end(Span span, @Nullable Throwable failure) {
        try {
            if (failure != null) {
                span.error((failure instanceof CompletionException && failure.getCause() != null)
                        ? failure.getCause() : failure);
            }
            span.end();
        }
        catch (RuntimeException ex) {
            logger.debug("Could not end the span {} of a call", span, ex);
        }
    }
}
