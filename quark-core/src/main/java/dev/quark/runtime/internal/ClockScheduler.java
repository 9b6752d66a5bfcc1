package dev.quark.runtime.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.quark.runtime.RuntimeScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link RuntimeScheduler}: waits in real time for the distance between now and the due
 * instant on the runtime's clock.
 */
public final class ClockScheduler implements RuntimeScheduler {

    private static final Logger logger = LoggerFactory.getLogger(ClockScheduler.class);

    private final Clock clock;

    private final ScheduledExecutorService executor;

    public ClockScheduler(Clock clock, ScheduledExecutorService executor) {
        this.clock = clock;
        this.executor = executor;
    }

    @Override
    public Cancellable schedule(Instant at, Supplier<? extends CompletionStage<?>> task) {
        long delay = Math.max(0, nanosUntil(this.clock.instant(), at));
        ScheduledFuture<?> scheduled = this.executor.schedule(() -> run(task), delay, TimeUnit.NANOSECONDS);
        return () -> scheduled.cancel(false);
    }

    /** Nanoseconds from one instant to another, {@code Long.MAX_VALUE} for the ~292 years and more a long misses. */
    static long nanosUntil(Instant now, Instant at) {
        try {
            return Duration.between(now, at).toNanos();
        }
        catch (ArithmeticException ex) {
            return at.isAfter(now) ? Long.MAX_VALUE : 0;
        }
    }

    private static void run(Supplier<? extends CompletionStage<?>> task) {
        try {
            // Real time waits for nothing: the stage serves schedulers that drive virtual time.
            var unused = task.get();
        }
        catch (RuntimeException ex) {
            logger.error("Scheduled runtime task failed", ex);
        }
    }
}
