package dev.quark.runtime.internal;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The timers an activation registered, by name: registering a name again replaces the timer, none can be
 * registered once the activation is ending, and they all stop with it. An activation creates this with
 * its first timer, so most carry none. Guarded by the activation's lock; timers start and stop outside it.
 */
final class ActivationTimers {

    private final List<TimerRegistration> timers = new ArrayList<>(2);

    /**
     * Registers and starts a timer of an activation, replacing the one of the same name.
     * @throws IllegalStateException when the activation is ending
     */
    static TimerRegistration register(Activation activation, TimerRegistration timer) {
        TimerRegistration replaced;
        synchronized (activation) {
            if (activation.state.isEnding()) {
                throw new IllegalStateException("Cannot register timer '" + timer.name() + "' on "
                        + activation.identity + ": the activation is ending");
            }
            if (activation.timers == null) {
                activation.timers = new ActivationTimers();
            }
            replaced = activation.timers.find(timer.name());
            if (replaced != null) {
                activation.timers.remove(replaced);
            }
            activation.timers.timers.add(timer);
        }
        if (replaced != null) {
            replaced.cancel();
        }
        timer.start();
        return timer;
    }

    /**
     * Cancels an activation's timer by name.
     * @return whether there was an active timer of that name
     */
    static boolean cancel(Activation activation, String name) {
        TimerRegistration found;
        synchronized (activation) {
            found = (activation.timers != null) ? activation.timers.find(name) : null;
        }
        return found != null && found.cancel();
    }

    /**
     * Stops every timer of an activation, which is ending or dropping its instance.
     */
    static void disposeAll(Activation activation) {
        ActivationTimers disposed;
        synchronized (activation) {
            disposed = activation.timers;
            activation.timers = null;
        }
        if (disposed != null) {
            disposed.timers.forEach(TimerRegistration::dispose);
        }
    }

    private @Nullable TimerRegistration find(String name) {
        for (TimerRegistration timer : this.timers) {
            if (timer.name().equals(name)) {
                return timer;
            }
        }
        return null;
    }

    void remove(TimerRegistration timer) {
        this.timers.remove(timer);
    }
}
