package dev.quark.autoconfigure.metrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.OutboxStore;

/**
 * Gauges of the outbox of every node, read from the store at most every {@link #REFRESH}:
 * <ul>
 * <li>{@value #PENDING}: messages waiting for delivery;</li>
 * <li>{@value #DEAD_LETTERS}: dead letters kept;</li>
 * <li>{@value #OLDEST}: seconds since the oldest pending message was enqueued, 0 when none: how late delivery
 * runs.</li>
 * </ul>
 * A gauge reads {@code NaN} when the store cannot be reached.
 */
public class OutboxGauges implements MeterBinder {

    /** The gauge of pending messages. */
    public static final String PENDING = "quark.outbox.pending";

    /** The gauge of dead letters. */
    public static final String DEAD_LETTERS = "quark.outbox.dead.letters";

    /** The gauge of the oldest pending message's age. */
    public static final String OLDEST = "quark.outbox.oldest.pending";

    /** How long readings are reused. */
    static final Duration REFRESH = Duration.ofSeconds(10);

    private static final Logger logger = LoggerFactory.getLogger(OutboxGauges.class);

    private final Supplier<OutboxStore> store;

    private final Clock clock;

    private @Nullable Reading reading;

    /**
     * Creates the gauges.
     * @param store the store, looked up when first read
     * @param clock the clock
     */
    public OutboxGauges(Supplier<OutboxStore> store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder(PENDING, this, (gauges) -> gauges.read().pending)
            .description("Outbox messages waiting for delivery")
            .register(registry);
        Gauge.builder(DEAD_LETTERS, this, (gauges) -> gauges.read().deadLetters)
            .description("Outbox dead letters kept")
            .register(registry);
        Gauge.builder(OLDEST, this, (gauges) -> gauges.read().oldestSeconds)
            .description("Age of the oldest pending outbox message")
            .baseUnit("seconds")
            .register(registry);
    }

    private synchronized Reading read() {
        Instant now = this.clock.instant();
        Reading current = this.reading;
        if (current != null && now.isBefore(current.at.plus(REFRESH))) {
            return current;
        }
        Reading fresh;
        try {
            OutboxStore outbox = this.store.get();
            Optional<Instant> oldest = outbox.oldestPending();
            fresh = new Reading(now, outbox.count(MessageStatus.PENDING), outbox.count(MessageStatus.DEAD),
                    oldest.map((at) -> Math.max(0, Duration.between(at, now).toMillis() / 1000.0)).orElse(0.0));
        }
        catch (RuntimeException ex) {
            logger.debug("Could not read the outbox counts", ex);
            fresh = new Reading(now, Double.NaN, Double.NaN, Double.NaN);
        }
        this.reading = fresh;
        return fresh;
    }

    private record Reading(Instant at, double pending, double deadLetters, double oldestSeconds) {
    }
}
