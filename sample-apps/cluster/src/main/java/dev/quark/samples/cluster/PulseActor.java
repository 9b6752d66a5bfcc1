package dev.quark.samples.cluster;

import java.time.Duration;
import java.time.Instant;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.ReminderSchedule;
import dev.quark.actor.ReminderStatus;
import dev.quark.actor.Remindable;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.state.ActorState;
import dev.quark.state.PersistentState;

/**
 * The implementation of {@link Pulse}: each tick of its reminder is a turn ({@link #receiveReminder}) that counts
 * one beat in persistent state, once per scheduled instant, and notes the silo it ran on; a tick for an instant
 * already counted is counted as a repeat, and one that comes more than a period after the last as a gap. A one-shot
 * reminder ({@link #remindOnce}) counts its deliveries apart; every delivery of either is kept among the recent ones.
 */
@QuarkActor
class PulseActor extends AbstractActor implements Pulse, Remindable {

    static final String REMINDER = "beat";

    static final String ONCE = "once";

    private final String siloId;

    @ActorState(name = "pulse")
    private PersistentState<PulseState> pulse;

    PulseActor(SiloMembership membership) {
        this.siloId = membership.settings().siloId();
    }

    @Override
    public PulseReport start(long periodMillis) {
        this.pulse.set(this.pulse.getOrElse(PulseState.EMPTY).started(periodMillis, Instant.now()));
        this.pulse.save();
        registerReminder(REMINDER, ReminderSchedule.every(Duration.ofMillis(periodMillis)));
        return report();
    }

    @Override
    public PulseReport remindOnce(Instant dueAt) {
        registerReminder(ONCE, ReminderSchedule.onceAt(dueAt));
        return report();
    }

    @Override
    public void receiveReminder(String name, ReminderStatus status) {
        PulseState current = this.pulse.getOrElse(PulseState.EMPTY);
        if (name.equals(ONCE)) {
            this.pulse.set(current.once(status, this.siloId));
        }
        else if (name.equals(REMINDER)) {
            this.pulse.set(current.counts(status) ? current.beat(status, this.siloId) : current.repeated(status, this.siloId));
        }
        else {
            return;
        }
        try {
            this.pulse.save();
        }
        catch (RuntimeException ex) {
            // Another activation wrote meanwhile (a failover) or the store failed: this one holds an unsaved beat,
            // so it steps aside and the next tick activates a fresh one that loads the stored count.
            deactivateOnIdle();
            throw ex;
        }
    }

    @Override
    public PulseReport report() {
        return PulseReport.of(actorId(), this.pulse.getOrElse(PulseState.EMPTY), getReminder(REMINDER).isPresent(),
                getReminder(ONCE).isPresent());
    }
}
