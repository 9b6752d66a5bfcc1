package dev.quark.testkit.supervision;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.supervision.SupervisorStrategy;

/**
 * What one test shares with its supervisors and workers: the event log, instance numbering, which workers
 * fail to activate, and each supervisor's strategy.
 */
public record SupervisionLog(List<String> events, AtomicInteger instances, Set<String> failingActivations,
        Map<String, SupervisorStrategy> strategies, AtomicInteger activationAttempts, Map<String, Runnable> hooks) {

    public SupervisionLog() {
        this(new CopyOnWriteArrayList<>(), new AtomicInteger(), ConcurrentHashMap.newKeySet(), new ConcurrentHashMap<>(),
                new AtomicInteger(), new ConcurrentHashMap<>());
    }

    /** Records an event, then runs the hook a test set for it, on the actor's turn. */
    void add(String event) {
        this.events.add(event);
        Runnable hook = this.hooks.get(event);
        if (hook != null) {
            hook.run();
        }
    }
}
