package dev.quark.durabletasks.internal;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import dev.quark.durabletasks.ActivityContext;
import dev.quark.durabletasks.ActivityDefinition;
import dev.quark.durabletasks.ActivityOptions;
import dev.quark.durabletasks.ActivityTimeoutException;
import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.FailureDetails;
import dev.quark.durabletasks.OrchestrationContext;
import dev.quark.durabletasks.PayloadConversionException;
import dev.quark.durabletasks.UnknownActivityException;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.history.TaskCompleted;
import dev.quark.durabletasks.history.TaskFailed;
import dev.quark.durabletasks.payload.PayloadConverter;
import dev.quark.durabletasks.store.ActivityWorkItem;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.TaskMessage;
import dev.quark.lease.LeaseKeeper;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one attempt of an activity call on the calling thread and decides what follows: the outcome for the
 * orchestration, or another attempt.
 * <p>
 * Timeouts are measured on the injected clock: the start-to-close timeout interrupts the attempt when it comes (a
 * task on the scheduler), and an attempt that returns after it counts as timed out whatever it returned, so that a
 * test moving a manual clock during an attempt sees the timeout. A call whose schedule-to-close timeout passed is
 * not attempted again. An unknown activity or an unreadable input fails the call at once, without retrying.
 */
public final class ActivityRunner {

    private static final Logger logger = LoggerFactory.getLogger(ActivityRunner.class);

    private static final Duration TIMER_HORIZON = Duration.ofNanos(Long.MAX_VALUE);

    private final DurableTaskRegistry registry;

    private final PayloadConverter converter;

    private final Clock clock;

    private final LeaseKeeper.Scheduler scheduler;

    private final DurableTaskStore store;

    /**
     * Creates a runner.
     * @param registry the activities it can run
     * @param converter reads inputs, writes results
     * @param clock the worker's clock
     * @param scheduler runs the start-to-close interruption
     * @param store where attempts record their heartbeat details
     */
    public ActivityRunner(DurableTaskRegistry registry, PayloadConverter converter, Clock clock,
            LeaseKeeper.Scheduler scheduler, DurableTaskStore store) {
        this.registry = registry;
        this.converter = converter;
        this.clock = clock;
        this.scheduler = scheduler;
        this.store = store;
    }

    /**
     * Runs an attempt.
     * @param item the claimed call
     * @return what follows
     */
    public ActivityDecision run(ActivityWorkItem item) {
        ActivityOptions options = item.options();
        Instant start = this.clock.instant();
        Optional<ActivityDefinition> definition = this.registry.activity(item.name());
        if (definition.isEmpty()) {
            return fail(item, new UnknownActivityException(item.name(), this.registry.activityNames()));
        }
        Duration scheduleToClose = options.scheduleToCloseTimeout();
        if (scheduleToClose != null && !start.isBefore(plus(item.scheduledAt(), scheduleToClose))) {
            return fail(item, new ActivityTimeoutException(item.name(), "schedule-to-close", scheduleToClose));
        }
        Object input;
        try {
            input = this.converter.read(item.input(), definition.get().inputType());
        }
        catch (RuntimeException ex) {
            return fail(item, new PayloadConversionException("the input of activity '" + item.name() + "'",
                    definition.get().inputType(), ex));
        }
        Duration heartbeatTimeout = options.heartbeatTimeout();
        HeartbeatWatch heartbeats = (heartbeatTimeout != null)
                ? new HeartbeatWatch(Thread.currentThread(), heartbeatTimeout, this.clock, this.scheduler, start) : null;
        HeartbeatDetailsRecorder details = new HeartbeatDetailsRecorder(this.store, item, this.converter, this.clock,
                heartbeatTimeout);
        Object result;
        try {
            result = attempt(definition.get(), item, input, start, new Context(item, heartbeats, details,
                    this.converter));
        }
        catch (Throwable ex) {
            return failedAttempt(item, timedOut(item, start, heartbeats) ? timeout(item, heartbeats) : ex, details);
        }
        if (timedOut(item, start, heartbeats)) {
            return failedAttempt(item, timeout(item, heartbeats), details);
        }
        String json;
        try {
            json = this.converter.write(result);
        }
        catch (RuntimeException ex) {
            return fail(item, new PayloadConversionException("the result of activity '" + item.name() + "'",
                    (result != null) ? result.getClass() : Object.class, ex));
        }
        return new ActivityDecision.Complete(message(item, new TaskCompleted(this.clock.instant(), item.taskId(), json)),
                true);
    }

    private @Nullable Object attempt(ActivityDefinition definition, ActivityWorkItem item, @Nullable Object input,
            Instant start, Context context) throws Exception {
        HeartbeatWatch heartbeats = context.heartbeats();
        Duration startToClose = item.options().startToCloseTimeout();
        LeaseKeeper.Scheduler.Cancellable interruption = null;
        if (startToClose != null && schedulable(this.clock.instant(), plus(start, startToClose))) {
            Thread running = Thread.currentThread();
            interruption = this.scheduler.schedule(plus(start, startToClose), () -> {
                running.interrupt();
                return CompletableFuture.completedFuture(null);
            });
        }
        if (heartbeats != null) {
            heartbeats.start();
        }
        try {
            return definition.untyped().execute(context, input);
        }
        finally {
            if (interruption != null) {
                interruption.cancel();
            }
            if (heartbeats != null) {
                heartbeats.stop();
            }
            Thread.interrupted();
        }
    }

