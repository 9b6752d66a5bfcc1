package dev.quark.lease;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class LeaseTests {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void fencingTokensArePositiveAndOrdered() {
        assertThatIllegalArgumentException().isThrownBy(() -> new FencingToken(0)).withMessageContaining("positive, was 0");
        assertThat(new FencingToken(8).isNewerThan(new FencingToken(7))).isTrue();
        assertThat(new FencingToken(7).isNewerThan(new FencingToken(7))).isFalse();
        assertThat(new FencingToken(7)).isLessThan(new FencingToken(8)).hasToString("7");
    }

    @Test
    void aLeaseIsValidUntilItsInstantOnTheHoldersClock() {
        Lease lease = new Lease("jobs:1", "node-1", new FencingToken(3), NOW.plusSeconds(30));
        assertThat(lease.isValidAt(NOW.plusSeconds(29))).isTrue();
        assertThat(lease.isValidAt(NOW.plusSeconds(30))).isFalse();
        assertThat(lease.remaining(Clock.fixed(NOW.plusSeconds(20), ZoneOffset.UTC))).isEqualTo(Duration.ofSeconds(10));
        assertThat(lease.remaining(Clock.fixed(NOW.plusSeconds(40), ZoneOffset.UTC))).isZero();
        Lease renewed = lease.renewedUntil(NOW.plusSeconds(60));
        assertThat(renewed.isSameLease(lease)).isTrue();
        assertThat(renewed).isNotEqualTo(lease);
        assertThat(new Lease("jobs:1", "node-1", new FencingToken(4), NOW).isSameLease(lease)).isFalse();
    }

    @Test
    void aLeaseNeedsAResourceAndAnOwner() {
        assertThatIllegalArgumentException().isThrownBy(() -> new Lease("", "node-1", new FencingToken(1), NOW))
            .withMessageContaining("Lease resource ''");
        assertThatIllegalArgumentException().isThrownBy(() -> new Lease("jobs:1", " ", new FencingToken(1), NOW))
            .withMessageContaining("Lease owner ' '");
    }

    @Test
    void aLostLeaseNamesTheResourceTheTokenAndTheCurrentHolder() {
        LeaseHolder holder = new LeaseHolder("jobs:1", "node-2", new FencingToken(9), Duration.ofSeconds(5));
        assertThat(new LeaseLostException("jobs:1", new FencingToken(7), holder))
            .hasMessage("The lease on 'jobs:1' with fencing token 7 is no longer held: 'node-2' holds it with token 9");
        assertThat(new LeaseLostException("jobs:1", new FencingToken(7), null))
            .hasMessage("The lease on 'jobs:1' with fencing token 7 is no longer held: its current holder is not known "
                    + "(a newer lease may hold it, or it expired or was released)");
        LeaseLostException free = LeaseLostException.nobodyHolds("jobs:1", new FencingToken(7));
        assertThat(free).hasMessage("The lease on 'jobs:1' with fencing token 7 is no longer held: nobody holds it "
                + "(the lease expired or was released)");
        assertThat(free.getCurrentHolder()).isNull();
        assertThat(free.getToken()).isEqualTo(new FencingToken(7));
    }
}
