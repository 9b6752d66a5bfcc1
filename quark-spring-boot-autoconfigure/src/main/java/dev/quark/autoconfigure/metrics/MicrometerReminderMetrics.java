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
 * moment it was.</li>
 * </ul>
 * Meters are created on first use per actor type and kept, so recording a tick does one map lookup.
 */
public class MicrometerReminderMetrics implements ReminderMetrics {

    /** Name of the tick counter. */
    public static final String FIRED = "quark.reminders.fired";

    /** Name of the lateness timer. */
    public static final String LATENESS = "quark.reminders.lateness";

    private final MeterRegistry registry;

    private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();

    private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

    public MicrometerReminderMetrics(MeterRegistry registry) {
        this.registry = registry;
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
}
