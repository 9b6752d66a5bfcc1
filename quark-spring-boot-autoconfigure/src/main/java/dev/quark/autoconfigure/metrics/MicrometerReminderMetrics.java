package dev.quark.autoconfigure.metrics;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import dev.quark.reminder.ReminderMetrics;
import dev.quark.reminder.ReminderOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Records reminder ticks in Micrometer:
 * <ul>
 * <li>{@code quark.reminders.fired} (counter; tags {@code type}, {@code outcome}): ticks by actor type name and
 * outcome: {@code delivered}, {@code failed} (every {@code receiveReminder} that threw, retried or not),
 * {@code undelivered} (every try that did not reach the actor or timed out; tried again), {@code abandoned} (one-shot
 * reminders given up after their last attempt), {@code skipped} (fell due while the previous tick ran) and
 * {@code missed} (overdue when an earlier tick was delivered, after no silo ran the reminder);</li>
 * <li>{@code quark.reminders.lateness} (timer; tag {@code type}): from the instant a tick was due to fire to the
 * moment it was;</li>
 * <li>{@code quark.reminders.lease.tokens.lost} (counter, registered at start so that an alert can watch it from
 * zero): reminder buckets found with a valid lease whose fencing token is below the bucket's stamp, once per incident
 * (the lease store lost its tokens: Redis restarted without persistence, say; the silo raises the store's tokens and
 * claims the buckets again).</li>
 * </ul>
 * Tick meters are created on first use per actor type and kept, so recording a tick does one map lookup.
 */
public class MicrometerReminderMetrics implements ReminderMetrics {

    /** Name of the tick counter. */
    public static final String FIRED = "quark.reminders.fired";

    /** Name of the lateness timer. */
    public static final String LATENESS = "quark.reminders.lateness";

    /** Name of the counter of reminder buckets whose lease store lost its fencing tokens. */
    public static final String TOKENS_LOST = "quark.reminders.lease.tokens.lost";

    private final MeterRegistry registry;

    private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();

    private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

    private final Counter tokensLost;

    public MicrometerReminderMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.tokensLost = Counter.builder(TOKENS_LOST)
            .description("Reminder buckets whose lease store lost its fencing tokens, once per incident")
            .baseUnit("buckets")
            .register(registry);
    }

    @Override
    public void ticks(String actorType, ReminderOutcome outcome, long count) {
        String outcomeTag = outcome.name().toLowerCase(Locale.ROOT);
        this.counters.computeIfAbsent(actorType + '\u0000' + outcomeTag, (key) -> Counter.builder(FIRED)
            .description("Reminder ticks by outcome")
            .tag("type", actorType)
            .tag("outcome", outcomeTag)
            .register(this.registry))
            .increment((double) count);
    }

    @Override
    public void lateness(String actorType, Duration lateness) {
        this.timers.computeIfAbsent(actorType, (key) -> Timer.builder(LATENESS)
            .description("How late reminder ticks fired, from their due instant")
            .tag("type", actorType)
            .publishPercentileHistogram()
            .register(this.registry))
            .record(lateness);
    }

    @Override
    public void fencingTokensLost(int buckets) {
        this.tokensLost.increment(buckets);
    }
}
