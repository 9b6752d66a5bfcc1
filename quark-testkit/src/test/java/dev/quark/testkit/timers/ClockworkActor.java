package dev.quark.testkit.timers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.ActorTimer;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.TimerOptions;
import dev.quark.testkit.ManualClock;

@QuarkActor
public class ClockworkActor extends AbstractActor implements Clockwork {

    private final ClockworkEnvironment environment;

    private final AtomicInteger inside = new AtomicInteger();

    private final List<String> ticks = new ArrayList<>();

    private final Map<String, ActorTimer> timers = new HashMap<>();

    private int touches;

    public ClockworkActor(ClockworkEnvironment environment) {
        this.environment = environment;
    }

    private void enter() {
        if (this.inside.incrementAndGet() != 1) {
            this.environment.overlaps().incrementAndGet();
        }
    }

    private void exit() {
        this.inside.decrementAndGet();
    }

    @Override
    public void start(String name, long dueMillis, long periodMillis, boolean keepsAlive) {
        TimerOptions options = keepsAlive ? TimerOptions.keepingActivationAlive() : TimerOptions.DEFAULT;
        this.timers.put(name, registerTimer(name, Duration.ofMillis(dueMillis), Duration.ofMillis(periodMillis), options,
                () -> {
                    enter();
                    try {
                        long offset = this.environment.clock().millis() - ManualClock.DEFAULT_START.toEpochMilli();
                        this.ticks.add(name + "@" + offset);
                        this.environment.log().add(actorId() + ":" + name + "@" + offset);
                        Thread.yield();
                    }
                    finally {
                        exit();
                    }
                }));
    }

    @Override
    public boolean stop(String name) {
        return cancelTimer(name);
    }

    @Override
    public boolean stopByHandle(String name) {
        return this.timers.get(name).cancel();
    }

    @Override
    public boolean isActive(String name) {
        return this.timers.get(name).isActive();
    }

    @Override
    public List<String> ticks() {
        return List.copyOf(this.ticks);
    }

    @Override
    public void hold(String gate) {
        enter();
        try {
            this.environment.log().add(actorId() + ":hold-start");
            this.environment.gate(gate).await(10, TimeUnit.SECONDS);
            this.environment.log().add(actorId() + ":hold-end");
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        finally {
            exit();
        }
    }

    @Override
    public int touch() {
        enter();
        try {
            Thread.yield();
            return ++this.touches;
        }
        finally {
            exit();
        }
    }
}
