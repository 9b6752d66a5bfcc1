package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.PlacementDirector;
import dev.quark.cluster.ring.HashRing;
import dev.quark.runtime.ActorAddress;

/**
 * The view this silo routes with, and the views it replaced recently: who owned an actor a moment ago, so
 * that its new owner knows whom to ask before activating it. Views only move forward: one with a version no
 * newer than the current one is ignored. Listeners are told of each new view in order, on the installing
 * thread.
 */
final class ViewTracker {

    private static final long NEVER = Long.MIN_VALUE;

    /** How many replaced views are kept at most, however recent. */
    private static final int MAX_PAST_VIEWS = 16;

    private final String self;

    private final Clock clock;

    private final Duration window;

    private final List<Consumer<ClusterView>> listeners = new ArrayList<>();

    private final Object installLock = new Object();

    private volatile ClusterView current = ClusterView.EMPTY;

    /** When the current view replaced another (the clock's millis); {@link #NEVER} before the first view. */
    private volatile long changedAtMillis = NEVER;

    /** Guarded by this: the replaced views, newest first, with when they were replaced. */
    private final Deque<PastView> past = new ArrayDeque<>();

    /** Guarded by this: who waits for a version. */
    private final List<VersionWaiter> waiters = new ArrayList<>();

    ViewTracker(String self, Clock clock, Duration window) {
        this.self = self;
        this.clock = clock;
        this.window = window;
    }

    /** The hand-off window: how long a replaced view still counts. */
    Duration window() {
        return this.window;
    }

    void onNewView(Consumer<ClusterView> listener) {
        this.listeners.add(listener);
    }

    ClusterView current() {
        return this.current;
    }

    /**
     * Returns this silo's incarnation as its current view records it.
     * @return the epoch, 0 while the view has no entry for this silo
     */
    long ownEpoch() {
        SiloEntry entry = this.current.membership().silos().get(this.self);
        return (entry != null) ? entry.epoch() : 0;
    }

    /**
     * Installs a view if it is newer than the current one, then tells the listeners. A view of version 0 (no
     * table read yet) is never installed. The first view installed is taken to replace one without this silo
     * on its ring: everything this silo owns in it was owned by another silo just before.
     */
    void install(ClusterView next) {
        synchronized (this.installLock) {
            List<VersionWaiter> ready = new ArrayList<>();
            synchronized (this) {
                ClusterView previous = this.current;
                if (next.version() == 0 || next.version() <= previous.version()) {
                    return;
                }
                long now = this.clock.millis();
                // Before the view is current: a registration that reads the new view (without this lock) must find
                // the window open, or it would skip asking the previous owners.
                this.changedAtMillis = now;
                boolean first = previous.version() == 0;
                this.past.addFirst(new PastView(first ? withoutSelf(next) : previous, now, first));
                prune(now);
                this.current = next;
                for (Iterator<VersionWaiter> it = this.waiters.iterator(); it.hasNext();) {
                    VersionWaiter waiter = it.next();
                    if (waiter.version() <= next.version()) {
                        ready.add(waiter);
                        it.remove();
                    }
                }
            }
            for (Consumer<ClusterView> listener : this.listeners) {
                listener.accept(next);
            }
            ready.forEach((waiter) -> waiter.reached().complete(next));
        }
    }

    private ClusterView withoutSelf(ClusterView view) {
        List<String> others = new ArrayList<>(view.ring().silos());
        others.remove(this.self);
        int virtualNodes = Math.max(1, view.ring().virtualNodes());
        return new ClusterView(view.membership(), HashRing.of(others, virtualNodes));
    }

    private void prune(long now) {
        while (this.past.size() > MAX_PAST_VIEWS
                || (!this.past.isEmpty() && now - this.past.peekLast().replacedAtMillis() >= this.window.toMillis())) {
            this.past.removeLast();
        }
    }

