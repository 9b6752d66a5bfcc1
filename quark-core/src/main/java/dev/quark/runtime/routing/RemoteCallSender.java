package dev.quark.runtime.routing;

import java.util.concurrent.CompletionStage;

import dev.quark.actor.ActorUnreachableException;
import dev.quark.runtime.ActorCall;
import org.jspecify.annotations.Nullable;

/**
 * Carries a call to another silo: serializes it (address, method id, arguments, context, deadline), sends it
 * and completes the returned stage with the outcome the other silo reports. A cluster's transport
 * implements it; the receiving silo passes the call to {@link InboundCalls}.
 */
@FunctionalInterface
public interface RemoteCallSender {

    /** One silo: there is nowhere to send a call to. */
    RemoteCallSender NONE = (siloId, call) -> {
        throw new ActorUnreachableException("Cannot send " + call.address() + "." + call.method().name()
                + "() to silo " + siloId + ": this runtime has no transport to other silos");
    };

    /**
     * Sends a call to a silo.
     * @param siloId the silo chosen by the {@link ActorLocator}
     * @param call the call
     * @return a stage completed with the result (or failure) of the call; for a one-way call, once it is sent
     */
    CompletionStage<@Nullable Object> send(String siloId, ActorCall call);
}
