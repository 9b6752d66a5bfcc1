package dev.quark.runtime.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

import dev.quark.actor.DeactivationReason;
import dev.quark.runtime.RuntimeScheduler;
import org.jspecify.annotations.Nullable;

/**
 * What an activation was asked to do to its lifecycle, and who waits for it: a deactivation or a restart
 * that waits for the turns in progress to end, the scheduled end of a restart's backoff, and the stage
 * that completes when the activation has ended.
 * <p>
 * A shutdown overrides any other request and a deactivation overrides a restart. An activation creates
 * this only when asked for a change, so an idle one carries none. Guarded by the activation's lock.
 */
final class LifecycleChange {

    /** The kinds of change an activation can be asked for. */
    enum Kind {

        DEACTIVATE,

        RESTART
    }

    private @Nullable Kind requested;

    private @Nullable DeactivationReason reason;

    private Duration restartDelay = Duration.ZERO;

    /** When the restart's backoff ends: the decision's instant plus the delay; {@code null} without a delay. */
    private @Nullable Instant restartAt;

    private RuntimeScheduler.@Nullable Cancellable restartTask;

    private @Nullable CompletableFuture<Void> ended;

    /**
     * Asks for a deactivation; a pending one keeps its reason unless this one is a shutdown or a drop, and a
     * pending drop stays a drop.
     */
    void requestDeactivation(DeactivationReason reason) {
        if (this.requested == Kind.DEACTIVATE && this.reason == DeactivationReason.DROPPED) {
            return;
        }
        if (this.requested != Kind.DEACTIVATE || reason == DeactivationReason.SHUTDOWN
                || reason == DeactivationReason.DROPPED) {
            this.requested = Kind.DEACTIVATE;
            this.reason = reason;
        }
    }

    /**
     * Asks for a restart with a fresh instance after a delay, counted from the decision (not from the end of the
     * old instance's deactivation, which runs later and may take a while).
     * @param now when the restart was decided
     * @return {@code false} when a change was asked for already, which then stands
     */
    boolean requestRestart(Duration delay, Instant now) {
        if (this.requested != null) {
            return false;
        }
        this.requested = Kind.RESTART;
        this.restartDelay = delay;
        this.restartAt = delay.isZero() ? null : now.plus(delay);
        return true;
    }

    @Nullable Kind requested() {
        return this.requested;
    }

    DeactivationReason reason() {
        return (this.reason != null) ? this.reason : DeactivationReason.EXPLICIT;
    }

    Duration restartDelay() {
        return this.restartDelay;
    }

    @Nullable Instant restartAt() {
        return this.restartAt;
    }

    /**
     * Forgets the request once the activation carries it out.
     */
    void clearRequest() {
        this.requested = null;
        this.reason = null;
    }

    void restartScheduled(RuntimeScheduler.@Nullable Cancellable task) {
        this.restartTask = task;
    }

    /**
     * Cancels the restart waiting for its backoff, if there is one.
     * @return whether it was cancelled before it started
     */
    boolean cancelRestart() {
        RuntimeScheduler.Cancellable task = this.restartTask;
        if (task != null && task.cancel()) {
            this.restartTask = null;
            return true;
        }
        return false;
    }

    /**
     * Returns the stage that completes when the activation has ended.
     */
    CompletableFuture<Void> whenEnded(boolean alreadyEnded) {
        if (this.ended == null) {
            this.ended = new CompletableFuture<>();
            if (alreadyEnded) {
                this.ended.complete(null);
            }
        }
        return this.ended;
    }

    void ended() {
        if (this.ended != null) {
            this.ended.complete(null);
        }
    }
}
