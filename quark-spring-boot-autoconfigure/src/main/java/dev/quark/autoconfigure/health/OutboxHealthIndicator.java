package dev.quark.autoconfigure.health;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import dev.quark.messaging.runtime.OutboxDispatcher;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.OutboxStore;

/**
 * The outbox's health: up with the pending and dead-letter counts and the partitions this node delivers when the
 * store answers, down with the store's exception otherwise.
 */
public class OutboxHealthIndicator extends AbstractHealthIndicator {

    private final OutboxStore store;

    private final @Nullable OutboxDispatcher dispatcher;

    /**
     * Creates the indicator.
     * @param store the outbox store
     * @param dispatcher this node's dispatcher, or {@code null} when it does not dispatch
     */
    public OutboxHealthIndicator(OutboxStore store, @Nullable OutboxDispatcher dispatcher) {
        super("Quark outbox health check failed");
        this.store = store;
        this.dispatcher = dispatcher;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("store", this.store.toString())
            .withDetail("pending", this.store.count(MessageStatus.PENDING))
            .withDetail("deadLetters", this.store.count(MessageStatus.DEAD));
        this.store.oldestPending().ifPresent((at) -> builder.withDetail("oldestPending", at.toString()));
        if (this.dispatcher != null) {
            builder.withDetail("dispatcher", this.dispatcher.owner())
                .withDetail("partitions", this.dispatcher.partitions());
        }
        builder.up();
    }
}
