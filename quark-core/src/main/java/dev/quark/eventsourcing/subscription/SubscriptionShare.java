package dev.quark.eventsourcing.subscription;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quark.lease.Lease;
import dev.quark.lease.LeaseKeeper;
import dev.quark.lease.LeaseStore;

/**
 * This node's share of a runner's subscriptions, so that nodes spread them rather than the first node up following
 * them all. Each node holds a member slot lease ({@value #MEMBER_RESOURCE}{@code <digest>:<n>}, one slot per
 * subscription; the digest is of the sorted subscription names, so that only nodes running the same subscriptions
 * count each other), counts the slots' distinct holders about every {@link #refreshEvery} and aims at
 * {@code ceil(subscriptions / members)}. A node below its share, or following none, may take a free subscription; a
 * node above it gives the extra ones back (those with the greatest lease resources), one per step, between two
 * batches, and the nodes below their share take them at their next poll. A node without a slot (more nodes than
 * subscriptions) aims at none but may still take one that is free. One subscription has nothing to spread: no slot is
 * taken.
 * <p>
 * <b>Nothing left unfollowed.</b> A node whose follower ended by an {@link Error} {@link #withdraw withdraws}: it
 * gives its slot up, so the others count one member less and take its share. And a subscription that stays free
 * longer than a lease duration (or the longest back-off) and a poll interval (counts that lag) is taken by the first
 * node that sees it, whatever its share ({@link #reserve}); such a rescued subscription is followed on top of the
 * share (neither counted in it nor given back as extra) until the members counted change (a node joins, leaves or
 * withdraws), when it counts again like any other.
 * <p>
 * Followers call in from their own threads: the count runs on one of them at a time, outside the lock (the others
 * go on with the last count), and the lock guards only what is in memory.
 */
final class SubscriptionShare {

    /** The prefix of the member slots' lease resources. */
    static final String MEMBER_RESOURCE = "eventstore:subscription-member:";

    private static final Logger logger = LoggerFactory.getLogger(SubscriptionShare.class);

    private final LeaseStore store;

    private final LeaseKeeper keeper;

    private final List<String> subscriptions;

    private final List<String> slots;

    private final Clock clock;

    private final Duration refreshEvery;

    /** How long a count may keep failing before the node takes whatever is free: a lease duration. */
    private final Duration countValidFor;

    private final AtomicBoolean counting = new AtomicBoolean();

    private volatile @Nullable Instant countStartedAt;

    private volatile @Nullable Instant countedAt;

    private volatile int members;

    private volatile int target;

    /** The subscriptions whose claim was accepted on this node, while it holds their leases; guarded by this. */
    private final Set<String> following = new HashSet<>();

    /** The subscriptions taken because they stayed free too long: never extra; guarded by this. */
    private final Set<String> rescued = new HashSet<>();

    /** Takes reserved and not settled yet, counted as followed; guarded by this. */
    private int reserved;

    /** Whether a follower of this node ended by an error: the node no longer counts itself a member. */
    private volatile boolean withdrawn;

    /**
     * Creates the share.
     * @param subscriptions the lease resources of the runner's subscriptions; fewer than two spread nothing
     * @param refreshEvery how often the members are counted again
     * @param leaseDuration the subscriptions' lease duration: how long a failing count keeps its last result
     */
    SubscriptionShare(LeaseStore store, LeaseKeeper keeper, List<String> subscriptions, Clock clock,
            Duration refreshEvery, Duration leaseDuration) {
        this.store = store;
        this.keeper = keeper;
        this.subscriptions = List.copyOf(subscriptions);
        this.slots = slots(this.subscriptions);
        this.clock = clock;
        this.refreshEvery = refreshEvery;
        this.countValidFor = leaseDuration;
        // Until the first count: following none, a node may take one at a time (reserve).
        this.target = 0;
        this.members = 1;
    }

    /**
     * The member slots of nodes that run these subscriptions: one per subscription, named after a digest of them.
     * @param subscriptions the lease resources of the subscriptions
     * @return the slots' lease resources
     */
    static List<String> slots(List<String> subscriptions) {
        String digest = digest(subscriptions);
        List<String> slots = new ArrayList<>(subscriptions.size());
        for (int i = 0; i < subscriptions.size(); i++) {
            slots.add(MEMBER_RESOURCE + digest + ":" + i);
        }
        return List.copyOf(slots);
    }

    /** Whether a lease resource is a member slot, which the runner's keeper holds beside the subscriptions. */
    static boolean isSlot(String resource) {
        return resource.startsWith(MEMBER_RESOURCE);
    }

    private boolean spreads() {
        return this.subscriptions.size() >= 2;
    }

    /**
     * Asks to take a free subscription: granted to a node below its share or following none, or for a subscription
     * that stayed free too long. A grant is counted as followed until {@link #settle settled}.
     * @param resource the subscription's lease resource
     * @param freeTooLong whether it stayed free longer than a lease duration and a poll interval
     * @return whether the follower may try to take it
     */
    boolean reserve(String resource, boolean freeTooLong) {
        if (!spreads()) {
            return true;
        }
        count();
        synchronized (this) {
            int followed = withinShare().size() + this.reserved;
            if (followed == 0 || followed < this.target || freeTooLong) {
                this.reserved++;
                if (freeTooLong) {
                    this.rescued.add(resource);
                }
                return true;
            }
            return false;
        }
    }

