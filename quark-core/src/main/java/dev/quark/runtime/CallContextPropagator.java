package dev.quark.runtime;

import java.util.Map;

/**
 * Adds the context of the calling thread to every call made through a reference of the runtime, as metadata:
 * the place for a trace context ({@code traceparent}), which then travels with the call to its turn, on this
 * silo or in the envelope to another one, where an {@link dev.quark.runtime.filter.IncomingCallFilter} picks
 * it up. Under Spring Boot with Micrometer Tracing, Quark registers one that writes the current span's
 * context with the tracer's propagator.
 * <p>
 * It runs on the caller's thread when the call is created, before the outgoing filters, once per call; a
 * runtime without one does nothing there. Unlike an outgoing filter, it decides the metadata the call carries
 * (including the metadata a call inside a turn inherits from the turn's own call).
 * <pre>{@code
 * CallContextPropagator tenant = (metadata) -> {
 *     Map<String, String> withTenant = new HashMap<>(metadata);
 *     withTenant.put("tenant", Tenants.current());
 *     return withTenant;
 * };
 * }</pre>
 */
@FunctionalInterface
public interface CallContextPropagator {

    /**
     * Returns the metadata a call made on the current thread carries.
     * @param metadata the metadata the call would carry otherwise: the open
     * {@link dev.quark.actor.RequestContext}'s, else the current turn's call's, else empty; immutable
     * @return the metadata to carry, the given map itself when nothing changes; not {@code null}
     */
    Map<String, String> propagate(Map<String, String> metadata);
}
