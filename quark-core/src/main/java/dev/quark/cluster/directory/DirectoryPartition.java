package dev.quark.cluster.directory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;

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
     * Registers an activation of a hash-placed actor with its parent's silo, as {@link #register} does, unless
     * the silo of this partition, the actor's hash owner, already has an activation of it: decided under the
     * address's lock, so that the hash owner's {@link #placedElsewhere} check before it activates the actor and
     * this registration never both win.
     * @param address the actor
     * @param candidate the activation on the parent's silo that wants to be the one
     * @param view the view that says which silos are alive
     * @param hashActivation the entry naming this silo when it has an activation of the actor, otherwise
     * {@code null}; asked only when no live entry of another silo is registered
     * @return the registered entry: the candidate when it won, the live entry registered before, or the hash
     * owner's activation (not registered)
     */
    public DirectoryEntry registerUnlessActive(ActorAddress address, DirectoryEntry candidate, ClusterView view,
            Supplier<@Nullable DirectoryEntry> hashActivation) {
        Objects.requireNonNull(address, "address must not be null");
        Objects.requireNonNull(candidate, "candidate must not be null");
        @Nullable DirectoryEntry[] answer = new DirectoryEntry[1];
        this.entries.compute(address, (key, existing) -> {
            boolean live = existing != null && existing.isAliveIn(view);
            if (live && !existing.sameSilo(candidate)) {
                answer[0] = existing;
                return existing;
            }
            DirectoryEntry held = live ? null : hashActivation.get();
            if (held != null) {
                answer[0] = held;
                return null;
            }
            answer[0] = candidate;
            return candidate;
        });
        return Objects.requireNonNull(answer[0]);
    }

    /**
     * Returns the live entry of another silo than a hash owner's, which is about to activate a hash-placed actor:
     * a child living with its parent there. Reads under the address's lock, so that it and a concurrent
     * {@link #registerUnlessActive} are ordered: either this sees the child's entry, or that registration sees
     * the hash owner's activation.
     * @param address the actor
     * @param hashOwner the silo that owns the actor by hash and holds this partition
     * @param view the view that says which silos are alive
     * @return the silo the actor lives on, {@code null} when none but the hash owner
     */
    public @Nullable String placedElsewhere(ActorAddress address, String hashOwner, ClusterView view) {
        @Nullable String[] elsewhere = new String[1];
        this.entries.computeIfPresent(address, (key, existing) -> {
            if (existing.isAliveIn(view) && !existing.siloId().equals(hashOwner)) {
                elsewhere[0] = existing.siloId();
            }
            return existing;
        });
        return elsewhere[0];
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