    /**
     * Tells whether the current view replaced another within the hand-off window (this silo's first view
     * included), without a lock: outside it no actor has a recent owner, and what asks the previous owners can
     * skip them at the cost of one volatile read and a clock read.
     * @return whether the last view change was within the window
     */
    boolean changedWithinWindow() {
        long at = this.changedAtMillis;
        return at != NEVER && this.clock.millis() - at < this.window.toMillis();
    }

    /**
     * Returns a stage completed with the current view once its version is at least the given one.
     */
    synchronized CompletableFuture<ClusterView> awaitVersion(long version) {
        if (this.current.version() >= version) {
            return CompletableFuture.completedFuture(this.current);
        }
        VersionWaiter waiter = new VersionWaiter(version, new CompletableFuture<>());
        this.waiters.add(waiter);
        waiter.reached().whenComplete((view, failure) -> {
            if (failure != null) {
                forget(waiter);
            }
        });
        return waiter.reached();
    }

    private synchronized void forget(VersionWaiter waiter) {
        this.waiters.remove(waiter);
    }

    /**
     * Returns the silos that owned an actor in the views replaced within the hand-off window and are still
     * alive, in the same incarnation, in the current view: those that might still hold an activation of it.
     * @param address the actor
     * @param placement the placement the views are read with
     * @return their ids, most recent owner first; empty outside the window
     */
    Set<String> recentOwners(ActorAddress address, PlacementDirector placement) {
        List<PastView> recent;
        ClusterView now;
        synchronized (this) {
            prune(this.clock.millis());
            if (this.past.isEmpty()) {
                return Set.of();
            }
            recent = List.copyOf(this.past);
            now = this.current;
        }
        Set<String> owners = new LinkedHashSet<>();
        for (PastView view : recent) {
            String owner = placement.ownerOf(address, view.view());
            if (owner != null && !owner.equals(this.self) && isSameIncarnationAlive(owner, view.view(), now)) {
                owners.add(owner);
            }
        }
        return owners;
    }

    /**
     * Returns the version of the view in which this silo became the owner of an actor, when that view replaced
     * another within the hand-off window: the version since which this silo has owned it without a break.
     * @param address the actor
     * @param placement the placement the views are read with
     * @return the version, or 0 when this silo does not own the actor now, or has owned it in every view kept
     * (it became its owner before the window)
     */
    long gainedAt(ActorAddress address, PlacementDirector placement) {
        return gainedAt(address, placement, false);
    }

    /**
     * Returns the version of the view in which this silo became the owner of an actor (see above).
     * @param address the actor
     * @param placement the placement the views are read with
     * @param byIncarnation whether a view in which an earlier incarnation of this silo (same id, older epoch)
     * owned the actor counts as another owner's: only for types placed with their parent, whose claims need it;
     * the other types keep counting every view this silo's id owned the actor in as its own
     * @return the version, or 0 when this silo does not own the actor now, or has owned it in every view kept
     */
    synchronized long gainedAt(ActorAddress address, PlacementDirector placement, boolean byIncarnation) {
        prune(this.clock.millis());
        if (!this.self.equals(placement.ownerOf(address, this.current))) {
            return 0;
        }
        long since = this.current.version();
        for (PastView view : this.past) {
            if (!ownedBySelf(address, placement, view.view(), byIncarnation)) {
                return since;
            }
            since = view.view().version();
        }
        return 0;
    }

    /**
     * Tells whether this silo owns an actor now, owned it in an earlier view within the hand-off window and another
     * silo owned it in a view between: the ownership went away and came back. A silo that read neither of the views
     * between (membership moved on twice within one read) saw no move and registered nothing again, so its round's
     * report says nothing about the actor's entry.
     * @param address the actor
     * @param placement the placement the views are read with
     * @return whether this silo regained the actor within the window
     */
    synchronized boolean regainedWithinWindow(ActorAddress address, PlacementDirector placement) {
        prune(this.clock.millis());
        if (!this.self.equals(placement.ownerOf(address, this.current))) {
            return false;
        }
        boolean lost = false;
        for (PastView view : this.past) {
            if (!ownedBySelf(address, placement, view.view(), false)) {
                lost = true;
            }
            else if (lost) {
                return true;
            }
        }
        return false;
    }

