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
 */
public record InboundCall(ActorAddress address, int methodId, @Nullable Object[] arguments, long callChainId,
        @Nullable String requestId, Map<String, String> metadata, long deadlineEpochMillis) {

    /**
     * Validates the components and copies the metadata.
     */
    public InboundCall {
        Objects.requireNonNull(address, "address must not be null");
        Objects.requireNonNull(arguments, "arguments must not be null");
        metadata = Map.copyOf(metadata);
    }
}
