package dev.quark.cluster.membership;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import dev.quark.runtime.RuntimeScheduler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a body every interval on a {@link RuntimeScheduler}: at a fixed rate from the first instant, except
 * that a run that comes late (a pause) schedules the next one an interval after itself instead of catching
 * up. The body is told the instant it was due, so that it can tell a late run.
 */
final class PeriodicTask {

    private static final Logger logger = LoggerFactory.getLogger(PeriodicTask.class);

    private final String name;

    private final RuntimeScheduler scheduler;

    private final Clock clock;

    private final Duration interval;

    private final Function<Instant, ? extends CompletionStage<?>> body;

    private RuntimeScheduler.@Nullable Cancellable next;

    private boolean stopped;

    PeriodicTask(String name, RuntimeScheduler scheduler, Clock clock, Duration interval,
            Function<Instant, ? extends CompletionStage<?>> body) {
        this.name = name;
        this.scheduler = scheduler;
        this.clock = clock;
        this.interval = interval;
        this.body = body;
    }

    /**
     * Schedules the first run an interval from now.
     */
    void start() {
        scheduleAt(this.clock.instant().plus(this.interval));
    }

    /**
     * Cancels the next run; a run in progress finishes.
     */
    synchronized void stop() {
        this.stopped = true;
        if (this.next != null) {
            this.next.cancel();
            this.next = null;
        }
    }

    private synchronized void scheduleAt(Instant at) {
        if (this.stopped) {
            return;
        }
        this.next = this.scheduler.schedule(at, () -> run(at));
    }

    private CompletionStage<?> run(Instant dueAt) {
        synchronized (this) {
            if (this.stopped) {
                return CompletableFuture.completedFuture(null);
            }
        }
        Instant now = this.clock.instant();
        Instant following = dueAt.plus(this.interval);
        scheduleAt(following.isAfter(now) ? following : now.plus(this.interval));
        try {
            return this.body.apply(dueAt);
        }
        catch (RuntimeException ex) {
            logger.error("Membership task '{}' failed", this.name, ex);
            return CompletableFuture.completedFuture(null);
        }
    }
}
