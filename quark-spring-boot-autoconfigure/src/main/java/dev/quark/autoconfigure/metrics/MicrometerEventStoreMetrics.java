package dev.quark.autoconfigure.metrics;

import java.util.Locale;

import dev.quark.eventsourcing.EventStoreMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Records event store appends in Micrometer:
 * <ul>
 * <li>{@code quark.eventstore.appends} (counter; tag {@code outcome}): append calls by outcome: {@code appended},
 * {@code duplicate} (every event was already in the stream, nothing written), {@code conflict} (the stream was not at
 * the expected version) and {@code failed};</li>
 * <li>{@code quark.eventstore.events} (counter): events written by appended calls.</li>
 * </ul>
 * The meters are created up front, so recording an append does no lookup.
 */
public class MicrometerEventStoreMetrics implements EventStoreMetrics {

    /** Name of the append counter. */
    public static final String APPENDS = "quark.eventstore.appends";

    /** Name of the appended events counter. */
    public static final String EVENTS = "quark.eventstore.events";

    private final Counter[] appends = new Counter[AppendOutcome.values().length];

    private final Counter events;

    public MicrometerEventStoreMetrics(MeterRegistry registry) {
        for (AppendOutcome outcome : AppendOutcome.values()) {
            this.appends[outcome.ordinal()] = Counter.builder(APPENDS)
                .description("Event store append calls by outcome")
                .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                .register(registry);
        }
        this.events = Counter.builder(EVENTS).description("Events appended to event streams").register(registry);
    }

    @Override
    public void append(AppendOutcome outcome, int events) {
        this.appends[outcome.ordinal()].increment();
        if (outcome == AppendOutcome.APPENDED) {
            this.events.increment(events);
        }
    }
}
