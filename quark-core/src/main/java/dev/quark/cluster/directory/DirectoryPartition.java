package dev.quark.cluster.directory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.runtime.ActorAddress;

import org.jspecify.annotations.Nullable;

/**
 * One silo's share of the directory: the entries of the addresses it owns on the ring. Registration is
 * register-if-absent, so that the first activation of an actor wins and every later one learns where it
 * lives; an entry whose silo is dead or restarted counts as absent. Thread-safe: each address is updated
 * atomically.
 */
public final class DirectoryPartition {

    private final ConcurrentHashMap<ActorAddress, DirectoryEntry> entries = new ConcurrentHashMap<>();

    /**
     * Registers an activation unless another live one is registered for the address.
     * @param address the actor
     * @param candidate the activation that wants to be the one
     * @param view the view that says which silos are alive
     * @return the registered entry: the candidate when it won, otherwise the activation that did
     */
    public DirectoryEntry register(ActorAddress address, DirectoryEntry candidate, ClusterView view) {
        Objects.requireNonNull(address, "address must not be null");
        Objects.requireNonNull(candidate, "candidate must not be null");
        return this.entries.compute(address, (key, existing) -> {
            if (existing == null || !existing.isAliveIn(view) || existing.sameSilo(candidate)) {
                return candidate;
            }
            return existing;
        });
    }

    /**
     * Registers an activation unless another live one is registered for the address, and tells whether it is a
     * first registration: no live entry was there before (not even one of the candidate's silo).
     * @param address the actor
     * @param candidate the activation that wants to be the one
     * @param view the view that says which silos are alive
     * @return the registered entry, and whether the candidate took the place of no live entry
     */
    public Registration registerTelling(ActorAddress address, DirectoryEntry candidate, ClusterView view) {
        Objects.requireNonNull(address, "address must not be null");
        Objects.requireNonNull(candidate, "candidate must not be null");
        boolean[] first = new boolean[1];
        DirectoryEntry registered = this.entries.compute(address, (key, existing) -> {
            if (existing == null || !existing.isAliveIn(view)) {
                first[0] = true;
                return candidate;
            }
            return existing.sameSilo(candidate) ? candidate : existing;
        });
        return new Registration(registered, first[0]);
    }

    /**
     * What a registration left in the partition.
     * @param entry the registered entry
     * @param first whether the candidate took the place of no live entry
     */
    public record Registration(@Nullable DirectoryEntry entry, boolean first) {
    }

    /**
     * Takes an entry handed over by the previous owner of the address's range, unless a live one is
     * registered already.
     * @param address the actor
     * @param entry the handed-over entry
     * @param view the view that says which silos are alive
     * @return the entry registered afterwards
     */
    public DirectoryEntry adopt(ActorAddress address, DirectoryEntry entry, ClusterView view) {
        return this.entries.compute(address, (key, existing) -> {
            if (existing == null || !existing.isAliveIn(view)) {
                return entry.isAliveIn(view) ? entry : existing;
            }
            return existing;
        });
    }

    /**
     * Takes an entry handed over by the previous owner of the address's range, unless a live one is registered
     * already, and tells whether it took the place of no live entry.
     * @param address the actor
     * @param entry the handed-over entry
     * @param view the view that says which silos are alive
     * @return the entry registered afterwards (its entry is {@code null} when none), and whether the handed-over
     * one took the place of no live entry
     */
    public Registration adoptTelling(ActorAddress address, DirectoryEntry entry, ClusterView view) {
        Objects.requireNonNull(address, "address must not be null");
        Objects.requireNonNull(entry, "entry must not be null");
        boolean[] first = new boolean[1];
        DirectoryEntry registered = this.entries.compute(address, (key, existing) -> {
            if (existing == null || !existing.isAliveIn(view)) {
                first[0] = entry.isAliveIn(view);
                return first[0] ? entry : existing;
            }
            return existing;
        });
        return new Registration(registered, first[0]);
    }

    /**
     * Returns where an actor's activation lives.
     * @param address the actor
     * @return its entry, {@code null} when none is registered
     */
    public @Nullable DirectoryEntry lookup(ActorAddress address) {
        return this.entries.get(address);
    }

    /**
     * Removes the entry of an activation that ended, if it is still the registered one.
     * @param address the actor
     * @param entry the activation that ended
     * @return whether it was removed
     */
    public boolean unregister(ActorAddress address, DirectoryEntry entry) {
        return this.entries.remove(address, entry);
    }

    /**
     * Removes the entry of an address if it names a silo incarnation with a token no greater than a bound: the
     * silo's registrations up to that token, which it no longer hosts.
     * @param address the actor
     * @param bound the silo incarnation, with the greatest token to remove
     * @return whether it was removed
     */
    public boolean removeStale(ActorAddress address, DirectoryEntry bound) {
        boolean[] removed = new boolean[1];
        this.entries.computeIfPresent(address, (key, existing) -> {
            if (existing.sameSilo(bound) && existing.token() <= bound.token()) {
                removed[0] = true;
                return null;
            }
            return existing;
        });
        return removed[0];
    }

    /**
     * Removes the entries of silos that are dead, gone or restarted in a view.
     * @param view the view
     * @return how many were removed
     */
    public int removeDead(ClusterView view) {
        int removed = 0;
        for (Iterator<DirectoryEntry> it = this.entries.values().iterator(); it.hasNext();) {
            if (!it.next().isAliveIn(view)) {
                it.remove();
                removed++;
            }
        }
        return removed;
    }

    /**
     * Removes and returns the entries whose addresses pass a test: those of the ranges this silo no longer
     * owns, to hand over to their new owner.
     * @param which the test
     * @return the removed entries
     */
    public List<Map.Entry<ActorAddress, DirectoryEntry>> removeWhere(Predicate<ActorAddress> which) {
        List<Map.Entry<ActorAddress, DirectoryEntry>> removed = new ArrayList<>();
        for (Map.Entry<ActorAddress, DirectoryEntry> entry : this.entries.entrySet()) {
            if (which.test(entry.getKey()) && this.entries.remove(entry.getKey(), entry.getValue())) {
                removed.add(Map.entry(entry.getKey(), entry.getValue()));
            }
        }
        return removed;
    }

    /**
     * Returns how many entries the partition holds.
     * @return the count
     */
    public int size() {
        return this.entries.size();
    }
}
