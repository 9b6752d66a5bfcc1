package dev.quark.autoconfigure.metrics;

import dev.quark.actor.CallRejectedException;
import dev.quark.cluster.SiloNotServingException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MicrometerRoutingMetricsTests {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private final MicrometerRoutingMetrics metrics = new MicrometerRoutingMetrics(this.registry);

    @Test
    void countsCallsRoutedAgainApartFromForwardedAndFailedOnes() {
        this.metrics.rerouted("silo-1");
        this.metrics.rerouted("silo-2");
        this.metrics.forwarded("silo-3");
        this.metrics.failedForMembership(new SiloNotServingException("silo-1 is not serving"));

        assertThat(this.registry.get(MicrometerRoutingMetrics.REROUTED).counter().count()).isEqualTo(2);
        assertThat(this.registry.get(MicrometerRoutingMetrics.FORWARDED).counter().count()).isEqualTo(1);
        assertThat(this.registry.get(MicrometerRoutingMetrics.FAILED)
            .tag("reason", "SiloNotServingException")
            .counter()
            .count()).isEqualTo(1);
    }

    @Test
    void countsCallsTheTransportRefusedForTheirOwnFaultByReasonApartFromFailedOnes() {
        this.metrics.rejected(rejected(CallRejectedException.Reason.TOO_LARGE));
        this.metrics.rejected(rejected(CallRejectedException.Reason.BEYOND_BOUNDS));
        this.metrics.rejected(rejected(CallRejectedException.Reason.BEYOND_BOUNDS));

        assertThat(this.registry.get(MicrometerRoutingMetrics.REJECTED).tag("reason", "too_large").counter().count())
            .isEqualTo(1);
        assertThat(this.registry.get(MicrometerRoutingMetrics.REJECTED)
            .tag("reason", "beyond_bounds")
            .counter()
            .count()).isEqualTo(2);
        assertThat(this.registry.find(MicrometerRoutingMetrics.FAILED).counters()).isEmpty();
    }

    @Test
    void registersTheRejectedCountersOnceUpFront() {
        // The old code registered a counter on each rejection, none before the first.
        assertThat(this.registry.get(MicrometerRoutingMetrics.REJECTED).counters()).hasSize(2)
            .allSatisfy((counter) -> assertThat(counter.count()).isZero());
    }

    private static CallRejectedException rejected(CallRejectedException.Reason reason) {
        return new CallRejectedException("Tally/t-1", "add", reason, "refused", null);
    }

    @Test
    void countsIdempotentCallsSentOnceMoreApartFromReroutedOnes() {
        this.metrics.retried("silo-1");
        this.metrics.rerouted("silo-2");

        assertThat(this.registry.get(MicrometerRoutingMetrics.RETRIED).counter().count()).isEqualTo(1);
        assertThat(this.registry.get(MicrometerRoutingMetrics.REROUTED).counter().count()).isEqualTo(1);
    }

    @Test
    void theClientLinksGaugeIsRemovedWhenUnboundSoThatARestartedRoutingBindsItsOwn() {
        Runnable unbind = this.metrics.bindClientLinks(() -> 3);
        assertThat(this.registry.get(MicrometerRoutingMetrics.CLIENT_LINKS).gauge().value()).isEqualTo(3);
        unbind.run();
        assertThat(this.registry.find(MicrometerRoutingMetrics.CLIENT_LINKS).gauge()).isNull();
        new MicrometerRoutingMetrics(this.registry).bindClientLinks(() -> 5);
        assertThat(this.registry.get(MicrometerRoutingMetrics.CLIENT_LINKS).gauge().value()).isEqualTo(5);
    }
}
