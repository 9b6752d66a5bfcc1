package dev.quark.durabletasks.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.lease.LeaseKeeper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Timers due the ~292 years and more a scheduler's nanosecond delay misses (or never) are not scheduled: schedulers
 * other than {@link LeaseKeeper.Scheduler#of} may compute that delay with {@code toNanos()} and fail.
 */
class FarTimersTests {

    private static final Instant NOW = Instant.parse("2026-05-01T08:00:00Z");

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

    private final List<Instant> scheduled = new CopyOnWriteArrayList<>();

    /** Like a scheduler over a runtime's clock that counts the delay in nanoseconds without a cap. */
    private final LeaseKeeper.Scheduler strict = (at, task) -> {
        long unused = Duration.between(NOW, at).toNanos();
        this.scheduled.add(at);
        return () -> true;
    };

    @Test
    void aHeartbeatTimeoutCenturiesAwayStartsNoTimerAndIsNotMissed() {
        HeartbeatWatch watch = new HeartbeatWatch(Thread.currentThread(), Duration.ofDays(365L * 400), this.clock,
                this.strict, NOW);
        watch.start();
        watch.beat();
        watch.stop();
        assertThat(this.scheduled).isEmpty();
        assertThat(watch.missed()).isFalse();
    }

    @Test
    void aHeartbeatTimeoutWithinReachStillStartsItsTimer() {
        HeartbeatWatch watch = new HeartbeatWatch(Thread.currentThread(), Duration.ofSeconds(10), this.clock,
                this.strict, NOW);
        watch.start();
        watch.stop();
        assertThat(this.scheduled).containsExactly(NOW.plusSeconds(10));
    }

    @Test
    void onlyInstantsWithinANanosecondDelayOfNowAreSchedulable() {
        assertThat(ActivityRunner.schedulable(NOW, NOW.plus(Duration.ofDays(365L * 200)))).isTrue();
        assertThat(ActivityRunner.schedulable(NOW, NOW.minusSeconds(5))).isTrue();
        assertThat(ActivityRunner.schedulable(NOW, Instant.parse("9999-12-31T23:59:59Z"))).isFalse();
        assertThat(ActivityRunner.schedulable(NOW, Instant.MAX)).isFalse();
    }
}
