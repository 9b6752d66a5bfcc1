package dev.quark.actor;

/**
 * A volatile timer of one activation, registered with
 * {@link AbstractActor#registerTimer(String, java.time.Duration, java.time.Duration, Runnable)}. It lives as
 * long as the activation; timers that must survive deactivation are reminders.
 */
public interface ActorTimer {

    /**
     * Returns the timer's name, unique within its activation.
     * @return the name
     */
    String name();

    /**
     * Stops the timer: no tick starts after this returns. A tick that already runs completes.
     * @return whether the timer was active
     */
    boolean cancel();

    /**
     * Returns whether the timer will tick again.
     * @return {@code false} once cancelled, after a one-shot tick, or when the activation ended
     */
    boolean isActive();
}
