package dev.quark.runtime.routing;

import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;

/**
 * Things that wait with a deadline, in doubly linked lists threaded through the things themselves and kept
 * in deadline order, and one sweeper thread that hands those whose deadline passed to {@link #expire}: the
 * mechanism behind the call timeouts of a runtime ({@code dev.quark.runtime.internal.CallTimeouts}) and the deadlines of the requests a
 * silo sent to others.
 * <p>
 * The entries are kept in up to {@value #LANES} lanes, each a list in deadline order with its own head and
 * tail. One list would do while every entry gets the same timeout, but two populations in flight at once
 * (thousands of requests with a 30 s deadline, then new ones with 10 s) made every new entry walk back past
 * all the longer ones: thousands of steps per link (issue 12). Linking an entry, in order of preference:
 * <ol>
 * <li>appends it to the lane whose tail has the latest deadline not after its own, O(lanes): so each timeout
 * population keeps to a lane of its own, and one timeout costs what it did with one list;</li>
 * <li>but first, when the tail nearest after its deadline is nearer than that one, walks back at most
 * {@value #SHORT_WALK} entries from that tail to its place, which absorbs the jitter of deadlines that nearly
 * grow in arrival order (requests convert epoch-millisecond deadlines to {@link System#nanoTime()}, so
 * consecutive ones differ by up to a millisecond either way) without mixing it into another population;</li>
 * <li>with no tail before its deadline, starts a lane, if one is free (a lane is free again once it
 * emptied); or else puts it at the head of a lane whose head is later;</li>
 * <li>and else, rarely (more populations than lanes), walks the lane whose tail is nearest after its
 * deadline from whichever end the deadline is nearer to in time: correct, just slower.</li>
 * </ol>
 * The deadlines of the lanes' heads and tails are kept beside them, so that choosing a lane reads none of the
 * entries. Unlinking is O(1) for an entry inside a lane, and O(lanes) for a head or a tail, whose lane is found
 * among the lanes' ends; nothing in an entry names its lane. The sweeper expires the earliest of the lanes' heads
 * while it is due, so entries expire in deadline order (and each one after its deadline), then parks until the
 * earliest head, indefinitely while nothing waits. Linking wakes it only when the new entry is due before the
 * time it parked until, or it parks indefinitely. This is a sorted structure rather than a hashed timing wheel,
 * so that an entry expires at its deadline rather than at a tick, and the sweeper wakes only for a deadline.
 * Nothing is allocated per entry, where a {@code ScheduledThreadPoolExecutor} allocates a task and sifts a heap
 * of every pending entry twice under its lock.
 * <p>
 * Subclasses hold {@link #lock} while they call {@link #linkLocked} and {@link #unlinkLocked}, and give access
 * to the link fields of their entries; an entry's deadline must not change while it is linked.
 * @param <N> the entries
 */
public abstract class DeadlineSweep<N> implements AutoCloseable {

    /** How many lists the entries are kept in at most. */
    static final int LANES = 8;

    /** How many entries linking walks back past at most before it tries a free lane. */
    static final int SHORT_WALK = 8;

    /** Guards the lanes and the links of every entry in them. */
    protected final Object lock = new Object();

    private final Thread sweeper;

    private boolean started;

    /** The lanes' first entries, {@code null} for a free lane. */
    private final @Nullable Object[] heads = new Object[LANES];

    private final @Nullable Object[] tails = new Object[LANES];

    private final long[] headDeadlines = new long[LANES];

    private final long[] tailDeadlines = new long[LANES];

    /** Whether the sweeper parks until a link wakes it, nothing waiting. */
    private boolean sweeperIdle;

    /** Whether the sweeper parks until {@link #sweeperParkedUntil}. */
    private boolean sweeperTimed;

    private long sweeperParkedUntil;

    private volatile boolean closed;

    /**
     * Creates an empty sweep.
     * @param sweeperName the sweeper thread's name; the thread starts with the first linked entry
     */
    protected DeadlineSweep(String sweeperName) {
        this.sweeper = Thread.ofPlatform().name(sweeperName).daemon().unstarted(this::sweep);
    }

