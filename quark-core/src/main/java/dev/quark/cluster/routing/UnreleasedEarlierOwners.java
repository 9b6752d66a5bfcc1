package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.runtime.ActorAddress;

import org.jspecify.annotations.Nullable;

/**
 * Remembers, per actor, the earlier owners that a previous owner's answer to a {@code HANDOFF} named as not released
 * (busy, above all: {@link EarlierOwnerHandoff#BUSY}): a previous owner that named one and then died can no longer
 * ask it, and the earlier owner need not be in this silo's own views, so the next attempt to activate or register
 * the actor asks it directly ({@link OwnershipHandoff}). A silo is forgotten once a {@code HANDOFF_ACK} covers it or
 * it is {@code DEAD}, and at the latest the hand-off window after it was named last, after which nobody is asked any
 * more: an actor's expired names when the actor is named or looked up again, every actor's at most once per window.
 */
final class UnreleasedEarlierOwners {

    private final Clock clock;

    private final Duration window;

    /** The silos named, per actor, each with when it was named last. */
    private final Map<ActorAddress, Map<String, Long>> named = new ConcurrentHashMap<>();

    /** When every actor's expired names were forgotten last. */
    private final AtomicLong sweptAt;

    UnreleasedEarlierOwners(Clock clock, Duration window) {
        this.clock = clock;
        this.window = window;
        this.sweptAt = new AtomicLong(clock.millis());
    }

    /** Remembers earlier owners an answer about an actor named as not released. */
    void named(ActorAddress address, Set<String> silos) {
        if (silos.isEmpty()) {
            return;
        }
        long now = this.clock.millis();
        this.named.compute(address, (key, known) -> {
            Map<String, Long> all = unexpired(known, now);
            silos.forEach((silo) -> all.put(silo, now));
            return all;
        });
        sweepIfDue(now);
    }

    /** Returns the earlier owners remembered for an actor, the first named first. */
    Set<String> of(ActorAddress address) {
        long now = this.clock.millis();
        Map<String, Long> known = this.named.computeIfPresent(address, (key, all) -> {
            Map<String, Long> left = unexpired(all, now);
            return left.isEmpty() ? null : left;
        });
        return (known != null) ? new LinkedHashSet<>(known.keySet()) : Set.of();
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

    /** How many actors have earlier owners remembered. */
    int actors() {
        return this.named.size();
    }

    private Map<String, Long> unexpired(@Nullable Map<String, Long> known, long now) {
        Map<String, Long> left = (known != null) ? new LinkedHashMap<>(known) : new LinkedHashMap<>();
        long oldest = now - this.window.toMillis();
        left.values().removeIf((namedAt) -> namedAt < oldest);
        return left;
    }

    /** Forgets every actor's expired names, at most once per window: naming one actor stays cheap. */
    private void sweepIfDue(long now) {
        long last = this.sweptAt.get();
        if (now - last < this.window.toMillis() || !this.sweptAt.compareAndSet(last, now)) {
            return;
        }
        for (ActorAddress address : this.named.keySet()) {
            this.named.computeIfPresent(address, (key, known) -> {
                Map<String, Long> left = unexpired(known, now);
                return left.isEmpty() ? null : left;
            });
        }
    }
}
