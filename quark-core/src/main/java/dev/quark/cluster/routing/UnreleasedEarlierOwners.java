package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.runtime.ActorAddress;

/**
 * Remembers, per actor, the earlier owners that a previous owner's answer to a {@code HANDOFF} named as not released
 * (busy, above all: {@link EarlierOwnerHandoff#BUSY}): a previous owner that named one and then died can no longer
 * ask it, and the earlier owner need not be in this silo's own views, so the next attempt to activate or register
 * the actor asks it directly ({@link OwnershipHandoff}). A silo is forgotten once a {@code HANDOFF_ACK} covers it or it is
 * {@code DEAD}, and at the latest after the hand-off window, after which nobody is asked any more.
 */
final class UnreleasedEarlierOwners {

    private final Clock clock;

    private final Duration window;

    /** The silos named, per actor, each with when it was named last. */
    private final Map<ActorAddress, Map<String, Long>> named = new ConcurrentHashMap<>();

    UnreleasedEarlierOwners(Clock clock, Duration window) {
        this.clock = clock;
        this.window = window;
    }

    /** Remembers earlier owners an answer about an actor named as not released. */
    void named(ActorAddress address, Set<String> silos) {
        if (silos.isEmpty()) {
            return;
        }
        long now = this.clock.millis();
        forgetExpired(now);
        this.named.compute(address, (key, known) -> {
            Map<String, Long> all = (known != null) ? new LinkedHashMap<>(known) : new LinkedHashMap<>();
            silos.forEach((silo) -> all.put(silo, now));
            return all;
        });
    }

    /** Returns the earlier owners remembered for an actor, the first named first. */
    Set<String> of(ActorAddress address) {
        Map<String, Long> known = this.named.get(address);
        if (known == null) {
            return Set.of();
        }
        long oldest = this.clock.millis() - this.window.toMillis();
        Set<String> silos = new LinkedHashSet<>();
        known.forEach((silo, namedAt) -> {
            if (namedAt >= oldest) {
                silos.add(silo);
            }
        });
        return silos;
    }

    /** Forgets earlier owners of an actor: a {@code HANDOFF_ACK} covered them, or they are dead. */
    void covered(ActorAddress address, Set<String> silos) {
        if (silos.isEmpty()) {
            return;
        }
        this.named.computeIfPresent(address, (key, known) -> {
            Map<String, Long> left = new LinkedHashMap<>(known);
            left.keySet().removeAll(silos);
            return left.isEmpty() ? null : left;
        });
    }

    private void forgetExpired(long now) {
        long oldest = now - this.window.toMillis();
        for (ActorAddress address : this.named.keySet()) {
            this.named.computeIfPresent(address, (key, known) -> {
                Map<String, Long> left = new LinkedHashMap<>(known);
                left.values().removeIf((namedAt) -> namedAt < oldest);
                return left.isEmpty() ? null : left;
            });
        }
    }
}
