package dev.quark.eventsourcing;

/**
 * Where a {@link MeteredEventStore} reports appends; the Spring Boot integration binds it to Micrometer
 * ({@code quark.eventstore.appends}).
 */
public interface EventStoreMetrics {

    /** Records nothing. */
    EventStoreMetrics NONE = (outcome, events) -> {
    };

    /**
     * Records one append call.
     * @param outcome what it did
     * @param events how many events it carried
     */
    void append(AppendOutcome outcome, int events);

    /**
     * What an append call did.
     */
    enum AppendOutcome {

        /** The events were appended. */
        APPENDED,

        /** Every event was already in the stream: nothing was written. */
        DUPLICATE,

        /** The stream was not at the expected version: nothing was written. */
        CONFLICT,

        /** The append failed otherwise (bad input, store unreachable). */
        FAILED
    }
}
