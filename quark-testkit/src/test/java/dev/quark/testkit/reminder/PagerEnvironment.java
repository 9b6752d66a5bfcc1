package dev.quark.testkit.reminder;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.actor.ReminderStatus;
import dev.quark.testkit.ManualClock;

/**
 * What the pagers of a test share: the ticks they received, and what a tick does beyond being recorded.
 */
final class PagerEnvironment {

    private final ManualClock clock;

    private final List<String> log = new CopyOnWriteArrayList<>();

    private final List<ReminderStatus> statuses = new CopyOnWriteArrayList<>();

    private final Map<String, Behaviour> behaviours = new ConcurrentHashMap<>();

    PagerEnvironment(ManualClock clock) {
        this.clock = clock;
    }

    void received(String actorId, String name, ReminderStatus status) {
        this.statuses.add(status);
        this.log.add(actorId + "/" + name + "@" + offset(status.scheduledAt()) + (status.firedAt().equals(status.scheduledAt())
                ? "" : " fired " + offset(status.firedAt())) + ((status.attempt() > 1) ? " #" + status.attempt() : ""));
    }

    Behaviour behaviour(String reminder) {
        return this.behaviours.get(reminder);
    }

    void on(String reminder, Behaviour behaviour) {
        this.behaviours.put(reminder, behaviour);
    }

    List<String> log() {
        return this.log;
    }

    List<ReminderStatus> statuses() {
        return this.statuses;
    }

    ManualClock clock() {
        return this.clock;
    }

    static long offset(Instant instant) {
        return instant.toEpochMilli() - ManualClock.DEFAULT_START.toEpochMilli();
    }

    @FunctionalInterface
    interface Behaviour {

        void onTick(PagerActor actor, ReminderStatus status);
    }
}
