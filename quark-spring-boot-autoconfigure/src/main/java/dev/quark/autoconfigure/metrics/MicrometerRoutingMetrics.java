package dev.quark.autoconfigure.metrics;

import dev.quark.cluster.routing.RoutingMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@link RoutingMetrics} on Micrometer: {@value #FORWARDED} (calls this silo passed on to the owner of their
 * actor), {@value #REROUTED} (calls this silo sent that a silo refused without running them, because it was
 * leaving or not serving, and that this silo routed again) and {@value #FAILED} (calls this silo sent that failed for a membership reason, by {@code reason}: the
 * exception's simple name).
 */
public class MicrometerRoutingMetrics implements RoutingMetrics {

    /** Name of the forwarded-call counter. */
    public static final String FORWARDED = "quark.cluster.calls.forwarded";

    /** Name of the counter of calls routed again after a refusal. */
    public static final String REROUTED = "quark.cluster.calls.rerouted";

    /** Name of the membership-failure counter. */
    public static final String FAILED = "quark.cluster.calls.failed";

    private final MeterRegistry registry;

    private final Counter forwarded;

    private final Counter rerouted;

    /**
     * Creates the metrics.
     * @param registry where to register the counters
     */
    public MicrometerRoutingMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.forwarded = Counter.builder(FORWARDED)
            .description("Calls this silo passed on to the silo that owns their actor")
            .register(registry);
        this.rerouted = Counter.builder(REROUTED)
            .description("Calls this silo sent that a leaving or not serving silo refused without running them, "
                    + "and that this silo routed again")
            .register(registry);
    }

    @Override
    public void forwarded(String ownerSiloId) {
        this.forwarded.increment();
    }

    @Override
    public void rerouted(String refusingSiloId) {
        this.rerouted.increment();
    }

    @Override
    public void failedForMembership(Throwable failure) {
        Counter.builder(FAILED)
            .description("Calls this silo sent that failed for a membership reason")
            .tag("reason", failure.getClass().getSimpleName())
            .register(this.registry)
            .increment();
    }
}