    /**
     * Ends a take {@link #reserve reserved}, whether or not the lease was acquired.
     * @param resource the subscription's lease resource
     */
    synchronized void settle(String resource) {
        if (spreads()) {
            this.reserved = Math.max(0, this.reserved - 1);
        }
    }

    /**
     * Counts a subscription as followed by this node: its claim of the checkpoint was accepted.
     * @param resource the subscription's lease resource
     */
    synchronized void following(String resource) {
        if (spreads()) {
            this.following.add(resource);
        }
    }

    /**
     * Stops counting a subscription as followed (its follower is about to take its lease again, or stands by), and
     * forgets that it was rescued.
     * @param resource the subscription's lease resource
     */
    synchronized void notFollowing(String resource) {
        this.following.remove(resource);
        this.rescued.remove(resource);
    }

    /**
     * Whether this node follows more subscriptions than its share and should give this one back: it is among the
     * extra ones, the greatest resources of those not rescued.
     * @param resource the subscription's lease resource, followed by this node
     */
    boolean isExtra(String resource) {
        if (!spreads()) {
            return false;
        }
        count();
        if (this.countedAt == null) {
            return false;
        }
        synchronized (this) {
            List<String> givable = withinShare();
            int extra = givable.size() - Math.max(this.target, 1);
            return extra > 0 && givable.subList(givable.size() - extra, givable.size()).contains(resource);
        }
    }

    /**
     * A follower of this node ended (its thread ended by an {@link Error}): the node gives its member slot up and
     * aims at none for the rest of its run (keeping at most one subscription), so that the other nodes count one
     * member less and take its share normally; it is {@code DOWN} until restarted anyway.
     */
    void withdraw() {
        this.withdrawn = true;
        this.target = 0;
        for (String slot : this.slots) {
            this.keeper.lease(slot).ifPresent(this.keeper::release);
        }
    }

    /** This node's share and the members counted, for the log. */
    String describe() {
        return this.target + " of " + this.subscriptions.size() + " subscriptions over " + this.members + " nodes";
    }

    /**
     * The subscriptions this node follows within its share: those it follows under a lease still valid, but the
     * rescued ones, which it follows on top; sorted by resource, called under the lock.
     */
    private List<String> withinShare() {
        Instant now = this.clock.instant();
        List<String> followed = new ArrayList<>();
        for (String resource : this.following) {
            Optional<Lease> lease = this.keeper.lease(resource);
            if (lease.isPresent() && lease.get().isValidAt(now) && !this.rescued.contains(resource)) {
                followed.add(resource);
            }
        }
        followed.sort(null);
        return followed;
    }

    /**
     * Counts the members about every {@link #refreshEvery}, on one follower's thread at a time and outside the lock:
     * holds a slot (takes a free one when it has none), then counts the slots' distinct holders. A count that fails
     * keeps the last one for a lease duration, then lets the node take whatever is free.
     */
    private void count() {
        Instant now = this.clock.instant();
        Instant started = this.countStartedAt;
        if ((started != null && now.isBefore(started.plus(this.refreshEvery))) || !this.counting.compareAndSet(false,
                true)) {
            return;
        }
        try {
            this.countStartedAt = now;
            boolean slotHeld = this.slots.stream()
                .map(this.keeper::lease)
                .anyMatch((lease) -> lease.isPresent() && lease.get().isValidAt(now));
            if (!slotHeld && !this.withdrawn) {
                slotHeld = !this.keeper.acquire(this.slots, 1).isEmpty();
            }
            Set<String> owners = new HashSet<>();
            for (String slot : this.slots) {
                this.store.holder(slot).ifPresent((holder) -> owners.add(holder.owner()));
            }
            if (slotHeld) {
                owners.add(this.keeper.owner());
            }
            int counted = Math.max(1, owners.size());
            if (counted != this.members) {
                synchronized (this) {
                    // The members changed (a node joined, left or came back): rescued subscriptions may be handed over
                    // again, so that a node restarted healthy gets its share back.
                    this.rescued.clear();
                }
            }
            this.members = counted;
            this.target = (slotHeld && !this.withdrawn) ? Math.ceilDiv(this.subscriptions.size(), this.members) : 0;
            this.countedAt = now;
        }
        catch (RuntimeException ex) {
            Instant counted = this.countedAt;
            if (counted == null || !now.isBefore(counted.plus(this.countValidFor))) {
                // No count for a lease duration: take what is free, as without spreading.
                this.target = this.subscriptions.size();
            }
            logger.debug("Event subscriptions could not count the nodes that share them", ex);
        }
        finally {
            this.counting.set(false);
        }
    }

    private static String digest(List<String> resources) {
        List<String> sorted = new ArrayList<>(resources);
        sorted.sort(null);
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                .digest(String.join("\n", sorted).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", ex);
        }
    }
}
