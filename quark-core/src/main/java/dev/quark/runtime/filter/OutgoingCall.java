package dev.quark.runtime.filter;

import java.util.Map;
import java.util.concurrent.CompletionStage;

import dev.quark.runtime.ActorCall;
import org.jspecify.annotations.Nullable;

/**
 * A call on its way out, as an {@link OutgoingCallFilter} sees it.
 */
public interface OutgoingCall extends ActorCall {

    /**
     * Passes the call to the next filter, or sends it when this is the last one. A call is sent once: a
     * second {@code proceed()} on the same call fails; a filter that retries makes a new call through a
     * reference.
     * @return a stage completed with the call's outcome: the value (or the failure) of a synchronous or
     * asynchronous call; {@code null} once a one-way call is delivered
     * @throws RuntimeException when the call cannot be delivered (a full mailbox, a closed runtime, no route)
     * @throws IllegalStateException when the call was already sent
     */
    CompletionStage<@Nullable Object> proceed();

    /**
     * Passes the call on like {@link #proceed()}, carrying the given metadata instead of {@link #metadata()}:
     * the filters after this one, the turn (on this silo or, in the envelope, on another one) and its
     * {@link IncomingCallFilter}s see it. The place for context that belongs to this one call, such as the trace
     * context of a span the filter starts around it.
     * <p>
     * The runtime's calls implement it. This default, for implementations of this interface written before it
     * existed (a test double, a wrapper), sends nothing and throws: proceeding without the metadata would lose
     * context the filter meant the call to carry, silently.
     * @param metadata the metadata the call carries from here on; copied
     * @return a stage completed with the call's outcome, as {@link #proceed()}'s
     * @throws NullPointerException when the metadata is {@code null} or has a {@code null} key or value (the
     * message names the filter and the key)
     * @throws RuntimeException when the call cannot be delivered (a full mailbox, a closed runtime, no route)
     * @throws IllegalStateException when the call was already sent
     * @throws UnsupportedOperationException when the implementation does not override this method (the message
     * names its class)
     */
    default CompletionStage<@Nullable Object> proceed(Map<String, String> metadata) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot proceed with other metadata: it"
                + " does not implement OutgoingCall.proceed(Map); nothing was sent for " + this);
    }
}