    private boolean timedOut(ActivityWorkItem item, Instant start, @Nullable HeartbeatWatch heartbeats) {
        Duration startToClose = item.options().startToCloseTimeout();
        return (startToClose != null && !this.clock.instant().isBefore(plus(start, startToClose)))
                || (heartbeats != null && heartbeats.missed());
    }

    private ActivityTimeoutException timeout(ActivityWorkItem item, @Nullable HeartbeatWatch heartbeats) {
        if (heartbeats != null && heartbeats.missed()) {
            return new ActivityTimeoutException(item.name(), "heartbeat", heartbeats.timeout());
        }
        Duration startToClose = item.options().startToCloseTimeout();
        return new ActivityTimeoutException(item.name(), "start-to-close",
                (startToClose != null) ? startToClose : Duration.ZERO);
    }

    private ActivityDecision failedAttempt(ActivityWorkItem item, Throwable failure, HeartbeatDetailsRecorder details) {
        ActivityOptions options = item.options();
        boolean retryable = !(failure instanceof Error) && options.retry().isRetryable(failure);
        if (retryable && item.attempt() < options.retry().maxAttempts()) {
            Instant next = nextAttemptAt(item);
            Duration scheduleToClose = options.scheduleToCloseTimeout();
            if (next.isAfter(OrchestrationContext.LATEST_FIRE_AT)) {
                logger.warn("Attempt {} of activity '{}' for instance '{}' failed and is not retried: the next one "
                        + "would start at {}, after {}, the latest time a retry may be stored for", item.attempt(),
                        item.name(), item.instanceId(), Instant.MAX.equals(next) ? "the end of time" : next,
                        OrchestrationContext.LATEST_FIRE_AT, failure);
            }
            else if (scheduleToClose == null || next.isBefore(plus(item.scheduledAt(), scheduleToClose))) {
                logger.debug("Attempt {} of activity '{}' for instance '{}' failed; retrying at {}", item.attempt(),
                        item.name(), item.instanceId(), next, failure);
                details.flush();
                return new ActivityDecision.Retry(item.attempt() + 1, next);
            }
        }
        return fail(item, failure);
    }

    /**
     * When the next attempt of a call may start: after the back-off from now; {@link Instant#MAX} when that is past
     * what an instant holds (calls stored by older code were not bounded).
     */
    private Instant nextAttemptAt(ActivityWorkItem item) {
        try {
            return plus(this.clock.instant(), item.options().retry().delayBefore(item.attempt() + 1));
        }
        catch (ArithmeticException ex) {
            return Instant.MAX;
        }
    }

    /**
     * Whether a timer due at an instant is scheduled at all: not for {@link Instant#MAX} nor for what lies the ~292
     * years and more from now that a scheduler's delay in nanoseconds misses (some schedulers fail on it); such a
     * timer would not fire in a running process anyway.
     */
    static boolean schedulable(Instant now, Instant at) {
        return at.isBefore(plus(now, TIMER_HORIZON));
    }

    /** An instant plus a duration, {@link Instant#MAX} past what an instant holds. */
    static Instant plus(Instant instant, Duration duration) {
        try {
            return instant.plus(duration);
        }
        catch (DateTimeException | ArithmeticException ex) {
            return Instant.MAX;
        }
    }

    private ActivityDecision fail(ActivityWorkItem item, Throwable failure) {
        logger.debug("Activity '{}' for instance '{}' failed after {} attempts", item.name(), item.instanceId(),
                item.attempt(), failure);
        return new ActivityDecision.Complete(
                message(item, new TaskFailed(this.clock.instant(), item.taskId(), FailureDetails.of(failure))), false);
    }

    private TaskMessage message(ActivityWorkItem item, HistoryEvent event) {
        return new TaskMessage(item.instanceId(), item.execution(), event, this.clock.instant());
    }

    /**
     * The context of one attempt.
     */
    private record Context(ActivityWorkItem item, @Nullable HeartbeatWatch heartbeats,
            HeartbeatDetailsRecorder details, PayloadConverter converter) implements ActivityContext {

        @Override
        public void heartbeat() {
            HeartbeatWatch watch = this.heartbeats;
            if (watch != null) {
                watch.beat();
            }
        }

        @Override
        public void heartbeat(@Nullable Object details) {
            heartbeat();
            this.details.record(details);
        }

        @Override
        public <T> Optional<T> lastHeartbeatDetails(Class<T> type) {
            Objects.requireNonNull(type, "type must not be null");
            String json = this.details.last();
            if (json == null) {
                return Optional.empty();
            }
            try {
                return Optional.ofNullable(type.cast(this.converter.read(json, type)));
            }
            catch (RuntimeException ex) {
                throw new PayloadConversionException("the heartbeat details of activity '" + this.item.name() + "'",
                        type, ex);
            }
        }

        @Override
        public String instanceId() {
            return this.item.instanceId();
        }

        @Override
        public String activityName() {
            return this.item.name();
        }

        @Override
        public int taskId() {
            return this.item.taskId();
        }

        @Override
        public int attempt() {
            return this.item.attempt();
        }

        @Override
        public String idempotencyKey() {
            return this.item.instanceId() + "/" + this.item.execution() + "/" + this.item.taskId();
        }
    }
}
