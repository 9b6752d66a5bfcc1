package dev.quark.autoconfigure.eventsourcing;

import dev.quark.eventsourcing.subscription.EventSubscriptionRunner;

import org.springframework.context.SmartLifecycle;

/**
 * Starts the {@link EventSubscriptionRunner} once the context is refreshed and closes it with the context: each
 * subscription finishes its current event and the runner releases its leases, so that another node takes over within
 * its poll interval. Restartable: a {@link #start()} after {@link #stop()} starts the runner afresh (new leases, each
 * subscription resuming from its checkpoint).
 */
final class EventSubscriptionsLifecycle implements SmartLifecycle {

    private final EventSubscriptionRunner runner;

    EventSubscriptionsLifecycle(EventSubscriptionRunner runner) {
        this.runner = runner;
    }

    @Override
    public void start() {
        this.runner.start();
    }

    @Override
    public void stop() {
        this.runner.close();
    }

    @Override
    public boolean isRunning() {
        return this.runner.isRunning();
    }
}
