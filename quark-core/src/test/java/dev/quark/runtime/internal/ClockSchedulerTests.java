package dev.quark.runtime.internal;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.quark.runtime.RuntimeScheduler;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ClockSchedulerTests {

    private static final Instant NOW = Instant.parse("2026-05-01T08:00:00Z");

    @Test
    void aTaskDueCenturiesAwayOrNeverIsScheduledWithoutOverflowAndDoesNotRun() {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            ClockScheduler scheduler = new ClockScheduler(Clock.fixed(NOW, ZoneOffset.UTC), executor);
            AtomicBoolean ran = new AtomicBoolean();
            RuntimeScheduler.Cancellable far = scheduler.schedule(Instant.parse("9999-12-31T23:59:59Z"), () -> {
                ran.set(true);
                return CompletableFuture.completedFuture(null);
            });
            RuntimeScheduler.Cancellable never = scheduler.schedule(Instant.MAX, () -> {
                ran.set(true);
                return CompletableFuture.completedFuture(null);
            });
            far.cancel();
            never.cancel();
            assertThat(ran).isFalse();
            assertThat(ClockScheduler.nanosUntil(NOW, Instant.MAX)).isEqualTo(Long.MAX_VALUE);
            assertThat(ClockScheduler.nanosUntil(NOW, Instant.MIN)).isZero();
            assertThat(ClockScheduler.nanosUntil(NOW, NOW.plusSeconds(1))).isEqualTo(1_000_000_000L);
        }
        finally {
            executor.shutdownNow();
        }
    }
}
