package dev.quark.autoconfigure.metrics;

import dev.quark.cluster.transport.grpc.GrpcTransportMetrics.InvalidFramesLimit;
import dev.quark.cluster.transport.grpc.GrpcTransportMetrics.LinkRenewalCause;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MicrometerGrpcTransportMetricsTests {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private final MicrometerGrpcTransportMetrics metrics = new MicrometerGrpcTransportMetrics(this.registry);

    @Test
    void countsStreamsEndedForInvalidFramesByTheLimitTheyWentOver() {
        assertThat(count("unreadable_in_a_row")).isZero();
        assertThat(count("invalid_in_window")).isZero();
        this.metrics.streamEndedForInvalidFrames(InvalidFramesLimit.INVALID_IN_WINDOW);
        this.metrics.streamEndedForInvalidFrames(InvalidFramesLimit.INVALID_IN_WINDOW);
        this.metrics.streamEndedForInvalidFrames(InvalidFramesLimit.UNREADABLE_IN_A_ROW);
        assertThat(count("invalid_in_window")).isEqualTo(2);
        assertThat(count("unreadable_in_a_row")).isEqualTo(1);
    }

    @Test
    void countsLinkRenewalsByTheirCause() {
        assertThat(renewals("material_updated")).isZero();
        assertThat(renewals("peer_asked")).isZero();
        this.metrics.linksRenewed(LinkRenewalCause.PEER_ASKED);
        this.metrics.linksRenewed(LinkRenewalCause.PEER_ASKED);
        this.metrics.linksRenewed(LinkRenewalCause.MATERIAL_UPDATED);
        assertThat(renewals("peer_asked")).isEqualTo(2);
        assertThat(renewals("material_updated")).isEqualTo(1);
    }

    private double renewals(String cause) {
        return this.registry.get(MicrometerGrpcTransportMetrics.LINKS_RENEWED).tag("cause", cause).counter().count();
    }

    private double count(String reason) {
        return this.registry.get(MicrometerGrpcTransportMetrics.STREAMS_ENDED).tag("reason", reason).counter().count();
    }
}
