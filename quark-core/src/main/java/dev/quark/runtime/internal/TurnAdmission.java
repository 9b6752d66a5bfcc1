package dev.quark.runtime.internal;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * Which message may run on an activation now. It knows who holds the activation (the <em>owner</em>: a
 * turn, or {@link #LIFECYCLE} while the lifecycle changes), the turns in progress (the running one and those
 * suspended in a call they made), the suspended turns waiting to take the activation back, and the
 * {@link Mailbox}. While turns are in progress a message may start only if
 * <ul>
 * <li>it is a call back from a call chain that one of them serves (so {@code A -> B -> A} completes);
 * <li>the actor is {@link dev.quark.actor.Reentrant};
 * <li>or it and every turn in progress are {@link dev.quark.actor.ReadOnly}.
 * </ul>
 * Other messages wait in FIFO order until no turn is in progress. When the activation is free, a suspended
 * turn whose call returned goes first, then calls back, then a requested lifecycle change once no turn is
 * in progress, then the head of the mailbox.
 * <p>
 * An activation creates this when its first message arrives and drops it once it is idle again, so an idle
 * activation carries none. Guarded by the activation's lock.
 */
final class TurnAdmission {

    /** The owner while the activation activates, restarts or deactivates. */
    static final Object LIFECYCLE = new Object();

    /** What became of an offered message. */
    enum Admission {

        /** It owns the activation now: its turn must be started. */
        STARTED,

        /** It waits in the mailbox. */
        QUEUED,

        /** The mailbox is full. */
        FULL
    }

    private final boolean reentrant;

    private final int capacity;

    private @Nullable Object owner;

    /** The turns in progress, newest first, linked through {@link Invocation#nextActive}. */
    private @Nullable Invocation active;

    private int inProgress;

    private int exclusiveInProgress;

    private @Nullable InvocationQueue resumers;

    private @Nullable Mailbox mailbox;

    /**
     * Creates the admission of one activation.
     * @param reentrant whether the actor is {@link dev.quark.actor.Reentrant}
     * @param capacity how many messages its mailbox holds
     */
    TurnAdmission(boolean reentrant, int capacity) {
        this.reentrant = reentrant;
        this.capacity = capacity;
    }

    /**
     * Starts a message's turn if it may start now, or queues it.
     * @param bypassCapacity whether the message may exceed the mailbox's capacity
     * @param runsTurns whether the activation's state lets messages start
     * @param changeRequested whether a lifecycle change waits, which holds back all but calls back
     */
    Admission admit(Invocation message, boolean bypassCapacity, boolean runsTurns, boolean changeRequested) {
        boolean callback = isCallback(message);
        if (this.owner == null && !hasResumers() && runsTurns
                && (callback || (!changeRequested && isMailboxEmpty() && admits(message)))) {
            begin(message);
            return Admission.STARTED;
        }
        if (callback) {
            mailbox().addCallback(message);
            return Admission.QUEUED;
        }
        if (!bypassCapacity && this.mailbox != null && this.mailbox.isFull()) {
            return Admission.FULL;
        }
        mailbox().add(message);
        return Admission.QUEUED;
    }

    /**
     * Decides what runs next on a free activation and makes it the owner.
     * @return a turn to resume or start, {@link #LIFECYCLE}, or {@code null} to stay free
     */
    @Nullable Object grantNext(boolean runsTurns, boolean changeRequested) {
        Invocation resumer = (this.resumers != null) ? this.resumers.poll() : null;
        if (resumer != null) {
            this.owner = resumer;
            return resumer;
        }
        Mailbox waiting = this.mailbox;
        Invocation callback = (waiting != null) ? waiting.pollCallback() : null;
        if (callback != null) {
            begin(callback);
            return callback;
        }
        if (this.inProgress == 0 && changeRequested) {
            this.owner = LIFECYCLE;
            return LIFECYCLE;
        }
        Invocation first = (waiting != null) ? waiting.peek() : null;
        if (waiting != null && first != null && !changeRequested && runsTurns && admits(first)) {
            waiting.poll();
            begin(first);
            return first;
        }
        if (waiting != null && waiting.isEmpty()) {
            this.mailbox = null;
        }
        return null;
    }

    /**
     * Starts a turn: it owns the activation and counts in progress.
     */
    void begin(Invocation turn) {
        this.owner = turn;
        this.inProgress++;
        if (!turn.isReadOnly()) {
            this.exclusiveInProgress++;
        }
        turn.nextActive = this.active;
        this.active = turn;
    }

    /**
     * Ends the owner's turn and frees the activation.
     */
    void end(Invocation turn) {
        this.owner = null;
        this.inProgress--;
        if (!turn.isReadOnly()) {
            this.exclusiveInProgress--;
        }
        if (this.active == turn) {
            this.active = turn.nextActive;
        }
        else {
            for (Invocation other = this.active; other != null; other = other.nextActive) {
                if (other.nextActive == turn) {
                    other.nextActive = turn.nextActive;
                    break;
                }
            }
        }
        turn.nextActive = null;
    }

    /**
     * Frees the activation while its owner's turn waits for a call it made.
     * @return {@code false} when the turn does not own the activation
     */
    boolean suspend(Invocation turn) {
        if (this.owner != turn) {
            return false;
        }
        this.owner = null;
        return true;
    }

    /**
     * Gives a suspended turn the activation back if it is free, or queues the turn to get it.
     * @return whether the turn owns the activation again
     */
    boolean resume(Invocation turn) {
        if (this.owner == null && !hasResumers()) {
            this.owner = turn;
            return true;
        }
        if (this.resumers == null) {
            this.resumers = new InvocationQueue();
        }
        this.resumers.add(turn);
        return false;
    }

    /**
     * Takes the activation for a lifecycle change if no turn holds it or is in progress.
     */
    boolean claimForLifecycle() {
        if (this.owner == null && this.inProgress == 0) {
            this.owner = LIFECYCLE;
            return true;
        }
        return false;
    }

    /**
     * Takes the activation for a lifecycle change without a check: the caller saw it idle, or took it over
     * from the turn whose activation failed.
     */
    void ownForLifecycle() {
        this.owner = LIFECYCLE;
    }

    /**
     * Frees the activation after a lifecycle change.
     */
    void release() {
        this.owner = null;
    }

    /**
     * Whether a message is a call back from a call chain that a turn in progress serves, which must never
     * wait behind other chains.
     */
    private boolean isCallback(Invocation message) {
        return servesChain(message.callChainId());
    }

    /**
     * Whether a turn in progress serves a call chain: a call of that chain is a call back into it.
     */
    boolean servesChain(long chain) {
        for (Invocation turn = this.active; turn != null; turn = turn.nextActive) {
            if (turn.callChainId() == chain) {
                return true;
            }
        }
        return false;
    }

    private boolean admits(Invocation message) {
        return this.inProgress == 0 || this.reentrant || (message.isReadOnly() && this.exclusiveInProgress == 0);
    }

    private boolean hasResumers() {
        return this.resumers != null && !this.resumers.isEmpty();
    }

    private boolean isMailboxEmpty() {
        return this.mailbox == null || this.mailbox.isEmpty();
    }

    Mailbox mailbox() {
        if (this.mailbox == null) {
            this.mailbox = new Mailbox(this.capacity);
        }
        return this.mailbox;
    }

    /**
     * Returns the mailbox if there is one; it may be read without the lock by a gauge.
     */
    @Nullable Mailbox existingMailbox() {
        return this.mailbox;
    }

    boolean hasTurnsInProgress() {
        return this.inProgress > 0;
    }

    /**
     * Whether nothing holds the activation, is in progress or waits, so the activation may drop this.
     */
    boolean isIdle() {
        return this.owner == null && this.inProgress == 0 && !hasResumers() && isMailboxEmpty();
    }

    List<Invocation> turnsInProgress() {
        List<Invocation> turns = new ArrayList<>(this.inProgress);
        for (Invocation turn = this.active; turn != null; turn = turn.nextActive) {
            turns.add(turn);
        }
        return turns;
    }
}
