package dev.quark.autoconfigure.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.eventsourcing.subscription.EventSubscriptionMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Records what event subscriptions do in Micrometer, tagged with the subscription's name ({@code subscription}):
 * <ul>
 * <li>{@code quark.eventstore.subscription.events} (counter): events handled (checkpoint saved) on this node;</li>
 * <li>{@code quark.eventstore.subscription.failures} (counter): failed attempts (the handler threw, or the feed
 * could not be read or the checkpoint claimed or saved), each retried after a back-off; also a node turning
 * {@code FENCED_OUT} (its third refused claim in a row, then every 100th);</li>
 * <li>{@code quark.eventstore.subscription.lease.tokens.lost} (counter): checkpoints found stamped above the token
 * of the lease a node had just acquired, once per incident: the lease store's tokens went back (a Redis that lost
 * writes, a restore, {@code quark.leases.backend} switched), and the node raised them above the stamp (or, on a store
 * that cannot raise them, turns {@code FENCED_OUT});</li>
 * <li>{@code quark.eventstore.subscription.lateness} (timer): how long after the store recorded an event it was
 * handled (the store's clock against the node's: on PostgreSQL and Redis the database's), i.e. how far behind the
 * subscription runs.</li>
 * </ul>
 * The meters of a subscription are registered, at zero, when the runner starts following it ({@link #started}), so that
 * {@code increase()} over the first incident counts it, and kept, so a report does one map lookup.
 */
public class MicrometerEventSubscriptionMetrics implements EventSubscriptionMetrics {

    /** Name of the handled events counter. */
    public static final String EVENTS = "quark.eventstore.subscription.events";

    /** Name of the failed attempts counter. */
    public static final String FAILURES = "quark.eventstore.subscription.failures";

    /** Name of the counter of checkpoints found stamped above a lease store's tokens. */
    public static final String TOKENS_LOST = "quark.eventstore.subscription.lease.tokens.lost";

    /** Name of the counter of events given up on and recorded as dead letters. */
    public static final String DEAD_LETTERS = "quark.eventstore.subscription.dead.letters";

    /** Name of the lateness timer. */
    public static final String LATENESS = "quark.eventstore.subscription.lateness";

    private final MeterRegistry registry;

    private final Map<String, Meters> meters = new ConcurrentHashMap<>();

    /**
     * Creates the metrics, registering each subscription's meters when its runner starts (or on first use).
     * @param registry where the meters are registered
     */
    public MicrometerEventSubscriptionMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void handled(String subscription, Duration lateness) {
        Meters meters = meters(subscription);
        meters.events.increment();
        meters.lateness.record(lateness);
    }

    @Override
    public void failed(String subscription) {
        meters(subscription).failures.increment();
    }

    @Override
    public void started(String subscription) {
        meters(subscription);
    }

    @Override
    public void deadLettered(String subscription) {
        meters(subscription).deadLetters.increment();
    }

    @Override
    public void fencingTokensLost(String subscription) {
        meters(subscription).tokensLost.increment();
    }

    private Meters meters(String subscription) {
        return this.meters.computeIfAbsent(subscription, (name) -> new Meters(
                Counter.builder(EVENTS).description("Events handled by an event subscription")
                    .tag("subscription", name).register(this.registry),
                Counter.builder(FAILURES).description("Failed attempts of an event subscription, retried after a back-off")
                    .tag("subscription", name).register(this.registry),
                Timer.builder(LATENESS).description("Time from an event's recording to its handling by a subscription")
                    .tag("subscription", name).register(this.registry),
                Counter.builder(TOKENS_LOST)
                    .description("Checkpoints of a subscription found stamped above the token of a lease still "
                            + "current in the lease store: its tokens went back (raised above the stamp, or the node "
                            + "fenced out)")
                    .tag("subscription", name).register(this.registry),
                Counter.builder(DEAD_LETTERS)
                    .description("Events an event subscription gave up on after its maximum number of attempts and "
                            + "recorded as dead letters")
                    .tag("subscription", name).register(this.registry)));
    }

    private record Meters(Counter events, Counter failures, Timer lateness, Counter tokensLost, Counter deadLetters) {
    }
}
