package dev.quark.autoconfigure.tracing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.quark.runtime.CallContextPropagator;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

/**
 * Writes the trace context of the calling thread's current span into the metadata of each call, with the
 * tracer's {@link Propagator} (W3C {@code traceparent}, and {@code baggage} when the tracer propagates it, or
 * whatever format the application's tracer is set up for), so that the call carries it to its turn, in the
 * envelope when the actor lives on another silo. A call made without a current span carries no trace context:
 * one inherited from the turn it is made in is removed. A call made in a span then gets a {@code CLIENT} span
 * ({@code PRODUCER} for a one-way call) of its own ({@link MicrometerClientSpanCallFilter}), whose context
 * replaces the one written here.
 */
final class MicrometerCallContextPropagator implements CallContextPropagator {

    private final Tracer tracer;

    private final Propagator propagator;

    private final List<String> fields;

    MicrometerCallContextPropagator(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
        this.fields = List.copyOf(propagator.fields());
    }

    @Override
    public Map<String, String> propagate(Map<String, String> metadata) {
        TraceContext context = this.tracer.currentTraceContext().context();
        if (context == null) {
            return withoutTraceFields(metadata);
        }
        Map<String, String> carrier = new HashMap<>(metadata);
        this.fields.forEach(carrier::remove);
        this.propagator.inject(context, carrier, (map, key, value) -> {
            if (map != null) {
                map.put(key, value);
            }
        });
        return carrier;
    }

    private Map<String, String> withoutTraceFields(Map<String, String> metadata) {
        if (metadata.isEmpty() || !TraceFields.anyIn(this.fields, metadata)) {
            return metadata;
        }
        Map<String, String> stripped = new HashMap<>(metadata);
        this.fields.forEach(stripped::remove);
        return stripped;
    }
}
