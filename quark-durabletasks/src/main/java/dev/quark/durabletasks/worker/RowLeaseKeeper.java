package dev.quark.durabletasks.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiFunction;
import java.util.function.Function;

import dev.quark.durabletasks.store.DurableTaskResources;
import dev.quark.durabletasks.store.RowLeases;
import dev.quark.lease.FencingToken;
import dev.quark.lease.LeaseKeeper;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps alive the {@linkplain RowLeases row leases} a worker holds while their work runs: renews all of them in one
 * round every third of the lease duration (one statement for instances, one for activity calls), and reports as
 * lost, by resource ({@link DurableTaskResources}), those the store did not renew (taken over, gone) and those whose
 * lease ran out while renewals failed. The store decides expiry on its own clock; this worker counts a lease's
 * duration on its clock from before the claim or renewal was sent, and gives a lease up when that count ends, on a
 * timer of its own that waits neither for a renewal call (one may hang) nor for the clock to move past it (a fixed
 * clock), so that it gives a lease up no later than the store does, however renewals go. Work about to write what frees its lease (a commit, a completion, a retry) is
 * {@linkplain #settleInstance settled} first, so that no renewal takes the freed lease for lost; work that wrote
 * nothing is {@linkplain #releaseInstance released}. Thread-safe.
 */
final class RowLeaseKeeper {

    private static final Logger logger = LoggerFactory.getLogger(RowLeaseKeeper.class);

    private final RowLeases leases;

    private final Duration duration;

    private final Clock clock;

    private final LeaseKeeper.Scheduler scheduler;

    private final Executor executor;

    private final LossListener lost;

    private final Map<String, Held> instances = new ConcurrentHashMap<>();

    private final Map<String, Held> activities = new ConcurrentHashMap<>();

    private final Object lock = new Object();

    private LeaseKeeper.Scheduler.@Nullable Cancellable timer;

    private boolean closed;

    RowLeaseKeeper(RowLeases leases, Duration duration, Clock clock, LeaseKeeper.Scheduler scheduler,
            Executor executor, LossListener lost) {
        this.leases = leases;
        this.duration = duration;
        this.clock = clock;
        this.scheduler = scheduler;
        this.executor = executor;
        this.lost = lost;
    }

    RowLeases leases() {
        return this.leases;
    }

    /** How long a lease lasts from when the store grants or renews it, on the store's clock. */
    Duration duration() {
        return this.duration;
    }

    /**
     * Until when, on this worker's clock, a lease the store grants or renews after now is surely valid: the store
     * starts its duration on its own clock, no earlier than the request is sent.
     */
    Instant leasedUntil() {
        return this.clock.instant().plus(this.duration);
    }

    void keepInstance(String instanceId, FencingToken token, Instant validUntil) {
        hold(this.instances, instanceId, new Held(token, validUntil), DurableTaskResources.instance(instanceId));
        scheduleRound();
    }

    void keepActivity(String activityId, FencingToken token, Instant validUntil) {
        hold(this.activities, activityId, new Held(token, validUntil), DurableTaskResources.activity(activityId));
        scheduleRound();
    }

    /** Holds a lease and starts its give-up timer; the lease it replaces, if any, stops its own. */
    private void hold(Map<String, Held> held, String id, Held each, String resource) {
        Held previous = held.put(id, each);
        if (previous != null) {
            previous.stopGiveUp();
        }
        startGiveUp(held, id, each, resource);
    }

    /**
     * Gives a lease up at the end of its count on this worker's clock unless a renewal replaced it by then: fired
     * by the scheduler, it neither waits for a renewal call nor compares clocks.
     */
    private void startGiveUp(Map<String, Held> held, String id, Held each, String resource) {
        if (isClosed()) {
            held.remove(id, each);
            return;
        }
        LeaseKeeper.Scheduler.Cancellable giveUp = this.scheduler.schedule(each.validUntil(), () -> {
            if (held.remove(id, each)) {
                logger.warn("Gave up the durable-task lease of {}: it ran out before a renewal went through", resource);
                this.lost.lost(resource, each.token(), "EXPIRED");
            }
            return CompletableFuture.completedFuture(null);
        });
        each.giveUpWith(giveUp);
        if (held.get(id) != each || isClosed()) {
            held.remove(id, each);
            each.stopGiveUp();
        }
    }

    /** Stops renewing an instance's lease, which the write that ends its step is about to free. */
    void settleInstance(String instanceId, FencingToken token) {
        forget(this.instances, instanceId, token);
    }

    /** Stops renewing an activity call's lease, which the write that ends its attempt is about to free. */
    void settleActivity(String activityId, FencingToken token) {
        forget(this.activities, activityId, token);
    }

    /** Stops renewing an instance's lease and frees it, for a step that wrote nothing. */
    void releaseInstance(String instanceId, FencingToken token) {
        settleInstance(instanceId, token);
        this.leases.releaseInstance(instanceId, token);
    }

    /** Stops renewing an activity call's lease and frees it, for an attempt that recorded nothing. */
    void releaseActivity(String activityId, FencingToken token) {
        settleActivity(activityId, token);
        this.leases.releaseActivity(activityId, token);
    }

    private static void forget(Map<String, Held> held, String id, FencingToken token) {
        Held each = held.get(id);
        if (each != null && each.token().equals(token) && held.remove(id, each)) {
            each.stopGiveUp();
        }
    }

    /**
     * Stops renewing and cancels the give-up timers of the leases still held (the worker has stopped their work by
     * now); those leases are freed by their work's end, or expire. A closed keeper schedules nothing more.
     */
    void close() {
        synchronized (this.lock) {
            this.closed = true;
            if (this.timer != null) {
                this.timer.cancel();
                this.timer = null;
            }
        }
        stopAll(this.instances);
        stopAll(this.activities);
    }

    private static void stopAll(Map<String, Held> held) {
        held.forEach((id, each) -> {
            if (held.remove(id, each)) {
                each.stopGiveUp();
            }
        });
    }

    private boolean isClosed() {
        synchronized (this.lock) {
            return this.closed;
        }
    }

    private void scheduleRound() {
        synchronized (this.lock) {
            if (this.closed || this.timer != null) {
                return;
            }
            this.timer = this.scheduler.schedule(this.clock.instant().plus(this.duration.dividedBy(3)), this::round);
        }
    }

    private CompletableFuture<?> round() {
        synchronized (this.lock) {
            this.timer = null;
            if (this.closed) {
                return CompletableFuture.completedFuture(null);
            }
        }
        CompletableFuture<?> renewed;
        try {
            renewed = CompletableFuture.runAsync(this::renew, this.executor);
        }
        catch (RejectedExecutionException ex) {
            return CompletableFuture.completedFuture(null);
        }
        return renewed.whenComplete((result, failure) -> {
            if (!this.instances.isEmpty() || !this.activities.isEmpty()) {
                scheduleRound();
            }
        });
    }

    private void renew() {
        renew(this.instances, DurableTaskResources::instance, this.leases::renewInstances);
        renew(this.activities, DurableTaskResources::activity, this.leases::renewActivities);
    }

    private void renew(Map<String, Held> held, Function<String, String> resource,
            BiFunction<Map<String, FencingToken>, Duration, Set<String>> renewal) {
        Map<String, Held> round = new HashMap<>(held);
        if (round.isEmpty()) {
            return;
        }
        Map<String, FencingToken> tokens = new HashMap<>();
        round.forEach((id, each) -> tokens.put(id, each.token()));
        Instant until = leasedUntil();
        Set<String> renewed;
        try {
            renewed = renewal.apply(tokens, this.duration);
        }
        catch (RuntimeException ex) {
            logger.warn("Could not renew {} durable-task leases; those that run out are given up", round.size(), ex);
            Instant now = this.clock.instant();
            round.forEach((id, each) -> {
                if (!each.validUntil().isAfter(now) && held.remove(id, each)) {
                    each.stopGiveUp();
                    this.lost.lost(resource.apply(id), each.token(), "EXPIRED");
                }
            });
            return;
        }
        round.forEach((id, each) -> {
            if (renewed.contains(id)) {
                Held next = new Held(each.token(), until);
                if (held.replace(id, each, next)) {
                    each.stopGiveUp();
                    startGiveUp(held, id, next, resource.apply(id));
                }
            }
            else if (held.remove(id, each)) {
                each.stopGiveUp();
                this.lost.lost(resource.apply(id), each.token(), "RENEWAL_REFUSED");
            }
        });
    }

    /**
     * A lease held, until when it is surely valid on this worker's clock, and its give-up timer. Compared by identity:
     * a renewal replaces it with a new one even when the instant is the same (a fixed clock).
     */
    private static final class Held {

        private final FencingToken token;

        private final Instant validUntil;

        private volatile LeaseKeeper.Scheduler.@Nullable Cancellable giveUp;

        private volatile boolean stopped;

        Held(FencingToken token, Instant validUntil) {
            this.token = token;
            this.validUntil = validUntil;
        }

        FencingToken token() {
            return this.token;
        }

        Instant validUntil() {
            return this.validUntil;
        }

        void giveUpWith(LeaseKeeper.Scheduler.Cancellable timer) {
            this.giveUp = timer;
            if (this.stopped) {
                timer.cancel();
            }
        }

        void stopGiveUp() {
            this.stopped = true;
            LeaseKeeper.Scheduler.Cancellable timer = this.giveUp;
            if (timer != null) {
                timer.cancel();
            }
        }
    }

    /** Told of a lease given up, with why: the store refused its renewal, or it ran out while renewals failed. */
    @FunctionalInterface
    interface LossListener {

        /**
         * A lease was given up.
         * @param resource the work's resource
         * @param token the token the lease was held with
         * @param reason {@code RENEWAL_REFUSED} or {@code EXPIRED}
         */
        void lost(String resource, FencingToken token, String reason);
    }
}