    /** Returns an entry's deadline, in {@link System#nanoTime()} terms. */
    protected abstract long deadlineNanos(N entry);

    protected abstract @Nullable N previous(N entry);

    protected abstract void previous(N entry, @Nullable N previous);

    protected abstract @Nullable N next(N entry);

    protected abstract void next(N entry, @Nullable N next);

    /** Marks an entry as out of the lanes; called under the lock by {@link #unlinkLocked}. */
    protected abstract void unlinked(N entry);

    /** Acts on an entry whose deadline passed, on the sweeper thread, without the lock; it is unlinked. */
    protected abstract void expire(N entry);

    /** Returns whether the sweep was closed. */
    protected final boolean isClosed() {
        return this.closed;
    }

    /**
     * Links an entry at its deadline's place; the caller holds {@link #lock}.
     * @return whether the sweeper must be woken (by {@link #wake()}, once the lock is released)
     */
    protected final boolean linkLocked(N entry) {
        long deadline = deadlineNanos(entry);
        int below = -1;
        int above = -1;
        for (int i = 0; i < LANES; i++) {
            if (this.tails[i] == null) {
                continue;
            }
            long tail = this.tailDeadlines[i];
            if (tail - deadline <= 0) {
                if (below < 0 || tail - this.tailDeadlines[below] > 0) {
                    below = i;
                }
            }
            else if (above < 0 || tail - this.tailDeadlines[above] < 0) {
                above = i;
            }
        }
        boolean placed = false;
        if (above >= 0 && (below < 0 || this.tailDeadlines[above] - deadline < deadline - this.tailDeadlines[below])) {
            placed = insertNearTail(above, entry, deadline);
        }
        if (!placed) {
            if (below >= 0) {
                insertBetween(below, entry, deadline, tail(below), null);
            }
            else if (!startLane(entry, deadline) && !prependToLaterHead(entry, deadline)) {
                insertByWalking(above, entry, deadline);
            }
        }
        boolean wake = this.sweeperIdle || (this.sweeperTimed && deadline - this.sweeperParkedUntil < 0);
        if (wake) {
            this.sweeperIdle = false;
            this.sweeperTimed = false;
        }
        if (!this.started) {
            this.started = true;
            this.sweeper.start();
        }
        return wake;
    }

    /** Walks back at most {@link #SHORT_WALK} entries from the tail of a lane, which is after the deadline. */
    private boolean insertNearTail(int lane, N entry, long deadline) {
        N before = tail(lane);
        for (int steps = 0; before != null && steps < SHORT_WALK; steps++) {
            N after = previous(before);
            if (after == null || deadlineNanos(after) - deadline <= 0) {
                insertBetween(lane, entry, deadline, after, before);
                return true;
            }
            before = after;
        }
        return false;
    }

    private boolean startLane(N entry, long deadline) {
        for (int i = 0; i < LANES; i++) {
            if (this.heads[i] == null) {
                previous(entry, null);
                next(entry, null);
                this.heads[i] = entry;
                this.tails[i] = entry;
                this.headDeadlines[i] = deadline;
                this.tailDeadlines[i] = deadline;
                return true;
            }
        }
        return false;
    }

    private boolean prependToLaterHead(N entry, long deadline) {
        for (int i = 0; i < LANES; i++) {
            if (this.heads[i] != null && this.headDeadlines[i] - deadline >= 0) {
                insertBetween(i, entry, deadline, null, head(i));
                return true;
            }
        }
        return false;
    }

    /** Every lane is in use, and each has its head before the deadline and its tail after it. */
    private void insertByWalking(int lane, N entry, long deadline) {
        if (deadline - this.headDeadlines[lane] < this.tailDeadlines[lane] - deadline) {
            N before = head(lane);
            while (before != null && deadlineNanos(before) - deadline <= 0) {
                before = next(before);
            }
            insertBetween(lane, entry, deadline, (before != null) ? previous(before) : tail(lane), before);
        }
        else {
            N after = tail(lane);
            while (after != null && deadlineNanos(after) - deadline > 0) {
                after = previous(after);
            }
            insertBetween(lane, entry, deadline, after, (after != null) ? next(after) : head(lane));
        }
    }

