package dev.quark.testkit.cluster;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import dev.quark.actor.DeactivationReason;
import dev.quark.runtime.ActivationHook;
import dev.quark.runtime.ActorInstance;

/**
 * Counts the activations of every actor across the silos of a test cluster through an activation hook per
 * silo: how many times each actor was activated, and every moment when an activation started while another
 * one of the same actor was alive on any silo (a duplicate). Registered before the state hook, so an
 * activation counts as alive from before it loads its state until after it has saved it and let it go.
 * <p>
 * A killed silo's activations end at the kill, as they would with its process: {@link #killed(String)}
 * forgets them, and what the silo's runtime does afterwards does not count. A silo voted dead counts as killed from
 * when the test marks it so until the test says it may activate again ({@link #revived(String)}). A paused silo's
 * activations end at the pause too ({@link #paused(String, long, LongSupplier)}): it may not activate again until
 * it has rejoined with a new epoch.
 */
final class ActivationRecord {

    /**
     * The activations alive, per actor: each one's actor instance, by identity (so that a late end of an activation
     * of an earlier incarnation of a silo does not end a later one's), and its silo. Changed only inside the
     * concurrent map's atomic operations.
     */
    private final Map<String, Map<Object, String>> alive = new ConcurrentHashMap<>();

    private final Map<String, AtomicInteger> activations = new ConcurrentHashMap<>();

    private final List<String> duplicates = new CopyOnWriteArrayList<>();

    private final Set<String> killed = ConcurrentHashMap.newKeySet();

    private final Map<String, Pause> paused = new ConcurrentHashMap<>();

    /** The hook that records the activations of one silo. */
    ActivationHook hookOf(String siloId) {
        return new ActivationHook() {

            @Override
            public void beforeActivate(ActorInstance actor) {
                activated(actor.type().name() + "/" + actor.id(), siloId, actor.instance());
            }

            @Override
            public void afterDeactivate(ActorInstance actor, DeactivationReason reason) {
                deactivated(actor.type().name() + "/" + actor.id(), actor.instance());
            }
        };
    }

    private void activated(String key, String siloId, Object instance) {
        if (this.killed.contains(siloId)) {
            this.duplicates.add(key + " activated on " + siloId + " after it was killed");
            return;
        }
        Pause pause = this.paused.get(siloId);
        if (pause != null && pause.currentEpoch().getAsLong() == pause.epoch()) {
            this.duplicates.add(key + " activated on " + siloId + " after its pause, before it rejoined");
            return;
        }
        this.activations.computeIfAbsent(key, (ignored) -> new AtomicInteger()).incrementAndGet();
        this.alive.compute(key, (ignored, instances) -> {
            Map<Object, String> next = (instances != null) ? instances : new IdentityHashMap<>();
            if (this.killed.contains(siloId)) {
                return next;
            }
            if (!next.isEmpty()) {
                this.duplicates.add(key + " activated on " + siloId + " while alive on " + List.copyOf(next.values()));
            }
            next.put(instance, siloId);
            return next;
        });
    }

    private void deactivated(String key, Object instance) {
        this.alive.computeIfPresent(key, (ignored, instances) -> {
            instances.remove(instance);
            return instances;
        });
    }

    /** Ends every activation of a killed silo now, as the end of its process would. */
    void killed(String siloId) {
        this.killed.add(siloId);
        forget(siloId);
    }

    /**
     * Ends every activation of a paused silo now: its peers may vote it dead and activate its actors while it holds
     * them, and what it does with them until it learns so must not count. It may activate again once it rejoined.
     * @param siloId the silo
     * @param epoch its epoch at the pause
     * @param currentEpoch its epoch when it activates, which its rejoin moves past the paused one
     */
    void paused(String siloId, long epoch, LongSupplier currentEpoch) {
        this.paused.put(siloId, new Pause(epoch, currentEpoch));
        forget(siloId);
    }

    private void forget(String siloId) {
        for (String key : this.alive.keySet()) {
            this.alive.computeIfPresent(key, (ignored, instances) -> {
                instances.values().removeIf(siloId::equals);
                return instances;
            });
        }
    }

    /**
     * Counts the activations of a silo that was {@link #killed(String) killed} (voted dead) again: it is active
     * again with a new epoch, and what it activates from now on is alive as on any silo.
     */
    void revived(String siloId) {
        this.killed.remove(siloId);
    }

    /** Activations that started while another one of the same actor was alive, or on a killed silo. */
    List<String> duplicates() {
        return this.duplicates;
    }

    /** How many times an actor ({@code Type/id}) was activated, on any silo. */
    int activations(String key) {
        AtomicInteger count = this.activations.get(key);
        return (count != null) ? count.get() : 0;
    }

    private record Pause(long epoch, LongSupplier currentEpoch) {
    }
}
