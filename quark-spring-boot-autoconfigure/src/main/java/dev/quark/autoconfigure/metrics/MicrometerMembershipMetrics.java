package dev.quark.autoconfigure.metrics;

import java.time.Duration;
import java.util.Locale;

import dev.quark.cluster.membership.ClusterViewSource;
import dev.quark.cluster.membership.DeathCause;
import dev.quark.cluster.membership.FenceReason;
import dev.quark.cluster.membership.MembershipMetrics;
import dev.quark.cluster.membership.SiloStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * {@link MembershipMetrics} on Micrometer: {@value #MEMBERS} (gauge, by {@code status}, from this silo's view),
 * {@value #PROBES} (timer of direct probes, by {@code outcome}: answered or missed), {@value #SUSPICIONS}
 * (votes this silo cast), {@value #EVICTIONS} (silos this silo wrote dead, by {@code cause}) and
 * {@value #FENCES} (times this silo stopped serving on its own, by {@code reason}).
 */
public class MicrometerMembershipMetrics implements MembershipMetrics {

    /** Name of the members gauge. */
    public static final String MEMBERS = "quark.cluster.members";

    /** Name of the probe round-trip timer. */
    public static final String PROBES = "quark.cluster.probes";

    /** Name of the suspicion counter. */
    public static final String SUSPICIONS = "quark.cluster.suspicions";

    /** Name of the eviction counter. */
    public static final String EVICTIONS = "quark.cluster.evictions";

    /** Name of the fence counter. */
    public static final String FENCES = "quark.cluster.fences";

    private final MeterRegistry registry;

    /**
     * Creates the metrics.
     * @param registry where to register the meters
     */
    public MicrometerMembershipMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void bindMembership(ClusterViewSource source) {
        for (SiloStatus status : SiloStatus.values()) {
            Gauge.builder(MEMBERS, source, (views) -> views.current().membership().withStatus(status).size())
                .description("Silos in this silo's view of membership, by status")
                .tag("status", status.name().toLowerCase(Locale.ROOT))
                .register(this.registry);
        }
    }

    @Override
    public void probed(String targetSiloId, boolean answered, Duration roundTrip) {
        Timer.builder(PROBES)
            .description("Round trip of direct probes of peers")
            .tag("outcome", answered ? "answered" : "missed")
            .register(this.registry)
            .record(roundTrip);
    }

    @Override
    public void suspected(String targetSiloId) {
        Counter.builder(SUSPICIONS).description("Votes this silo cast that a peer is dead").register(this.registry)
            .increment();
    }

    @Override
    public void siloDeclaredDead(String siloId, DeathCause cause) {
        Counter.builder(EVICTIONS)
            .description("Silos this silo wrote dead")
            .tag("cause", cause.name().toLowerCase(Locale.ROOT))
            .register(this.registry)
            .increment();
    }

    @Override
    public void fenced(FenceReason reason) {
        Counter.builder(FENCES)
            .description("Times this silo stopped serving on its own")
            .tag("reason", reason.name().toLowerCase(Locale.ROOT))
            .register(this.registry)
            .increment();
    }
}
