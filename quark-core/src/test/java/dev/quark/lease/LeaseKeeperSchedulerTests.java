package dev.quark.lease;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link LeaseKeeper.Scheduler#of}: tasks due further away than a {@code long} of nanoseconds reaches (about 292
 * years: a durable-task activity's start-to-close timeout, for one) are scheduled instead of failing the caller.
 */
class LeaseKeeperSchedulerTests {

    @Test
    void aTaskDueCenturiesAheadIsScheduledAndOneDueCenturiesAgoRunsAtOnce() throws Exception {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            LeaseKeeper.Scheduler scheduler = LeaseKeeper.Scheduler.of(Clock.systemUTC(), executor);
            CountDownLatch farRan = new CountDownLatch(1);
            LeaseKeeper.Scheduler.Cancellable far = scheduler.schedule(Instant.now().plus(Duration.ofDays(400 * 366)),
                    () -> {
                        farRan.countDown();
                        return CompletableFuture.completedFuture(null);
                    });
            CountDownLatch pastRan = new CountDownLatch(1);
            scheduler.schedule(Instant.parse("-5000-01-01T00:00:00Z"), () -> {
                pastRan.countDown();
                return CompletableFuture.completedFuture(null);
            });
            assertThat(pastRan.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(farRan.getCount()).isEqualTo(1);
            far.cancel();
        }
        finally {
            executor.shutdownNow();
        }
    }
}
