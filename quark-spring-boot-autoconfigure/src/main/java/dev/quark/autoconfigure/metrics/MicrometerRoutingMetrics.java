package dev.quark.autoconfigure.metrics;

import java.util.Locale;
import java.util.function.IntSupplier;

import dev.quark.actor.CallRejectedException;
import dev.quark.cluster.routing.RoutingMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@link RoutingMetrics} on Micrometer: {@value #FORWARDED} (calls this silo passed on to the owner of their
 * actor), {@value #REROUTED} (calls this silo sent that a silo refused without running them, because it was
 * leaving or not serving, and that this silo routed again), {@value #RETRIED} (calls to idempotent methods
 * whose outcome on another silo was unknown, and that this silo sent once more), {@value #FAILED} (calls this silo sent that failed for a membership reason, by {@code reason}: the
 * exception's simple name), {@value #REJECTED} (calls this silo sent that the transport refused for their own
 * fault, by {@code reason}: {@code too_large} or {@code beyond_bounds}; an application bug, not counted as failed),
 * {@value #CLIENT_LINKS} (gauge, addresses of cluster clients the silo's transport holds
 * links to) and {@value #CLIENT_LINKS_CLOSED} (client addresses whose links the silo closed, by {@code reason}:
 * {@code idle}). The gauge is removed when the routing closes.
 */
public class MicrometerRoutingMetrics implements RoutingMetrics {

    /** Name of the forwarded-call counter. */
    public static final String FORWARDED = "quark.cluster.calls.forwarded";

    /** Name of the counter of calls routed again after a refusal. */
    public static final String REROUTED = "quark.cluster.calls.rerouted";

    /** Name of the counter of idempotent calls sent once more after an unknown outcome. */
    public static final String RETRIED = "quark.cluster.calls.retried";

    /** Name of the membership-failure counter. */
    public static final String FAILED = "quark.cluster.calls.failed";

    /** Name of the counter of calls the transport refused for their own fault. */
    public static final String REJECTED = "quark.cluster.calls.rejected";

    /** Name of the gauge of links to cluster clients. */
    public static final String CLIENT_LINKS = "quark.cluster.client.links";

    /** Name of the counter of closed links to cluster clients. */
    public static final String CLIENT_LINKS_CLOSED = "quark.cluster.client.links.closed";

    private final MeterRegistry registry;

    private final Counter forwarded;

    private final Counter rerouted;

    private final Counter retried;

    private final Counter clientLinksClosed;

    private final Counter rejectedTooLarge;

    private final Counter rejectedBeyondBounds;

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
        this.retried = Counter.builder(RETRIED)
            .description("Calls to idempotent methods this silo sent whose outcome on another silo was unknown, "
                    + "and that this silo sent once more")
            .register(registry);
        this.clientLinksClosed = Counter.builder(CLIENT_LINKS_CLOSED)
            .description("Links to cluster clients this silo closed because it had not heard from them for the "
                    + "idle timeout")
            .tag("reason", "idle")
            .register(registry);
        this.rejectedTooLarge = rejected(registry, CallRejectedException.Reason.TOO_LARGE);
        this.rejectedBeyondBounds = rejected(registry, CallRejectedException.Reason.BEYOND_BOUNDS);
    }

    private static Counter rejected(MeterRegistry registry, CallRejectedException.Reason reason) {
        return Counter.builder(REJECTED)
            .description("Calls this silo sent that the transport refused for their own fault: too large, or "
                    + "beyond the bounds every silo receives envelopes within")
            .tag("reason", reason.name().toLowerCase(Locale.ROOT))
            .register(registry);
    }

    @Override
    public Runnable bindClientLinks(IntSupplier clientLinks) {
        Gauge gauge = Gauge.builder(CLIENT_LINKS, clientLinks, IntSupplier::getAsInt)
            .description("Addresses of cluster clients this silo holds links to")
            .strongReference(true)
            .register(this.registry);
        return () -> this.registry.remove(gauge);
    }

    @Override
    public void clientLinksClosed(int count) {
        this.clientLinksClosed.increment(count);
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
    public void retried(String siloId) {
        this.retried.increment();
    }

    @Override
    public void rejected(CallRejectedException failure) {
        switch (failure.getReason()) {
            case TOO_LARGE -> this.rejectedTooLarge.increment();
            case BEYOND_BOUNDS -> this.rejectedBeyondBounds.increment();
        }
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
