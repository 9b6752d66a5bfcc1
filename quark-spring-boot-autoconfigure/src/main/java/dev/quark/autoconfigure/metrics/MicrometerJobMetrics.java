package dev.quark.autoconfigure.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.jobs.runtime.ExecutionOutcome;
import dev.quark.jobs.runtime.JobMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Records jobs in Micrometer:
 * <ul>
 * <li>{@value #ENQUEUED}: counter of jobs enqueued, tag {@code type};</li>
 * <li>{@value #EXECUTIONS}: timer of attempts, tags {@code type} and {@code outcome} ({@code succeeded},
 * {@code retried}, {@code dead-lettered}, {@code cancelled}, {@code lease-lost}, {@code released}): how many ended
 * each way and how long they ran;</li>
 * <li>{@value #LATENCY}: timer of how long after it was due each attempt started, tag {@code type}.</li>
 * <li>{@value #RECURRING_SKIPPED}: counter of the instants of recurring jobs skipped under
 * {@code OverlapPolicy.SKIP} because the previous job still ran, tags {@code type} and {@code reason}
 * ({@code overlap}). Not tagged by recurring job, whose ids are open-ended (one per tenant, say): the log line of
 * each skip names it. Instants passed under {@code QUEUE_ONE} and misfires are not counted.</li>
 * </ul>
 * The backlog gauges are {@link JobCountGauges}.
 */
public class MicrometerJobMetrics implements JobMetrics {

    /** The counter of jobs enqueued. */
    public static final String ENQUEUED = "quark.jobs.enqueued";

    /** The timer of attempts, by type and outcome. */
    public static final String EXECUTIONS = "quark.jobs.executions";

    /** The timer of the wait between a job being due and its attempt starting. */
    public static final String LATENCY = "quark.jobs.queue.latency";

    /**
     * The counter of recurring jobs' instants skipped, by type and reason: {@code overlap} (the previous job still
     * ran) or {@code vetoed} (a job filter vetoed the instant's job).
     */
    public static final String RECURRING_SKIPPED = "quark.jobs.recurring.skipped";

    private final MeterRegistry registry;

    private final Map<String, Counter> skipped = new ConcurrentHashMap<>();

    private final Map<String, Counter> vetoed = new ConcurrentHashMap<>();

    private final Map<String, Counter> enqueued = new ConcurrentHashMap<>();

    private final Map<String, Timer> latencies = new ConcurrentHashMap<>();

    private final Map<String, Timer> executions = new ConcurrentHashMap<>();

    public MicrometerJobMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void enqueued(String type) {
        this.enqueued.computeIfAbsent(type, (t) -> Counter.builder(ENQUEUED)
            .description("Jobs enqueued")
            .tag("type", t)
            .register(this.registry)).increment();
    }

    @Override
    public void started(String type, Duration latency) {
        this.latencies.computeIfAbsent(type, (t) -> Timer.builder(LATENCY)
            .description("Time from a job being due to its attempt starting")
            .tag("type", t)
            .register(this.registry)).record(latency);
    }

    @Override
    public void finished(String type, ExecutionOutcome outcome, Duration duration) {
        this.executions.computeIfAbsent(type + '\u0000' + outcome.tagValue(), (key) -> Timer.builder(EXECUTIONS)
            .description("Job attempts, by how they ended")
            .tag("type", type)
            .tag("outcome", outcome.tagValue())
            .register(this.registry)).record(duration);
    }

    @Override
    public void skippedForOverlap(String recurringJob, String type) {
        this.skipped.computeIfAbsent(type, (t) -> Counter.builder(RECURRING_SKIPPED)
            .description("Instants of recurring jobs skipped, by reason")
            .tag("type", t)
            .tag("reason", "overlap")
            .register(this.registry)).increment();
    }

    @Override
    public void skippedForVeto(String recurringJob, String type) {
        this.vetoed.computeIfAbsent(type, (t) -> Counter.builder(RECURRING_SKIPPED)
            .description("Instants of recurring jobs skipped, by reason")
            .tag("type", t)
            .tag("reason", "vetoed")
            .register(this.registry)).increment();
    }
}
