package dev.quark.cluster.membership;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.quark.cluster.ring.RingHash;
import org.jspecify.annotations.Nullable;

/**
 * Which peers a silo probes, and through whom it probes one indirectly. Every silo computes the same ring
 * order — the silos that take calls ({@link SiloStatus#ACTIVE} or {@link SiloStatus#SHUTTING_DOWN}) sorted by
 * the {@link RingHash} of their ids — and probes the next {@code probedPeers} silos after itself, wrapping
 * around; so every silo is probed by its {@code probedPeers} predecessors, and the hash keeps silos with
 * similar names (one rack, one host) from probing only each other.
 */
final class ProbeTargets {

    private static final Comparator<SiloEntry> RING_ORDER = Comparator
        .comparingLong((SiloEntry entry) -> RingHash.of(entry.siloId()))
        .thenComparing(SiloEntry::siloId);

    private ProbeTargets() {
    }

    /**
     * Returns the peers a silo probes.
     * @param snapshot the table
     * @param selfId the probing silo, which need not be in the table
     * @param count how many peers to probe
     * @return up to {@code count} peers, in ring order after the probing silo
     */
    static List<SiloEntry> of(MembershipSnapshot snapshot, String selfId, int count) {
        List<SiloEntry> ring = new ArrayList<>();
        for (SiloEntry entry : snapshot.silos().values()) {
            if (entry.siloId().equals(selfId) || takesCalls(entry)) {
                ring.add(entry);
            }
        }
        ring.sort(RING_ORDER);
        int self = -1;
        for (int i = 0; i < ring.size(); i++) {
            if (ring.get(i).siloId().equals(selfId)) {
                self = i;
            }
        }
        if (self < 0) {
            return List.of();
        }
        List<SiloEntry> targets = new ArrayList<>();
        for (int step = 1; step < ring.size() && targets.size() < count; step++) {
            targets.add(ring.get((self + step) % ring.size()));
        }
        return targets;
    }

    /**
     * Chooses the silo through which to probe a peer that missed direct probes: an active silo other than
     * the two, in ring order after the target, a different one on each attempt so that one broken
     * intermediary cannot get a live peer suspected twice.
     * @param snapshot the table
     * @param selfId the probing silo
     * @param target the peer
     * @param attempt counts the indirect probes of this peer so far, from 0
     * @return the intermediary, or {@code null} when no other silo is active (a cluster of two)
     */
    static @Nullable SiloEntry intermediary(MembershipSnapshot snapshot, String selfId, SiloEntry target,
            int attempt) {
        List<SiloEntry> candidates = new ArrayList<>();
        for (SiloEntry entry : snapshot.silos().values()) {
            if (entry.status() == SiloStatus.ACTIVE && !entry.siloId().equals(selfId)
                    && !entry.siloId().equals(target.siloId())) {
                candidates.add(entry);
            }
        }
        if (candidates.isEmpty()) {
            return null;
        }
        candidates.sort(RING_ORDER);
        int after = 0;
        while (after < candidates.size() && RING_ORDER.compare(candidates.get(after), target) < 0) {
            after++;
        }
        return candidates.get(Math.floorMod(after + attempt, candidates.size()));
    }

    private static boolean takesCalls(SiloEntry entry) {
        return entry.status() == SiloStatus.ACTIVE || entry.status() == SiloStatus.SHUTTING_DOWN;
    }
}