    /**
     * Tells whether this silo owns an actor now and its first view replaced the one before within the hand-off
     * window. An earlier incarnation of this silo, with the same id, may have owned the actor before this one
     * started (a restart), and nothing in the views tells: its entries went with it, as with an owner that
     * died. Whether this silo owned the actor in its first views does not matter (its first views may not have
     * it on the ring yet, while it joins).
     * @param address the actor
     * @param placement the placement the views are read with
     * @return whether this silo owns the actor and started within the window
     */
    synchronized boolean ownedSinceStart(ActorAddress address, PlacementDirector placement) {
        prune(this.clock.millis());
        return this.self.equals(placement.ownerOf(address, this.current))
                && this.past.stream().anyMatch(PastView::beforeFirst);
    }

    /**
     * Tells whether this silo owned an actor in a view; {@code byIncarnation}, only in its current incarnation:
     * a view in which an earlier incarnation of it (declared dead, joined again with a new epoch) owned it does
     * not count.
     */
    private boolean ownedBySelf(ActorAddress address, PlacementDirector placement, ClusterView view,
            boolean byIncarnation) {
        if (!this.self.equals(placement.ownerOf(address, view))) {
            return false;
        }
        if (!byIncarnation) {
            return true;
        }
        SiloEntry then = view.membership().silos().get(this.self);
        SiloEntry now = this.current.membership().silos().get(this.self);
        return then == null || now == null || then.epoch() == now.epoch();
    }

    /**
     * Tells whether an owner of an actor in a view replaced within the hand-off window, other than this silo's
     * current incarnation, is dead, gone or restarted (another incarnation, this silo's earlier one included) in
     * the current view: an owner that took its entries with it. Owners that are alive in the same incarnation
     * still answer for their entries ({@code LOOKUP_HELD}), so a join loses nothing; what a first view may have
     * taken over from an earlier incarnation of this silo is told by {@link #ownedSinceStart}.
     * @param address the actor
     * @param placement the placement the views are read with
     * @return whether such an owner was lost; false outside the window
     */
    boolean ownerLost(ActorAddress address, PlacementDirector placement) {
        return ownerLost(address, placement, false);
    }

    /**
     * Tells whether an owner of an actor in a view replaced within the hand-off window was lost (see above).
     * @param address the actor
     * @param placement the placement the views are read with
     * @param byIncarnation whether an earlier incarnation of this silo counts as another owner (see
     * {@link #gainedAt(ActorAddress, PlacementDirector, boolean)})
     * @return whether such an owner was lost; false outside the window
     */
    synchronized boolean ownerLost(ActorAddress address, PlacementDirector placement, boolean byIncarnation) {
        prune(this.clock.millis());
        for (PastView view : this.past) {
            String owner = placement.ownerOf(address, view.view());
            if (owner != null && !ownedBySelf(address, placement, view.view(), byIncarnation)
                    && !isSameIncarnationAlive(owner, view.view(), this.current)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isSameIncarnationAlive(String siloId, ClusterView then, ClusterView now) {
        SiloEntry before = then.membership().silos().get(siloId);
        SiloEntry after = now.membership().silos().get(siloId);
        return after != null && after.status() != SiloStatus.DEAD
                && (before == null || before.epoch() == after.epoch());
    }

    /**
     * A replaced view.
     * @param view the view
     * @param replacedAtMillis when it was replaced
     * @param beforeFirst whether it stands for what came before this silo's first view (the first view's ring
     * without this silo): who owned what then is a guess
     */
    private record PastView(ClusterView view, long replacedAtMillis, boolean beforeFirst) {
    }

    private record VersionWaiter(long version, CompletableFuture<ClusterView> reached) {
    }
}
