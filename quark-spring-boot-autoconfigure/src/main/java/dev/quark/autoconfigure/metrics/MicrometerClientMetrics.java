package dev.quark.autoconfigure.metrics;

import dev.quark.cluster.client.ClientMembership;
import dev.quark.cluster.client.ClientMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@link ClientMetrics} on Micrometer, for a cluster client ({@code quark.cluster.mode=client}):
 * {@value #MEMBERSHIP_VERSION} (gauge, the version of the membership the client routes with),
 * {@value #SILOS} (gauge, the active silos the client sees) and {@value #TABLE_READS} (reads of the membership
 * table, by {@code outcome}: {@code success} or {@code failure}).
 */
public class MicrometerClientMetrics implements ClientMetrics {

    /** Name of the membership version gauge. */
    public static final String MEMBERSHIP_VERSION = "quark.cluster.client.membership.version";

    /** Name of the gauge of active silos seen. */
    public static final String SILOS = "quark.cluster.client.silos";

    /** Name of the counter of table reads. */
    public static final String TABLE_READS = "quark.cluster.client.table.reads";

    private final MeterRegistry registry;

    private final Counter succeeded;

    private final Counter failed;

    /**
     * Creates the metrics.
     * @param registry where to register the meters
     */
    public MicrometerClientMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.succeeded = reads(registry, "success");
        this.failed = reads(registry, "failure");
    }

    private static Counter reads(MeterRegistry registry, String outcome) {
        return Counter.builder(TABLE_READS)
            .description("Reads of the membership table by this cluster client")
            .tag("outcome", outcome)
            .register(registry);
    }

    @Override
    public void bindClient(ClientMembership membership) {
        Gauge.builder(MEMBERSHIP_VERSION, membership, (client) -> client.current().version())
            .description("Version of the membership this cluster client routes with")
            .register(this.registry);
        Gauge.builder(SILOS, membership, (client) -> client.activeSilos().size())
            .description("Active silos this cluster client sees")
            .register(this.registry);
    }

    @Override
    public void tableRead(boolean succeeded) {
        (succeeded ? this.succeeded : this.failed).increment();
    }
}
