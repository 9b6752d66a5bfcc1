package dev.quark.autoconfigure.metrics;

import java.util.function.Supplier;

import dev.quark.jobs.runtime.JobOrchestrator;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.jspecify.annotations.Nullable;

/**
 * The gauge {@value #PREFETCH}: how many jobs this node's orchestrator may claim ahead of its free workers now, the
 * one set or the adaptive one ({@link JobOrchestrator#prefetch()}); {@code NaN} on a node that runs no job.
 */
public class JobPrefetchGauge implements MeterBinder {

    /** The gauge of this node's prefetch. */
    public static final String PREFETCH = "quark.jobs.prefetch";

    private final Supplier<@Nullable JobOrchestrator> orchestrator;

    /**
     * Creates the gauge.
     * @param orchestrator this node's orchestrator, looked up when read; {@code null} when it runs no job
     */
    public JobPrefetchGauge(Supplier<@Nullable JobOrchestrator> orchestrator) {
        this.orchestrator = orchestrator;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder(PREFETCH, this, JobPrefetchGauge::prefetch)
            .description("Jobs this node may claim ahead of its free workers")
            .register(registry);
    }

    private double prefetch() {
        JobOrchestrator current = this.orchestrator.get();
        return (current != null) ? current.prefetch() : Double.NaN;
    }
}
