package dev.quark.cluster.routing;

import java.util.function.Supplier;

import dev.quark.actor.CallRejectedException;
import dev.quark.cluster.transport.grpc.EnvelopeRejectedException;

import org.jspecify.annotations.Nullable;

/**
 * Tells a call the transport refused for the call's own fault, its envelope too large or beyond the bounds every
 * silo receives envelopes within (by this silo before sending, or by the receiving silo), from the transport's other
 * failures, and makes it the {@link CallRejectedException} the caller gets: sending it again cannot succeed, so it
 * is neither routed again nor retried. A refusal for anything else, or by a silo that does not say why, stays the
 * transport's failure, which the routing reports as the target being unavailable.
 */
final class CallRejections {

    private CallRejections() {
    }

    /**
     * Returns the caller's failure for a call the transport refused for its own fault.
     * The method's name and the call's description are asked for only when the failure is such a refusal.
     * @param failure what the send or the wait for its answer failed with (unwrapped)
     * @param actor the actor, as {@code Contract/id}
     * @param method the method's name
     * @param call the call, described, for the message
     * @return the failure, or {@code null} when the transport failed the call for another reason
     */
    static @Nullable CallRejectedException of(Throwable failure, String actor, Supplier<String> method,
            Supplier<String> call) {
        if (!(failure instanceof EnvelopeRejectedException rejected)) {
            return null;
        }
        CallRejectedException.Reason reason = switch (rejected.reason()) {
            case TOO_LARGE -> CallRejectedException.Reason.TOO_LARGE;
            case BEYOND_BOUNDS -> CallRejectedException.Reason.BEYOND_BOUNDS;
            case OTHER -> null;
        };
        if (reason == null) {
            return null;
        }
        return new CallRejectedException(actor, method.get(), reason, "The transport refused " + call.get() + " ("
                + reason + "), not retried, as sending it again cannot succeed: " + rejected.getMessage(), rejected);
    }
}
