package dev.quark.runtime.routing;

import java.util.Map;
import java.util.Objects;

import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

/**
 * A call that arrived from another silo, its arguments already deserialized by the transport with the types
 * {@link InboundCalls#method(String, int)} gives.
 *
 * @param address the called actor
 * @param methodId the method id
 * @param arguments the arguments, in order
 * @param callChainId the caller's call chain, so that calls back into the chain are let in
 * @param requestId the request id, or {@code null} to derive one from the chain id
 * @param metadata the caller's metadata
 * @param deadlineEpochMillis when the call expires, in epoch milliseconds
 * @param reroutes how many times this silo's router has already routed the call again after silos refused it
 * without running it (a call that came back here); for a call from another silo 0, or, for a one-way call this
 * silo passed on and could not hand over to the actor's owner, how many times it routed that call again. The
 * runtime carries it to the call's {@link ReroutedCall} view, so that a call the directory sends on from here keeps
 * counting
 * @param retried whether this silo's router delivers here the one retry of an idempotent call whose first outcome
 * was unknown (a retry that came back here); {@code false} for a call from another silo. Carried to the call's
 * {@link ReroutedCall} view like the count, so that a retry the directory sends on from here is not retried again
 */
public record InboundCall(ActorAddress address, int methodId, @Nullable Object[] arguments, long callChainId,
        @Nullable String requestId, Map<String, String> metadata, long deadlineEpochMillis, int reroutes,
        boolean retried) {

    /**
     * Validates the components and copies the metadata.
     */
    public InboundCall {
        Objects.requireNonNull(address, "address must not be null");
        Objects.requireNonNull(arguments, "arguments must not be null");
        metadata = Map.copyOf(metadata);
    }

    /**
     * Creates a call that arrived from another silo (routed again no times yet).
     * @param address the called actor
     * @param methodId the method id
     * @param arguments the arguments, in order
     * @param callChainId the caller's call chain
     * @param requestId the request id, or {@code null} to derive one from the chain id
     * @param metadata the caller's metadata
     * @param deadlineEpochMillis when the call expires, in epoch milliseconds
     */
    public InboundCall(ActorAddress address, int methodId, @Nullable Object[] arguments, long callChainId,
            @Nullable String requestId, Map<String, String> metadata, long deadlineEpochMillis) {
        this(address, methodId, arguments, callChainId, requestId, metadata, deadlineEpochMillis, 0, false);
    }

    /**
     * Creates a call routed again the given number of times, not a retry.
     * @param address the called actor
     * @param methodId the method id
     * @param arguments the arguments, in order
     * @param callChainId the caller's call chain
     * @param requestId the request id, or {@code null} to derive one from the chain id
     * @param metadata the caller's metadata
     * @param deadlineEpochMillis when the call expires, in epoch milliseconds
     * @param reroutes how many times this silo's router has already routed the call again
     */
    public InboundCall(ActorAddress address, int methodId, @Nullable Object[] arguments, long callChainId,
            @Nullable String requestId, Map<String, String> metadata, long deadlineEpochMillis, int reroutes) {
        this(address, methodId, arguments, callChainId, requestId, metadata, deadlineEpochMillis, reroutes, false);
    }
}
