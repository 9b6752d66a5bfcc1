package dev.quark.autoconfigure.metrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.store.DurableTaskStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code quark.durabletasks.instances} (gauge; tag {@code status}): how many instances the store holds in each
 * status, counted at most once per {@code refreshInterval} whatever the scrape rate, since counting reads the whole
 * instance table. A count that fails keeps the last one.
 */
public class DurableTaskInstanceGauges implements MeterBinder {

    /** Name of the gauge. */
    public static final String INSTANCES = "quark.durabletasks.instances";

    private static final Logger logger = LoggerFactory.getLogger(DurableTaskInstanceGauges.class);

    private final DurableTaskStore store;

    private final Clock clock;

    private final Duration refreshInterval;

    private Map<OrchestrationStatus, Long> counts = Map.of();

    private @Nullable Instant countedAt;

    public DurableTaskInstanceGauges(DurableTaskStore store, Clock clock, Duration refreshInterval) {
        this.store = store;
        this.clock = clock;
        this.refreshInterval = refreshInterval;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (OrchestrationStatus status : OrchestrationStatus.values()) {
            Gauge.builder(INSTANCES, () -> count(status))
                .description("Durable task instances by status")
                .tag("status", status.name().toLowerCase(Locale.ROOT))
                .register(registry);
        }
    }

    private synchronized long count(OrchestrationStatus status) {
        Instant now = this.clock.instant();
        Instant last = this.countedAt;
        if (last == null || !now.isBefore(last.plus(this.refreshInterval))) {
            this.countedAt = now;
            try {
                this.counts = Map.copyOf(this.store.countByStatus());
            }
            catch (RuntimeException ex) {
                logger.debug("Could not count durable task instances; keeping the last counts", ex);
            }
        }
        return this.counts.getOrDefault(status, 0L);
    }
}
