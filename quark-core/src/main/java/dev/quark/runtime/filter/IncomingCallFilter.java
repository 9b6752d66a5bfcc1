package dev.quark.runtime.filter;

import dev.quark.runtime.ActorCall;
import dev.quark.runtime.CallOutcome;
import org.jspecify.annotations.Nullable;

/**
 * Runs inside the actor's turn around every call it serves, wherever the call came from (a local reference
 * or another silo): the place for authorization, tenancy checks, auditing and metrics.
 * <p>
 * Filters run in registration order ({@code @Order} under Spring Boot), the first one outermost, on the
 * turn's thread and under the turn's isolation. A filter calls {@link IncomingCall#proceed()} to go on and
 * returns its result; it short-circuits by returning a value without proceeding (for an asynchronous
 * method, the value its stage completes with), and fails the call by throwing. It sees the outcome of
 * synchronous, asynchronous (once their stage completes) and one-way calls alike.
 * <pre>{@code
 * IncomingCallFilter tenants = (call) -> {
 *     if (!call.address().id().startsWith(call.metadata().getOrDefault("tenant", "?") + ":")) {
 *         throw new AccessDeniedException("Tenant may not call " + call.address());
 *     }
 *     return call.proceed();
 * };
 * }</pre>
 */
@FunctionalInterface
public interface IncomingCallFilter {

    /**
     * Filters one call inside its turn.
     * @param call the call, to inspect and to proceed with
     * @return the call's result
     * @throws Throwable to fail the call; the caller receives it unchanged
     */
    @Nullable Object filter(IncomingCall call) throws Throwable;

    /**
     * Told about a call that reached this silo but whose turn never ran, so that no filter saw it: its
     * deadline passed or its caller gave up ({@link CallOutcome#EXPIRED}), its mailbox stayed full
     * ({@link CallOutcome#REJECTED}), or its activation failed or shut down first
     * ({@link CallOutcome#FAILURE}). Does nothing by default.
     * @param call the call
     * @param outcome why it did not run
     * @param failure what the caller was told, when it was told something
     */
    default void notRun(ActorCall call, CallOutcome outcome, @Nullable Throwable failure) {
    }
}
