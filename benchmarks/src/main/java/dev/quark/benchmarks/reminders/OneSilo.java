package dev.quark.benchmarks.reminders;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;

/**
 * One runtime and its tick manager, firing every bucket, as a single-silo application runs them.
 */
final class OneSilo implements Silos {

    private final ActorRuntime runtime;

    private final ReminderRegistry registry;

    private final ReminderTickManager ticks;

    OneSilo(ReminderTable table, TickLog log, ReminderSettings settings) {
        this.registry = new ReminderRegistry(table, Clock.systemUTC());
        this.runtime = ActorRuntime.builder()
            .actor(BeeperActor.class, () -> new BeeperActor(log))
            .idleTimeout(Duration.ofHours(1))
            .reminders(this.registry)
            .build();
        this.ticks = ReminderTickManager.builder(table, this.runtime).registry(this.registry).settings(settings).build();
    }

    @Override
    public void start() {
        this.ticks.start();
    }

    @Override
    public ReminderRegistry registryFor(ActorAddress actor) {
        return this.registry;
    }

    @Override
    public ReminderTickManager.Stats stats() {
        return Silos.sum(List.of(this.ticks));
    }

    @Override
    public void close() {
        this.ticks.close();
        this.runtime.close();
    }
}
