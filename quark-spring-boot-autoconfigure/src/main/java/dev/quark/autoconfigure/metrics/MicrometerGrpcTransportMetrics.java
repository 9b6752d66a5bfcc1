package dev.quark.autoconfigure.metrics;

import dev.quark.cluster.transport.grpc.GrpcTransportMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@link GrpcTransportMetrics} on Micrometer: {@value #STREAMS_ENDED} (streams from peers this silo ended for their
 * invalid frames, by {@code reason}: {@code unreadable_in_a_row} or {@code invalid_in_window}). Both counters are
 * registered up front, so that they read 0 until a stream is ended.
 */
public class MicrometerGrpcTransportMetrics implements GrpcTransportMetrics {

    /** Name of the counter of streams ended for invalid frames. */
    public static final String STREAMS_ENDED = "quark.cluster.transport.streams.ended";

    private final Counter unreadableInARow;

    private final Counter invalidInWindow;

    /**
     * Creates the metrics.
     * @param registry where to register the counters
     */
    public MicrometerGrpcTransportMetrics(MeterRegistry registry) {
        this.unreadableInARow = counter(registry, "unreadable_in_a_row");
        this.invalidInWindow = counter(registry, "invalid_in_window");
    }

    private static Counter counter(MeterRegistry registry, String reason) {
        return Counter.builder(STREAMS_ENDED)
            .description("Streams from peers this silo ended for their invalid frames, frames no Quark silo sends")
            .tag("reason", reason)
            .register(registry);
    }

    @Override
    public void streamEndedForInvalidFrames(InvalidFramesLimit limit) {
        switch (limit) {
            case UNREADABLE_IN_A_ROW -> this.unreadableInARow.increment();
            case INVALID_IN_WINDOW -> this.invalidInWindow.increment();
        }
    }
}
