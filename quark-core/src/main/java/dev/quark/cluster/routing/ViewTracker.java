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
import org.jspecify.annotations.Nullable;

/**
 * The view this silo routes with, and the views it replaced recently: who owned an actor a moment ago, so
 * that its new owner knows whom to ask before activating it. Views come from one source (the silo's membership agent,
 * or a client's), which reads the table one read at a time and tells each read that shows another table than the
 * one before, in order: so every view installed is the table as it is now, and one that shows another table than the
 * current view replaces it whatever its version. A view of another incarnation is a table that lost its data and grew
 * again, its versions starting low; a lower version of the same incarnation, or other entries at the same version,
 * a table that lost its latest writes (a replica that missed them took over). Listeners are told of each new view in
 * order, on the installing thread.
 * <p>
 * What other silos send is compared by version within an incarnation ({@link #isBehind}). When this silo's view went
 * back, the versions up to the highest it had are the lost writes' as much as the table's written again: a silo that
 * sends one of them is not taken to be ahead (not waited for, no read asked), until the table's version passes them.
 */
final class ViewTracker {

    private static final long NEVER = Long.MIN_VALUE;

    /** How many replaced views are kept at most, however recent. */
    private static final int MAX_PAST_VIEWS = 16;

    /** How many incarnations of the table replaced by another are remembered. */
    private static final int MAX_LOST_INCARNATIONS = 8;

    private final String self;

    private final Clock clock;

    private final Duration window;

    private final List<Consumer<ClusterView>> listeners = new ArrayList<>();

    private final Object installLock = new Object();

    private volatile ClusterView current = ClusterView.EMPTY;

    /** How many views were installed; raised once a new view is current. Written with this held. */
    private volatile long installs;

    /** When the current view replaced another (the clock's millis); {@link #NEVER} before the first view. */
    private volatile long changedAtMillis = NEVER;

    /** Guarded by this: the replaced views, newest first, with when they were replaced. */
    private final Deque<PastView> past = new ArrayDeque<>();

    /** Guarded by this: who waits for a version. */
    private final List<VersionWaiter> waiters = new ArrayList<>();

    /**
     * Guarded by this: the incarnations of the table whose views a view of another incarnation replaced, newest
     * first, at most {@link #MAX_LOST_INCARNATIONS}: a silo that still sends with one of them has not read the table
     * that replaced it.
     */
    private final Deque<String> lostIncarnations = new ArrayDeque<>();

    /**
     * Guarded by this: the highest version of the current incarnation that a view which went back replaced (the
     * table lost the writes up to it), while the current view's version is below it; 0 otherwise.
     */
    private long lostUpTo;

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
     * Installs a view of the source this silo follows, unless it shows the same table as the current one, then
     * tells the listeners. A view of version 0 (no table read yet) is never installed; a view of another incarnation
     * of the table than the current one's, and a lower version of the same incarnation, replace the current view
     * whatever their version: every wait for a newer view of a lost table ends with the first, and every wait for a
     * version up to the one the view went back from with the second. The first view
     * installed is taken to replace one without this silo on its ring: everything this silo owns in it was owned by
     * another silo just before.
     */
    void install(ClusterView next) {
        install(next, false);
    }

    /**
     * Installs a view as {@link #install} does, but only while no view has been installed: the view a source had
     * when this silo started following it, which the source's own notifications may have overtaken.
     */
    void installFirst(ClusterView next) {
        install(next, true);
    }

