package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.quark.actor.ActorTimer;
import dev.quark.actor.TimerOptions;
import dev.quark.runtime.RuntimeScheduler;
import org.jspecify.annotations.Nullable;

/**
 * A volatile timer of one activation. Each tick is a message in the activation's mailbox and runs as a
 * turn, so it never overlaps another turn. A tick is not queued while the previous one is still waiting or
 * running; the next tick is due a period after the previous one ends, measured on the runtime's clock.
 */
final class TimerRegistration implements ActorTimer {

    private final Activation activation;

    private final ActivationCatalog catalog;

    private final String name;

    private final Duration dueTime;

    private final Duration period;

    private final TimerOptions options;

    private final Runnable callback;

    private final SystemTask tick;

    // Guarded by this.

    private boolean active = true;

    private boolean tickPending;

    private RuntimeScheduler.@Nullable Cancellable scheduled;

    TimerRegistration(Activation activation, ActivationCatalog catalog, String name, Duration dueTime,
            Duration period, TimerOptions options, Runnable callback) {
        Objects.requireNonNull(name, "Timer name must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("Timer name must not be blank");
        }
        Objects.requireNonNull(dueTime, "Timer dueTime must not be null");
        Objects.requireNonNull(period, "Timer period must not be null");
        if (dueTime.isNegative()) {
            throw new IllegalArgumentException("Timer '" + name + "' dueTime must not be negative, was " + dueTime);
        }
        if (period.isNegative()) {
            throw new IllegalArgumentException("Timer '" + name + "' period must not be negative, was " + period
                    + " (use Duration.ZERO for a single tick)");
        }
        this.activation = activation;
        this.catalog = catalog;
        this.name = name;
        this.dueTime = dueTime;
        this.period = period;
        this.options = Objects.requireNonNull(options, "Timer options must not be null");
        this.callback = Objects.requireNonNull(callback, "Timer callback must not be null");
        this.tick = new Tick();
    }

    void start() {
        scheduleIn(this.dueTime);
    }

    private synchronized void scheduleIn(Duration delay) {
        if (!this.active) {
            return;
        }
        this.scheduled = this.catalog.scheduler().schedule(this.catalog.settings().clock().instant().plus(delay),
                this::fire);
    }

    /**
     * Puts a tick in the mailbox; runs on the scheduler.
     * @return a stage that completes when the tick's turn has run
     */
    private CompletionStage<?> fire() {
        synchronized (this) {
            if (!this.active || this.tickPending) {
                return CompletableFuture.completedFuture(null);
            }
            this.tickPending = true;
            this.scheduled = null;
        }
        Invocation invocation = Invocation.system(this.activation.identity, this.tick);
        if (this.activation.offer(invocation, true) == Delivery.GONE) {
            dispose();
            return CompletableFuture.completedFuture(null);
        }
        return invocation.handle((result, failure) -> null);
    }

    private void ticked() {
        boolean again;
        synchronized (this) {
            this.tickPending = false;
            again = this.active && !this.period.isZero();
            if (this.active && this.period.isZero()) {
                this.active = false;
            }
        }
        if (again) {
            scheduleIn(this.period);
        }
        else {
            this.activation.forget(this);
        }
    }

    @Override
    public String name() {
        return this.name;
    }

    @Override
    public boolean cancel() {
        boolean wasActive = dispose();
        this.activation.forget(this);
        return wasActive;
    }

    /**
     * Stops the timer without touching the activation's registry.
     * @return whether it was active
     */
    boolean dispose() {
        RuntimeScheduler.Cancellable pending;
        synchronized (this) {
            if (!this.active) {
                return false;
            }
            this.active = false;
            pending = this.scheduled;
            this.scheduled = null;
        }
        if (pending != null) {
            pending.cancel();
        }
        return true;
    }

    @Override
    public synchronized boolean isActive() {
        return this.active;
    }

    @Override
    public String toString() {
        return "Timer '" + this.name + "' of " + this.activation.identity;
    }

    private final class Tick implements SystemTask {

        @Override
        public String name() {
            return "timer:" + TimerRegistration.this.name;
        }

        @Override
        public void run(Object instance) {
            try {
                if (isActive()) {
                    TimerRegistration.this.callback.run();
                }
            }
            finally {
                ticked();
            }
        }

        @Override
        public boolean keepsActivationAlive() {
            return TimerRegistration.this.options.keepsActivationAlive();
        }

        @Override
        public boolean survivesDeactivation() {
            return false;
        }
    }
}
