package dev.quark.runtime.internal;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

/**
 * An invocation whose caller holds a future that times out after the call timeout: it carries its links in
 * the runtime's {@link CallTimeouts}, which other invocations do without.
 */
final class TimedInvocation extends Invocation {

    /** The timeouts this call is armed in, while it is; links and deadline guarded by their lock. */
    volatile @Nullable CallTimeouts timeouts;

    @Nullable TimedInvocation timeoutPrevious;

    @Nullable TimedInvocation timeoutNext;

    long timeoutAtNanos;

    /** A filter's stage that times out with this call. */
    @Nullable CompletableFuture<?> timeoutAlsoFails;

    TimedInvocation(@Nullable ActorIdentity target, @Nullable ActorAddress address, @Nullable ActorMethod method,
            @Nullable SystemTask task, Object @Nullable [] arguments, long chainId, @Nullable String requestId,
            Map<String, String> metadata, long deadlineMillis) {
        super(target, address, method, task, arguments, chainId, requestId, metadata, deadlineMillis);
    }

    @Override
    void callCompleted() {
        CallTimeouts armed = this.timeouts;
        if (armed != null) {
            armed.callCompleted(this);
        }
    }
}