    private void install(ClusterView next, boolean onlyFirst) {
        synchronized (this.installLock) {
            List<VersionWaiter> ready = new ArrayList<>();
            synchronized (this) {
                ClusterView previous = this.current;
                boolean otherTable = !next.incarnation().equals(previous.incarnation());
                if (next.version() == 0 || (onlyFirst && previous.version() != 0)
                        || next.membership().showsSameTable(previous.membership())) {
                    return;
                }
                long now = this.clock.millis();
                // Before the view is current: a registration that reads the new view (without this lock) must find
                // the window open, or it would skip asking the previous owners.
                this.changedAtMillis = now;
                boolean first = previous.version() == 0;
                boolean wentBack = !otherTable && !first && next.version() <= previous.version();
                this.past.addFirst(new PastView(first ? withoutSelf(next) : previous, now, first));
                prune(now);
                this.current = next;
                // After the view: a reader that sees the new count sees the new view too.
                this.installs++;
                this.lostUpTo = otherTable ? 0 : Math.max(this.lostUpTo, wentBack ? previous.version() : 0);
                if (next.version() >= this.lostUpTo) {
                    this.lostUpTo = 0;
                }
                this.lostIncarnations.remove(next.incarnation());
                if (otherTable && !previous.incarnation().isEmpty()) {
                    this.lostIncarnations.remove(previous.incarnation());
                    this.lostIncarnations.addFirst(previous.incarnation());
                    if (this.lostIncarnations.size() > MAX_LOST_INCARNATIONS) {
                        this.lostIncarnations.removeLast();
                    }
                }
                for (Iterator<VersionWaiter> it = this.waiters.iterator(); it.hasNext();) {
                    VersionWaiter waiter = it.next();
                    // After a view that went back, a wait for a version up to the one it went back from ends too:
                    // that version is of the lost writes as much as of the table written again.
                    SeenView awaited = waiter.seen();
                    if (awaited == null || !behind(awaited, next)) {
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
     * Returns a stage completed with the current view once it replaced a view this silo had: at once when the current
     * view shows another table ({@link #changedSince}), else with the next view installed — a higher version of the
     * table, a view of another incarnation, or one that went back (the table lost its latest writes).
     * @param seen a view this silo had, read earlier
     * @return the stage; it never fails by itself
     */
    synchronized CompletableFuture<ClusterView> awaitNewerThan(ClusterView seen) {
        if (changedSince(this.current, seen)) {
            return CompletableFuture.completedFuture(this.current);
        }
        return addWaiter(null);
    }

    /**
     * Tells whether a view of this silo's is newer than another it had before: a higher version of the same table,
     * or a view of another incarnation of the table.
     * @param view the later view
     * @param than the earlier one
     * @return whether the later one says more
     */
    static boolean isNewer(ClusterView view, ClusterView than) {
        return !view.incarnation().equals(than.incarnation()) || view.version() > than.version();
    }

    /**
     * Tells whether a view this silo installed after another one tells more than it: it shows another table, newer
     * or one that went back (the table lost its latest writes). Costs a reference comparison while they are the same.
     * @param later the view installed later (or the same)
     * @param earlier the earlier one
     * @return whether routing by the later view may go elsewhere
     */
    static boolean changedSince(ClusterView later, ClusterView earlier) {
        return !later.membership().showsSameTable(earlier.membership());
    }

    /**
     * Returns the current view with its stamp ({@link #installs()}), read together.
     * @return the view and its stamp
     */
    synchronized StampedView stamped() {
        return new StampedView(this.current, this.installs);
    }

    /**
     * Returns a number that changes with every view installed, for what keeps something worked out from a view and
     * must tell when the view changed: a version alone does not, since a view of another incarnation of the table
     * may have the same version as one seen before.
     * @return the count of views installed
     */
    long installs() {
        return this.installs;
    }

    /**
     * Tells whether another silo's view is newer than this silo's: a higher version of the same table, or a view of
     * an incarnation of the table this silo has not routed by (the table lost its data, and this silo has not read
     * the one that grew again). A view of an incarnation this silo's views left behind is older whatever its
     * version; a view whose incarnation either side does not know compares by version. Costs a volatile read and a
     * comparison of the incarnations while they match.
     * @param seen the other silo's view
     * @return whether this silo should read the table again, and may wait for that view
     */
    boolean isBehind(SeenView seen) {
        ClusterView view = this.current;
        if ((seen.incarnation().isEmpty() || seen.incarnation().equals(view.incarnation()))
                && seen.version() <= view.version()) {
            return false;
        }
        synchronized (this) {
            return behind(seen, this.current);
        }
    }

    /**
     * Tells whether a version of this silo's table may be one of the writes the table lost since this silo read
     * them: above the current view's, up to the highest version a view that went back replaced.
     * @param seen another silo's view
     * @return whether its version is one the table lost as much as one written again
     */
    synchronized boolean isLostVersion(SeenView seen) {
        ClusterView view = this.current;
        return seen.comparableWith(view) && seen.version() > view.version() && seen.version() <= this.lostUpTo;
    }

    /** Whether a view is newer than one of this silo's. Called with this held. */
    private boolean behind(SeenView seen, ClusterView view) {
        if (!seen.incarnation().isEmpty() && this.lostIncarnations.contains(seen.incarnation())) {
            return false;
        }
        if (seen.comparableWith(view)) {
            return seen.version() > view.version() && seen.version() > this.lostUpTo;
        }
        return true;
    }

    /**
     * Returns this silo's view of a version of its current table: the current one, or one it replaced within the
     * hand-off window since the table last went back.
     * @param version the version
     * @return the view, or {@code null} when this silo keeps none of that version
     */
    synchronized @Nullable ClusterView viewAt(long version) {
        ClusterView now = this.current;
        if (now.version() == version) {
            return now;
        }
        ClusterView newer = now;
        for (PastView view : this.past) {
            if (!view.view().incarnation().equals(now.incarnation()) || view.beforeFirst()
                    || isOfLostWrites(view, newer)) {
                return null;
            }
            if (view.view().version() == version) {
                return view.view();
            }
            newer = view.view();
        }
        return null;
    }

    /**
     * Returns a stage completed with the current view once this silo's view is no longer behind another's
     * ({@link #isBehind}): at once when it is not.
     * @param seen the other silo's view
     * @return the stage; it never fails by itself
     */
    synchronized CompletableFuture<ClusterView> awaitView(SeenView seen) {
        if (!behind(seen, this.current)) {
            return CompletableFuture.completedFuture(this.current);
        }
        return addWaiter(seen);
    }

    /**
     * Adds a waiter for a view another silo had, or ({@code null}) for the next view installed. Called with this
     * held.
     */
    private CompletableFuture<ClusterView> addWaiter(@Nullable SeenView seen) {
        VersionWaiter waiter = new VersionWaiter(seen, new CompletableFuture<>());
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
        ClusterView newer = this.current;
        for (PastView view : this.past) {
            // A view of writes the table lost is another table's: ownership in it does not continue into the
            // current one.
            if (isOfLostWrites(view, newer) || !ownedBySelf(address, placement, view.view(), byIncarnation)) {
                return since;
            }
            since = view.view().version();
            newer = view.view();
        }
        return 0;
    }

    /**
     * Tells whether a replaced view is of writes the table lost: the view installed after it is of the same
     * incarnation and no higher version (it went back). The stand-in for what came before the first view is not.
     */
    private static boolean isOfLostWrites(PastView view, ClusterView newer) {
        return !view.beforeFirst() && view.view().incarnation().equals(newer.incarnation())
                && view.view().version() >= newer.version();
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

    /**
     * A view with its stamp: how many views this silo had installed with it.
     * @param view the view
     * @param stamp its stamp
     */
    record StampedView(ClusterView view, long stamp) {
    }

    /** A wait for a view another silo had, or ({@code seen} null) for the next view installed. */
    private record VersionWaiter(@Nullable SeenView seen, CompletableFuture<ClusterView> reached) {
    }
}
