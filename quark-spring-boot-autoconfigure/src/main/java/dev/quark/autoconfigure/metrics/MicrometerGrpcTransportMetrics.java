package dev.quark.autoconfigure.metrics;

import dev.quark.cluster.transport.grpc.GrpcTransportMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@link GrpcTransportMetrics} on Micrometer: {@value #STREAMS_ENDED} (streams from peers this silo ended for their
 * invalid frames, by {@code reason}: {@code unreadable_in_a_row} or {@code invalid_in_window}) and
 * {@value #LINKS_RENEWED} (times this silo renewed its connections, moving its open links, by {@code cause}:
 * {@code material_updated} or {@code peer_asked}). The counters are registered up front, so that they read 0 until
 * it happens.
 */
public class MicrometerGrpcTransportMetrics implements GrpcTransportMetrics {

    /** Name of the counter of streams ended for invalid frames. */
    public static final String STREAMS_ENDED = "quark.cluster.transport.streams.ended";

    /** Name of the counter of the times this silo renewed its connections, moving its open links. */
    public static final String LINKS_RENEWED = "quark.cluster.transport.links.renewed";

    private final Counter unreadableInARow;

    private final Counter invalidInWindow;

    private final Counter materialUpdated;

    private final Counter peerAsked;

    /**
     * Creates the metrics.
     * @param registry where to register the counters
     */
    public MicrometerGrpcTransportMetrics(MeterRegistry registry) {
        this.unreadableInARow = counter(registry, "unreadable_in_a_row");
        this.invalidInWindow = counter(registry, "invalid_in_window");
        this.materialUpdated = renewals(registry, "material_updated");
        this.peerAsked = renewals(registry, "peer_asked");
    }

    private static Counter renewals(MeterRegistry registry, String cause) {
        return Counter.builder(LINKS_RENEWED)
            .description("Times this silo renewed its connections, moving its open links: to every peer once its TLS "
                    + "material was updated, or to one peer that asked, its own material updated")
            .tag("cause", cause)
            .register(registry);
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

    @Override
    public void linksRenewed(LinkRenewalCause cause) {
        switch (cause) {
            case MATERIAL_UPDATED -> this.materialUpdated.increment();
            case PEER_ASKED -> this.peerAsked.increment();
        }
    }
}
