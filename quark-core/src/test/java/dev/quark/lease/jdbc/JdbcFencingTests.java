package dev.quark.lease.jdbc;

import java.time.Instant;

import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseLostException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;

class JdbcFencingTests {

    private final Lease lease = new Lease("jobs:1", "node-1", new FencingToken(7), Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void aRefusedWriteSaysTheLeaseIsLostWithoutClaimingNobodyHoldsIt() {
        assertThatExceptionOfType(LeaseLostException.class).isThrownBy(() -> JdbcFencing.requireWritten(0, this.lease))
            .withMessageContaining("'jobs:1' with fencing token 7 is no longer held")
            .withMessageContaining("holder is not known")
            .withMessageNotContaining("nobody holds it")
            .satisfies((lost) -> {
                assertThat(lost.getCurrentHolder()).isNull();
                assertThat(lost.getToken()).isEqualTo(this.lease.token());
            });
    }

    @Test
    void aWrittenRowIsNoLoss() {
        assertThatNoException().isThrownBy(() -> JdbcFencing.requireWritten(1, this.lease));
    }
}
