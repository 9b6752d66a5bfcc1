package dev.quark.testkit.timers;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.testkit.ManualClock;

public record ClockworkEnvironment(ManualClock clock, List<String> log, Map<String, CountDownLatch> gates,
        AtomicInteger overlaps) {

    public ClockworkEnvironment(ManualClock clock) {
        this(clock, new CopyOnWriteArrayList<>(), new ConcurrentHashMap<>(), new AtomicInteger());
    }

    public CountDownLatch gate(String name) {
        return this.gates.computeIfAbsent(name, (key) -> new CountDownLatch(1));
    }
}
