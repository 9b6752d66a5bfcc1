package dev.quark.autoconfigure.metrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import dev.quark.jobs.JobQueue;
import dev.quark.jobs.JobStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges of the jobs of every node, by status, read from the store at most every {@link #REFRESH}, so that frequent
 * scrapes do not count the table each time:
 * <ul>
 * <li>{@value #BACKLOG}: jobs waiting for a worker, tag {@code status} ({@code enqueued}, {@code scheduled},
 * {@code retrying});</li>
 * <li>{@value #RUNNING}: jobs running;</li>
 * <li>{@value #DEAD_LETTERS}: dead-lettered jobs.</li>
 * </ul>
 * A gauge reads {@code NaN} when the store cannot be reached.
 */
public class JobCountGauges implements MeterBinder {

    /** The gauge of waiting jobs, by status. */
    public static final String BACKLOG = "quark.jobs.backlog";

    /** The gauge of running jobs. */
    public static final String RUNNING = "quark.jobs.running";

    /** The gauge of dead-lettered jobs. */
    public static final String DEAD_LETTERS = "quark.jobs.dead.letters";

    /** How long counts are reused. */
    static final Duration REFRESH = Duration.ofSeconds(10);

    private static final Logger logger = LoggerFactory.getLogger(JobCountGauges.class);

    private final Supplier<JobQueue> queue;

    private final Clock clock;

    private @Nullable Map<JobStatus, Long> counts;

    private @Nullable Instant readAt;

    /**
     * Creates the gauges.
     * @param queue the queue, looked up when first read
     * @param clock when counts were read
     */
    public JobCountGauges(Supplier<JobQueue> queue, Clock clock) {
        this.queue = queue;
        this.clock = clock;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (JobStatus status : JobStatus.waiting()) {
            Gauge.builder(BACKLOG, this, (gauges) -> gauges.count(status))
                .description("Jobs waiting for a worker")
                .tag("status", status.name().toLowerCase(Locale.ROOT))
                .register(registry);
        }
        Gauge.builder(RUNNING, this, (gauges) -> gauges.count(JobStatus.RUNNING))
            .description("Jobs running on any node")
            .register(registry);
        Gauge.builder(DEAD_LETTERS, this, (gauges) -> gauges.count(JobStatus.DEAD_LETTERED))
            .description("Dead-lettered jobs")
            .register(registry);
    }

    private synchronized double count(JobStatus status) {
        Instant now = this.clock.instant();
        if (this.counts == null || this.readAt == null || !now.isBefore(this.readAt.plus(REFRESH))) {
            try {
                this.counts = this.queue.get().counts();
            }
            catch (RuntimeException ex) {
                logger.debug("Could not count jobs", ex);
                this.counts = null;
            }
            this.readAt = now;
        }
        Map<JobStatus, Long> current = this.counts;
        return (current != null) ? current.getOrDefault(status, 0L) : Double.NaN;
    }
}
