package dev.quark.runtime.filter;

import dev.quark.runtime.ActorCall;
import org.jspecify.annotations.Nullable;

/**
 * A call inside its turn, as an {@link IncomingCallFilter} sees it.
 */
public interface IncomingCall extends ActorCall {

    /**
     * Passes the call to the next filter, or invokes the actor method when this is the last one. For an
     * asynchronous method it returns once the stage the method returned completes, with its value.
     * @return the method's result, {@code null} for {@code void}
     * @throws Throwable what the method (or a later filter) threw
     */
    @Nullable Object proceed() throws Throwable;
}
