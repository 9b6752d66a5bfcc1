package dev.quark.autoconfigure.metrics;

import java.time.Duration;
import java.util.Locale;

import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.worker.DurableTaskMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Records what durable-task workers do in Micrometer:
 * <ul>
 * <li>{@code quark.durabletasks.steps} (timer; tags {@code orchestration}, {@code status}): orchestration steps, from
 * claim to commit, by the instance's status after the step;</li>
 * <li>{@code quark.durabletasks.replay.events} (distribution summary; tag {@code orchestration}): how many recorded
 * events each step replayed;</li>
 * <li>{@code quark.durabletasks.activities} (timer; tags {@code activity}, {@code outcome} = {@code completed},
 * {@code failed} or {@code retried}): activity attempts;</li>
 * <li>{@code quark.durabletasks.work.lost} (counter; tag {@code kind} = {@code orchestration} or {@code activity}):
 * work whose outcome was refused because another worker had taken it over;</li>
 * <li>{@code quark.durabletasks.instance.cache} (counter; tag {@code event} = {@code hit}, {@code miss} or
 * {@code evicted}): steps that continued an instance kept between steps, steps that replayed, and kept instances
 * released to make room.</li>
 * </ul>
 * {@code quark.durabletasks.instances} (gauge; tag {@code status}) is registered by {@link DurableTaskInstanceGauges}.
 */
public class MicrometerDurableTaskMetrics implements DurableTaskMetrics {

    /** Name of the step timer. */
    public static final String STEPS = "quark.durabletasks.steps";

    /** Name of the replay length summary. */
    public static final String REPLAY_EVENTS = "quark.durabletasks.replay.events";

    /** Name of the activity attempt timer. */
    public static final String ACTIVITIES = "quark.durabletasks.activities";

    /** Name of the lost work counter. */
    public static final String WORK_LOST = "quark.durabletasks.work.lost";

    /** Name of the instance cache counter. */
    public static final String INSTANCE_CACHE = "quark.durabletasks.instance.cache";

    private final MeterRegistry registry;

    public MicrometerDurableTaskMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void stepCompleted(String orchestration, Duration duration, int replayedEvents, OrchestrationStatus status) {
        Timer.builder(STEPS)
            .description("Orchestration steps, from claim to commit")
            .tag("orchestration", orchestration)
            .tag("status", status.name().toLowerCase(Locale.ROOT))
            .register(this.registry)
            .record(duration);
        DistributionSummary.builder(REPLAY_EVENTS)
            .description("Recorded events an orchestration step replayed")
            .baseUnit("events")
            .tag("orchestration", orchestration)
            .register(this.registry)
            .record(replayedEvents);
    }

    @Override
    public void activityAttempted(String activity, Duration duration, String outcome) {
        Timer.builder(ACTIVITIES)
            .description("Activity attempts")
            .tag("activity", activity)
            .tag("outcome", outcome)
            .register(this.registry)
            .record(duration);
    }

    @Override
    public void workLost(String kind) {
        Counter.builder(WORK_LOST)
            .description("Work whose outcome was refused because another worker had taken it over")
            .tag("kind", kind)
            .register(this.registry)
            .increment();
    }

    @Override
    public void instanceCache(String event) {
        Counter.builder(INSTANCE_CACHE)
            .description("Steps that continued a kept instance (hit) or replayed (miss), and kept instances evicted")
            .tag("event", event)
            .register(this.registry)
            .increment();
    }
}
