package dev.quark.autoconfigure.reminders;

import dev.quark.reminder.ReminderTickManager;

import org.springframework.context.SmartLifecycle;

/**
 * Starts the silo's {@link ReminderTickManager} once the context has started and stops it before the actor
 * runtime shuts down, so that the ticks that run complete and their next ticks are written while actors and
 * data sources are still there. With the cluster on, the silo's cluster lifecycle has closed it already, before
 * the silo left, so that its bucket leases were free when the other silos claimed its buckets.
 */
final class ReminderTickManagerLifecycle implements SmartLifecycle {

    /**
     * One above the actor runtime's phase ({@code DEFAULT_PHASE - 4096}): started after it, stopped before it,
     * and after the web server has stopped taking requests.
     */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4095;

    private final ReminderTickManager manager;

    ReminderTickManagerLifecycle(ReminderTickManager manager) {
        this.manager = manager;
    }

    @Override
    public void start() {
        if (!this.manager.isRunning()) {
            this.manager.start();
        }
    }

    @Override
    public void stop() {
        this.manager.close();
    }

    @Override
    public boolean isRunning() {
        return this.manager.isRunning();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
