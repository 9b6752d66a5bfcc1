package dev.quark.reminder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import dev.quark.runtime.RuntimeScheduler;
import org.jspecify.annotations.Nullable;

/**
 * Bounds the deliveries of ticks by one timeout with a single timer on the runtime's scheduler, instead of one
 * scheduled and cancelled task per tick on its one thread.
 * <p>
 * Every delivery gets the same timeout from the instant its round fired, so deliveries started in order expire in
 * order: they wait in a first-in first-out queue, and one timer is armed for the head's deadline. A delivery that
 * ends is only marked; it leaves the queue when it reaches the head, at the next start or the next expiry. Deadlines
 * are kept in order: a delivery started after one with a later deadline (rounds that start on two threads at once)
 * takes that later deadline, a few milliseconds at most.
 * <p>
 * When the scheduler refuses the timer (it is closed), the deliveries are not bounded here; the runtime's call
 * timeout bounds them.
 */
final class DeliveryTimeouts {

    private final RuntimeScheduler scheduler;

    private final Clock clock;

    private final Duration timeout;

    // Guarded by this.

    private final ArrayDeque<Bounded> started = new ArrayDeque<>();

    private @Nullable Instant armedAt;

    /** The instant the last call was bounded from, and its deadline: the ticks of a fire round share both. */
    private @Nullable Instant lastFiredAt;

    private Instant lastDeadline = Instant.MIN;

    DeliveryTimeouts(RuntimeScheduler scheduler, Clock clock, Duration timeout) {
        this.scheduler = scheduler;
        this.clock = clock;
        this.timeout = timeout;
    }

    /**
     * Bounds a call by the timeout from an instant.
     * @param call the call; a {@link CompletableFuture} is failed as well when the timeout passes
     * @param firedAt the instant the timeout runs from
     * @param late makes the failure of a call that outlasted the timeout
     * @return a stage that completes as the call does, or fails with the failure {@code late} made at the timeout
     */
    CompletionStage<?> bound(CompletionStage<?> call, Instant firedAt,
            Function<Duration, ? extends RuntimeException> late) {
        Bounded bounded = new Bounded(call, late);
        Instant arm;
        synchronized (this) {
            if (!firedAt.equals(this.lastFiredAt)) {
                this.lastFiredAt = firedAt;
                this.lastDeadline = firedAt.plus(this.timeout);
            }
            Instant deadline = this.lastDeadline;
            Bounded last = this.started.peekLast();
            if (last != null && last.deadline.isAfter(deadline)) {
                deadline = last.deadline;
            }
            bounded.deadline = deadline;
            while (!this.started.isEmpty() && this.started.peekFirst().result.isDone()) {
                this.started.pollFirst();
            }
            this.started.addLast(bounded);
            arm = null;
            if (this.armedAt == null) {
                arm = this.started.peekFirst().deadline;
                this.armedAt = arm;
            }
        }
        call.whenComplete((result, failure) -> {
            if (failure != null) {
                bounded.result.completeExceptionally(failure);
            }
            else {
                bounded.result.complete(result);
            }
        });
        if (arm != null) {
            arm(arm);
        }
        return bounded.result;
    }

    /** Returns how many deliveries wait in the queue, ended or not: for tests. */
    synchronized int queued() {
        return this.started.size();
    }

    private void arm(Instant at) {
        try {
            var unused = this.scheduler.schedule(at, this::expire);
        }
        catch (RuntimeException ex) {
            synchronized (this) {
                if (at.equals(this.armedAt)) {
                    this.armedAt = null;
                }
            }
        }
    }

    /** Fails the deliveries past their deadline and arms the timer for the next one. */
    private CompletionStage<?> expire() {
        Instant now = this.clock.instant();
        List<Bounded> expired = new ArrayList<>();
        Instant next;
        synchronized (this) {
            while (!this.started.isEmpty()) {
                Bounded head = this.started.peekFirst();
                if (!head.result.isDone()) {
                    if (head.deadline.isAfter(now)) {
                        break;
                    }
                    expired.add(head);
                }
                this.started.pollFirst();
            }
            next = this.started.isEmpty() ? null : this.started.peekFirst().deadline;
            this.armedAt = next;
        }
        for (Bounded bounded : expired) {
            bounded.expire(this.timeout);
        }
        if (next != null) {
            arm(next);
        }
        return CompletableFuture.completedFuture(null);
    }

    /** One delivery being bounded. */
    private static final class Bounded {

        private final CompletionStage<?> call;

        private final Function<Duration, ? extends RuntimeException> late;

        private final CompletableFuture<Object> result = new CompletableFuture<>();

        private Instant deadline = Instant.MIN;

        Bounded(CompletionStage<?> call, Function<Duration, ? extends RuntimeException> late) {
            this.call = call;
            this.late = late;
        }

        void expire(Duration timeout) {
            RuntimeException failure = this.late.apply(timeout);
            this.result.completeExceptionally(failure);
            if (this.call instanceof CompletableFuture<?> future) {
                future.completeExceptionally(failure);
            }
        }
    }
}
