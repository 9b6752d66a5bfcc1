package dev.quark.autoconfigure.health;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import dev.quark.eventsourcing.FeedPosition;
import dev.quark.eventsourcing.subscription.EventSubscriptionRunner;
import dev.quark.eventsourcing.subscription.SubscriptionState;
import dev.quark.eventsourcing.subscription.SubscriptionStatus;

/**
 * The event subscriptions of this node: up while the runner runs, with the runner's owner name and, per subscription,
 * its state ({@code FOLLOWING} on the node that holds its lease, {@code STANDBY} on the others, {@code RETRYING} while
 * its handler fails on an event), its position, the failures in a row and the last error. A failing handler does not
 * make the node down (it is retried, and restarting the node would not help it): watch the {@code RETRYING} state or
 * the {@code quark.eventstore.subscription.failures} counter. Down when a subscription is {@code FAILED}: its thread
 * ended while the runner runs (a {@link VirtualMachineError}), so this node no longer follows it (it released the
 * lease, another node takes over) until it is restarted, and while a subscription is {@code FENCED_OUT}: the lease
 * store's tokens went back and the store cannot raise them (a store that can is raised above the checkpoint's stamp,
 * and the node follows again without going down: watch {@code quark.eventstore.subscription.lease.tokens.lost}), so
 * no node can follow it until its checkpoint's stamp is cleared by hand (the state's
 * {@code lastError} says how) or the tokens pass it; it comes back up by itself once a claim is accepted. Out of
 * service once the runner stopped.
 * <p>
 * Each subscription's details also show the incidents of lost fencing tokens this node found since it started
 * ({@code fencingTokensLost}, once per incident, raised or not) and, once there was one, when it found the last
 * ({@code lastFencingTokensLoss}, an ISO-8601 instant): a raised store leaves the status {@code UP}, so these and the
 * counter are where an operator sees that the store lost its data. And the events this node recorded as dead letters
 * since it started ({@code deadLettered}), which leave it {@code UP} too: the subscription went on; the feed keeps
 * them for an operator to retry or discard ({@code runner.deadLetters()}).
 */
public class EventSubscriptionsHealthIndicator extends AbstractHealthIndicator {

    private final EventSubscriptionRunner runner;

    /**
     * Creates the indicator.
     * @param runner the runner
     */
    public EventSubscriptionsHealthIndicator(EventSubscriptionRunner runner) {
        super("Quark event subscriptions health check failed");
        this.runner = Objects.requireNonNull(runner, "runner must not be null");
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("owner", this.runner.owner());
        Map<String, Object> subscriptions = new LinkedHashMap<>();
        List<SubscriptionStatus> statuses = this.runner.statuses();
        for (SubscriptionStatus status : statuses) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("state", status.state().name());
            FeedPosition position = status.position();
            if (position != null) {
                details.put("position", position.toString());
            }
            details.put("failures", status.failures());
            String lastError = status.lastError();
            if (lastError != null) {
                details.put("lastError", lastError);
            }
            details.put("fencingTokensLost", status.fencingTokensLost());
            Instant lastLoss = status.lastFencingTokensLoss();
            if (lastLoss != null) {
                details.put("lastFencingTokensLoss", lastLoss.toString());
            }
            details.put("deadLettered", status.deadLettered());
            subscriptions.put(status.name(), details);
        }
        builder.withDetail("subscriptions", subscriptions);
        boolean failed = statuses.stream()
            .anyMatch((status) -> status.state() == SubscriptionState.FAILED
                    || status.state() == SubscriptionState.FENCED_OUT);
        if (!this.runner.isRunning()) {
            builder.outOfService();
        }
        else if (failed) {
            builder.down();
        }
        else {
            builder.up();
        }
    }
}
