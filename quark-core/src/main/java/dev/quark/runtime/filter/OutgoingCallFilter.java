package dev.quark.runtime.filter;

import java.util.concurrent.CompletionStage;

import org.jspecify.annotations.Nullable;

/**
 * Runs on the caller's side around every call made through an actor reference, before the call is routed:
 * the place for propagating tracing context, client-side authorization or auditing.
 * <p>
 * Filters run in registration order ({@code @Order} under Spring Boot), the first one outermost, on the
 * caller's thread. A filter passes the call on with {@link OutgoingCall#proceed()} and returns what it
 * returned, possibly composed with more work; it short-circuits by returning a stage of its own without
 * proceeding, and fails the call by throwing or returning a failed stage. The stage completes with the
 * outcome for synchronous and asynchronous methods, so a filter sees results and failures alike; for
 * one-way methods it completes once the message is delivered. The turn's own outcome is seen by an
 * {@link IncomingCallFilter}.
 * <pre>{@code
 * OutgoingCallFilter audit = (call) -> call.proceed().whenComplete((result, failure) ->
 *         log.info("{}.{} -> {}", call.address(), call.method().name(), (failure != null) ? failure : result));
 * }</pre>
 */
@FunctionalInterface
public interface OutgoingCallFilter {

    /**
     * Filters one call.
     * @param call the call, to inspect and to proceed with
     * @return a stage of the outcome
     * @throws Throwable to fail the call; the caller receives it unchanged
     */
    CompletionStage<@Nullable Object> filter(OutgoingCall call) throws Throwable;
}
