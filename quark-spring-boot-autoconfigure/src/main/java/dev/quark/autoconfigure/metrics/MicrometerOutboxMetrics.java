package dev.quark.autoconfigure.metrics;

import java.time.Duration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import dev.quark.messaging.runtime.OutboxMetrics;

/**
 * The outbox dispatcher's metrics in Micrometer:
 * <ul>
 * <li>{@value #DELIVERIES}: delivery attempts, tags {@code destination} and {@code outcome} ({@code delivered},
 * {@code retried}, {@code dead});</li>
 * <li>{@value #LATENESS}: from a message's enqueueing to its delivery, tag {@code destination}.</li>
 * </ul>
 */
public class MicrometerOutboxMetrics implements OutboxMetrics {

    /** The counter of delivery attempts. */
    public static final String DELIVERIES = "quark.outbox.deliveries";

    /** The timer of delivery lateness. */
    public static final String LATENESS = "quark.outbox.delivery.lateness";

    private final MeterRegistry registry;

    /**
     * Creates the metrics.
     * @param registry where they are registered
     */
    public MicrometerOutboxMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void delivered(String destination, Duration lateness) {
        Timer.builder(LATENESS)
            .description("Time from enqueueing an outbox message to its delivery")
            .tag("destination", destination)
            .register(this.registry)
            .record(lateness.isNegative() ? Duration.ZERO : lateness);
        count(destination, "delivered");
    }

    @Override
    public void retried(String destination) {
        count(destination, "retried");
    }

    @Override
    public void deadLettered(String destination) {
        count(destination, "dead");
    }

    private void count(String destination, String outcome) {
        Counter.builder(DELIVERIES)
            .description("Outbox delivery attempts")
            .tag("destination", destination)
            .tag("outcome", outcome)
            .register(this.registry)
            .increment();
    }
}