    private void insertBetween(int lane, N entry, long deadline, @Nullable N after, @Nullable N before) {
        previous(entry, after);
        next(entry, before);
        if (after == null) {
            this.heads[lane] = entry;
            this.headDeadlines[lane] = deadline;
        }
        else {
            next(after, entry);
        }
        if (before == null) {
            this.tails[lane] = entry;
            this.tailDeadlines[lane] = deadline;
        }
        else {
            previous(before, entry);
        }
    }

    /** Wakes the sweeper after {@link #linkLocked} said so. */
    protected final void wake() {
        LockSupport.unpark(this.sweeper);
    }

    /** Unlinks an entry that is linked; the caller holds {@link #lock}. */
    protected final void unlinkLocked(N entry) {
        N previous = previous(entry);
        N next = next(entry);
        if (previous == null || next == null) {
            int lane = laneOf(entry, previous == null);
            if (lane < 0) {
                throw new IllegalStateException("Not linked: " + entry);
            }
            if (previous == null) {
                this.heads[lane] = next;
                if (next != null) {
                    this.headDeadlines[lane] = deadlineNanos(next);
                }
            }
            if (next == null) {
                this.tails[lane] = previous;
                if (previous != null) {
                    this.tailDeadlines[lane] = deadlineNanos(previous);
                }
            }
        }
        if (previous != null) {
            next(previous, next);
        }
        if (next != null) {
            previous(next, previous);
        }
        previous(entry, null);
        next(entry, null);
        unlinked(entry);
    }

    private int laneOf(N entry, boolean head) {
        @Nullable Object[] ends = head ? this.heads : this.tails;
        for (int i = 0; i < LANES; i++) {
            if (ends[i] == entry) {
                return i;
            }
        }
        return -1;
    }

    /** Returns the lane whose head is the earliest, -1 when every lane is free. */
    private int earliestLane() {
        int lane = -1;
        for (int i = 0; i < LANES; i++) {
            if (this.heads[i] != null
                    && (lane < 0 || this.headDeadlines[i] - this.headDeadlines[lane] < 0)) {
                lane = i;
            }
        }
        return lane;
    }

    @SuppressWarnings("unchecked")
    private @Nullable N head(int lane) {
        return (N) this.heads[lane];
    }

    @SuppressWarnings("unchecked")
    private @Nullable N tail(int lane) {
        return (N) this.tails[lane];
    }

    private void sweep() {
        while (!this.closed) {
            N expired = null;
            N lastExpired = null;
            long parkNanos;
            synchronized (this.lock) {
                long now = System.nanoTime();
                int lane = earliestLane();
                N first = (lane >= 0) ? head(lane) : null;
                while (first != null && this.headDeadlines[lane] - now <= 0) {
                    unlinkLocked(first);
                    if (lastExpired == null) {
                        expired = first;
                    }
                    else {
                        next(lastExpired, first);
                    }
                    lastExpired = first;
                    lane = earliestLane();
                    first = (lane >= 0) ? head(lane) : null;
                }
                if (first == null) {
                    this.sweeperIdle = true;
                    this.sweeperTimed = false;
                    parkNanos = 0;
                }
                else {
                    this.sweeperIdle = false;
                    this.sweeperTimed = true;
                    this.sweeperParkedUntil = this.headDeadlines[lane];
                    parkNanos = this.headDeadlines[lane] - now;
                }
            }
            while (expired != null) {
                N following = next(expired);
                next(expired, null);
                expire(expired);
                expired = following;
            }
            if (parkNanos == 0) {
                LockSupport.park(this);
            }
            else {
                LockSupport.parkNanos(this, parkNanos);
            }
        }
    }

    /**
     * Returns how many entries are linked now.
     */
    protected final int linked() {
        synchronized (this.lock) {
            int count = 0;
            for (int i = 0; i < LANES; i++) {
                for (N entry = head(i); entry != null; entry = next(entry)) {
                    count++;
                }
            }
            return count;
        }
    }

    /**
     * Stops the sweeper; linked entries stay as they are.
     */
    @Override
    public void close() {
        this.closed = true;
        LockSupport.unpark(this.sweeper);
    }
}
