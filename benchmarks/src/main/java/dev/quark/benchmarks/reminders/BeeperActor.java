package dev.quark.benchmarks.reminders;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.ReminderStatus;

/**
 * Receives the ticks of its reminder and hands each to the {@link TickLog}: lateness is measured when the turn
 * runs, from the tick's scheduled instant, so it covers the tick manager, the call and the mailbox.
 */
@QuarkActor(name = "bench-beeper")
public class BeeperActor extends AbstractActor implements Beeper {

    private final TickLog log;

    private long received;

    public BeeperActor(TickLog log) {
        this.log = log;
    }

    @Override
    public void receiveReminder(String name, ReminderStatus status) {
        this.received++;
        this.log.received(status.scheduledAt());
    }

    @Override
    public long received() {
        return this.received;
    }
}
