package dev.quark.reminder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.runtime.RuntimeScheduler;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DeliveryTimeoutsTests {

    private static final Instant START = Instant.parse("2026-01-15T10:00:00Z");

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final MovingClock clock = new MovingClock();

    private final TimedTasks scheduler = new TimedTasks(this.clock);

    private final DeliveryTimeouts timeouts = new DeliveryTimeouts(this.scheduler, this.clock, TIMEOUT);

    @Test
    void manyDeliveriesShareOneTimerAndThoseThatEndedAreNotFailed() {
        List<CompletableFuture<Object>> calls = new ArrayList<>();
        List<CompletionStage<?>> bounded = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            CompletableFuture<Object> call = new CompletableFuture<>();
            calls.add(call);
            bounded.add(this.timeouts.bound(call, START, this::late));
        }
        for (int i = 0; i < 1000; i += 2) {
            calls.get(i).complete("done");
        }
        assertThat(this.scheduler.scheduled).as("one timer for all the deliveries").isEqualTo(1);

        this.clock.now = START.plus(TIMEOUT).minusMillis(1);
        this.scheduler.runDue();
        assertThat(calls.get(1)).isNotDone();

        this.clock.now = START.plus(TIMEOUT);
        this.scheduler.runDue();
        for (int i = 0; i < 1000; i++) {
            if (i % 2 == 0) {
                assertThat(bounded.get(i).toCompletableFuture().getNow(null)).isEqualTo("done");
            }
            else {
                assertThat(bounded.get(i).toCompletableFuture()).isCompletedExceptionally();
                assertThat(calls.get(i)).as("the call itself is failed, so it does not run later")
                    .isCompletedExceptionally();
                assertThat(calls.get(i).exceptionNow()).isInstanceOf(ActorCallTimeoutException.class);
            }
        }
        assertThat(this.timeouts.queued()).isZero();
        assertThat(this.scheduler.tasks).as("nothing left to time out: no timer").isEmpty();
    }

    @Test
    void eachDeliveryTimesOutAtItsOwnDeadlineAndTheTimerFollowsTheHead() {
        CompletableFuture<Object> first = new CompletableFuture<>();
        CompletableFuture<Object> second = new CompletableFuture<>();
        CompletableFuture<Object> third = new CompletableFuture<>();
        this.timeouts.bound(first, START, this::late);
        this.timeouts.bound(second, START.plusSeconds(5), this::late);
        this.timeouts.bound(third, START.plusSeconds(10), this::late);
        second.complete("done");

        this.clock.now = START.plus(TIMEOUT);
        this.scheduler.runDue();
        assertThat(first).isCompletedExceptionally();
        assertThat(third).isNotDone();

        this.clock.now = START.plusSeconds(10).plus(TIMEOUT).minusMillis(1);
        this.scheduler.runDue();
        assertThat(third).as("not before its own deadline").isNotDone();

        this.clock.now = START.plusSeconds(10).plus(TIMEOUT);
        this.scheduler.runDue();
        assertThat(third).isCompletedExceptionally();
        assertThat(second).isCompletedWithValue("done");
    }

    @Test
    void aDeliveryStartedAfterTheQueueEmptiedArmsTheTimerAgain() {
        CompletableFuture<Object> first = new CompletableFuture<>();
        this.timeouts.bound(first, START, this::late);
        this.clock.now = START.plus(TIMEOUT);
        this.scheduler.runDue();
        assertThat(first).isCompletedExceptionally();

        CompletableFuture<Object> later = new CompletableFuture<>();
        this.timeouts.bound(later, this.clock.now, this::late);
        this.clock.now = this.clock.now.plus(TIMEOUT);
        this.scheduler.runDue();
        assertThat(later).isCompletedExceptionally();
    }

    @Test
    void aRefusedTimerLeavesTheCallUnboundedAndIsTriedAgainByTheNextDelivery() {
        this.scheduler.refuse = true;
        CompletableFuture<Object> first = new CompletableFuture<>();
        CompletionStage<?> bounded = this.timeouts.bound(first, START, this::late);
        first.complete("done");
        assertThat(bounded.toCompletableFuture().getNow(null)).isEqualTo("done");

        this.scheduler.refuse = false;
        CompletableFuture<Object> second = new CompletableFuture<>();
        this.timeouts.bound(second, START, this::late);
        this.clock.now = START.plus(TIMEOUT);
        this.scheduler.runDue();
        assertThat(second).isCompletedExceptionally();
    }

    private RuntimeException late(Duration timeout) {
        return new ActorCallTimeoutException("Pager/one", "receiveReminder", timeout);
    }

    private static final class MovingClock extends Clock {

        private Instant now = START;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return this.now;
        }
    }

    private static final class TimedTasks implements RuntimeScheduler {

        private final Clock clock;

        private final List<Timed> tasks = new ArrayList<>();

        private int scheduled;

        private boolean refuse;

        TimedTasks(Clock clock) {
            this.clock = clock;
        }

        @Override
        public Cancellable schedule(Instant at, Supplier<? extends CompletionStage<?>> task) {
            if (this.refuse) {
                throw new IllegalStateException("closed");
            }
            Timed timed = new Timed(at, task);
            this.tasks.add(timed);
            this.scheduled++;
            return () -> this.tasks.remove(timed);
        }

        void runDue() {
            for (int i = 0; i < 100; i++) {
                Timed next = this.tasks.stream()
                    .filter((timed) -> !timed.at().isAfter(this.clock.instant()))
                    .min(Comparator.comparing(Timed::at))
                    .orElse(null);
                if (next == null) {
                    return;
                }
                this.tasks.remove(next);
                var unused = next.task().get();
            }
        }

        private record Timed(Instant at, Supplier<? extends CompletionStage<?>> task) {
        }
    }
}
