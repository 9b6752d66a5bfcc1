package dev.quark.autoconfigure.redis;

import java.time.Duration;

import dev.quark.autoconfigure.ClosingLifecycle;
import dev.quark.redis.RedisChannelSubscriptions;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.SmartLifecycle;

/**
 * Waits, when the context stops, for the shared subscription connections to finish what the areas asked of them as
 * they stopped (the areas' lifecycles use phases above {@link #PHASE}: their {@code UNSUBSCRIBE}s, and the connections
 * whose last subscription closed), before the connection factories stop: a {@code LettuceConnectionFactory} is a
 * lifecycle of its own (phase 0) that shuts its client down, after which a late call would fail in the client. The
 * connections themselves are made when the first area subscribes, so starting does nothing.
 */
final class RedisChannelSubscriptionsLifecycle extends ClosingLifecycle {

    /** Below the phases of the cluster silo, the job orchestrator and the durable-task worker; above the factories'. */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 8192;

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private static final Log logger = LogFactory.getLog(RedisChannelSubscriptionsLifecycle.class);

    private final RedisChannelSubscriptions subscriptions;

    RedisChannelSubscriptionsLifecycle(RedisChannelSubscriptions subscriptions) {
        super(PHASE);
        this.subscriptions = subscriptions;
    }

    @Override
    protected void close() {
        if (!this.subscriptions.awaitQueuedCalls(STOP_TIMEOUT)) {
            logger.warn("The shared Redis subscription connections did not finish their calls within "
                    + STOP_TIMEOUT.toSeconds() + "s");
        }
    }
}
