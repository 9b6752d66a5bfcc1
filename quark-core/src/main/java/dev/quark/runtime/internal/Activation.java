package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.quark.actor.Actor;
import dev.quark.actor.ActorContext;
import dev.quark.actor.ActorHost;
import dev.quark.actor.ActorRef;
import dev.quark.actor.ActorReminders;
import dev.quark.actor.ActorTimer;
import dev.quark.actor.DeactivationReason;
import dev.quark.actor.TimerOptions;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.quark.runtime.internal.ActivationLifecycle.ACTIVATING;
import static dev.quark.runtime.internal.ActivationLifecycle.ACTIVE;
import static dev.quark.runtime.internal.ActivationLifecycle.CREATING;
import static dev.quark.runtime.internal.ActivationLifecycle.DEACTIVATED;
import static dev.quark.runtime.internal.ActivationLifecycle.DEACTIVATING;
import static dev.quark.runtime.internal.ActivationLifecycle.RESTARTING;

/**
 * One activation of a virtual actor: its instance, its state, and under its lock every decision about what
 * runs on it. The parts keep one concern each: {@link ActivationLifecycle} the states and their moves,
 * {@link TurnAdmission} who holds the activation and which message may start, {@link Mailbox} the waiting
 * messages, {@link LifecycleChange} a requested deactivation or restart, {@link ActivationTimers} the timers;
 * {@link TurnRunner} and {@link InstanceLifecycle} run the user code on the thread that owns it.
 * <p>
 * At most one thread runs actor code at a time: the owner. A turn that waits for a call to another actor
 * releases the activation while it waits and takes it back afterwards. The first message that finds the
 * activation idle starts a thread, which runs messages until none may start; a loaded actor keeps one
 * thread and an idle one none. Messages let in while the owner is suspended run on a thread of their own.
 * Lifecycle changes requested while turns are in progress wait until none is.
 * <p>
 * Messages that arrive while it deactivates stay in its mailbox; once it is {@code DEACTIVATED} they move,
 * in order, to the activation that replaces it in the catalog. Callers that find it {@code DEACTIVATED} look
 * it up again; the catalog entry changes under this activation's lock, so they always find the successor.
 * <p>
 * An idle activation is this object alone: the turn bookkeeping and mailbox, a lifecycle request and the
 * timers exist only while needed.
 */
final class Activation implements ActorHost {

    /** The log of activations and of the code that acts for them; {@code docs/operations.md} names it. */
    static final Logger logger = LoggerFactory.getLogger(Activation.class);

    final ActorIdentity identity;

    private final ActivationCatalog catalog;

    /** Written and read only by the thread that owns the activation; the lock orders hand-overs. */
    private @Nullable Object instance;

    private volatile long lastActiveMillis;

    // Guarded by this; the parts that act for the activation take the lock too.

    ActivationLifecycle state = CREATING;

    /**
     * {@code null} while idle; the turn in progress while it is the only thing on the activation (its owner,
     * nothing suspended, nothing waiting: the common case of a message to an idle actor, which then needs no
     * {@link TurnAdmission}); otherwise the {@link TurnAdmission}, made from that turn by {@link #turns()} as
     * soon as anything else happens.
     */
    private @Nullable Object turns;

    private @Nullable LifecycleChange change;

    @Nullable ActivationTimers timers;

    Activation(ActorIdentity identity, ActivationCatalog catalog) {
        this.identity = identity;
        this.catalog = catalog;
        this.lastActiveMillis = catalog.settings().clock().millis();
    }

    // ---------------------------------------------------------------- delivery and turns

    /**
     * Puts a message in the mailbox, or starts its turn at once on a new thread when it may start now.
     * @param invocation the message
     * @param bypassCapacity whether the message may exceed the capacity (messages handed over from a
     * predecessor were already accepted once; timer ticks are at most one per timer)
     */
    Delivery offer(Invocation invocation, boolean bypassCapacity) {
        return offer(invocation, bypassCapacity, false);
    }

    /**
     * Takes a call only if this activation is idle (see {@link #load()}) when its lock is taken, so that
     * callers racing for the idle workers of a stateless worker's pool do not queue behind each other.
     * @return whether it took the call
     */
    boolean offerIfIdle(Invocation invocation) {
        return offer(invocation, false, true) == Delivery.ACCEPTED;
    }

    private Delivery offer(Invocation invocation, boolean bypassCapacity, boolean onlyIfIdle) {
        invocation.arrivedNanos = System.nanoTime();
        boolean queuedWhileActivating = false;
        synchronized (this) {
            if (onlyIfIdle && load() != 0) {
                return Delivery.FULL;
            }
            if (this.state == DEACTIVATED) {
                return Delivery.GONE;
            }
            if (this.turns == null && this.state.runsTurns() && !isChangeRequested()) {
                this.turns = invocation;
            }
            else {
                TurnAdmission.Admission admission = turns().admit(invocation, bypassCapacity,
                        this.state.runsTurns(), isChangeRequested());
                if (admission == TurnAdmission.Admission.FULL) {
                    return Delivery.FULL;
                }
                if (admission == TurnAdmission.Admission.QUEUED) {
                    invocation.deliveredTo = this;
                    if (this.state != ACTIVATING) {
                        return Delivery.ACCEPTED;
                    }
                    queuedWhileActivating = true;
                }
            }
            if (!queuedWhileActivating) {
                invocation.deliveredTo = this;
                started(invocation);
            }
        }
        if (queuedWhileActivating) {
            // The activation gate may still be deciding on the activation: a call of another chain may be a call
            // back into a turn another silo runs for the actor, which must not wait here.
            this.catalog.queuedWhileAdmitting(this, invocation);
        }
        else {
            this.catalog.startDrain(this, invocation);
        }
        return Delivery.ACCEPTED;
    }

    /**
     * Waits until the mailbox has room or the activation has ended.
     * @param nanos the longest time to wait
     * @return {@code false} if the time elapsed first
     */
    boolean awaitRoom(long nanos) throws InterruptedException {
        CompletableFuture<Void> signal;
        synchronized (this) {
            Mailbox mailbox = existingMailbox();
            signal = (this.state != DEACTIVATED && mailbox != null) ? mailbox.roomSignal() : null;
        }
        return Mailbox.awaitRoom(signal, nanos);
    }

    /** Runs what the activation was granted for: the whole task of a turn-executor thread. */
    void drain(Object first) {
        TurnRunner.drain(this, first, true);
    }

    /**
     * Ends the owner's turn and grants the activation to what runs next.
     * @return what the calling thread runs next: a turn, {@link TurnAdmission#LIFECYCLE}, or {@code null}
     */
    synchronized @Nullable Object endTurn(Invocation turn) {
        if (this.turns == turn && !isChangeRequested()) {
            this.turns = null;
            return null;
        }
        turns().end(turn);
        return grantNext();
    }

    /**
     * Releases the activation while the current turn waits for a call it made, so that calls back into
     * this actor (and, where allowed, other messages) can run meanwhile.
     * @param turn the turn that waits; it must own the activation
     * @return whether the activation was released, to be taken back with {@link #resume(Invocation)}
     */
    boolean suspend(Invocation turn) {
        Object next;
        synchronized (this) {
            if (!turns().suspend(turn)) {
                return false;
            }
            next = grantNext();
        }
        if (next instanceof Invocation granted && granted.resumeSignal != null) {
            TurnRunner.wake(granted);
        }
        else if (next != null) {
            this.catalog.startDrain(this, next);
        }
        return true;
    }

    /**
     * Takes the activation back for a suspended turn, waiting while another turn holds it.
     */
    void resume(Invocation turn) {
        CompletableFuture<Void> signal;
        synchronized (this) {
            if (turns().resume(turn)) {
                return;
            }
            signal = new CompletableFuture<>();
            turn.resumeSignal = signal;
        }
        boolean announced = ReadyQueueScheduler.blockingBegins();
        try {
            signal.join();
        }
        finally {
            ReadyQueueScheduler.blockingEnds(announced);
        }
    }

    /**
     * Grants a free activation to what runs next, and drops the turn bookkeeping once nothing needs it.
     * Called under the lock.
     */
    @Nullable Object grantNext() {
        TurnAdmission admission = turns();
        Object next = admission.grantNext(this.state.runsTurns(), isChangeRequested());
        if (next instanceof Invocation turn) {
            started(turn);
        }
        else if (next == null && admission.isIdle()) {
            this.turns = null;
        }
        return next;
    }

    /** Records that a turn took the activation. Called under the lock. */
    private void started(Invocation turn) {
        if (this.state == CREATING) {
            this.state = this.state.moveTo(ACTIVATING);
        }
        turn.servedBy = this;
    }

    /**
     * Returns the turn bookkeeping, making it when the activation was idle or had one turn alone. Called under
     * the lock.
     */
    TurnAdmission turns() {
        Object current = this.turns;
        if (current instanceof TurnAdmission admission) {
            return admission;
        }
        TurnAdmission admission = new TurnAdmission(this.identity.type().isReentrant(),
                this.catalog.settings().mailboxCapacity());
        if (current instanceof Invocation alone) {
            admission.begin(alone);
        }
        this.turns = admission;
        return admission;
    }

    /**
     * Returns the distinct call chains of the calls waiting in the mailbox (not system turns), calls back first.
     * @param max how many at most
     */
    synchronized long[] waitingChains(int max) {
        Mailbox mailbox = existingMailbox();
        return (mailbox != null) ? mailbox.chains(max) : new long[0];
    }

    /**
     * Takes the calls of a call chain waiting in the mailbox out of it (see {@link Mailbox#takeChain}).
     * @return the calls taken, linked in order, or {@code null} when none waits
     */
    synchronized @Nullable Invocation takeWaitingOfChain(long chainId) {
        Mailbox mailbox = existingMailbox();
        return (mailbox != null && this.state != DEACTIVATED) ? mailbox.takeChain(chainId) : null;
    }

    /**
     * Whether a turn in progress on this activation serves a call chain (one running alone, or among those
     * suspended while they wait), so that a call of that chain is a call back into it. Only an active instance runs
     * turns: the trigger of an activation still being created (waiting for the activation gate, say) does not count.
     */
    synchronized boolean servesChain(long chain) {
        if (this.state != ACTIVE) {
            return false;
        }
        Object current = this.turns;
        if (current instanceof Invocation alone) {
            return alone.callChainId() == chain;
        }
        return current instanceof TurnAdmission admission && admission.servesChain(chain);
    }

    /** Whether the activation has its turn bookkeeping made, for tests: not while idle or one turn runs alone. */
    synchronized boolean hasTurnAdmission() {
        return this.turns instanceof TurnAdmission;
    }

    /** Whether no turn holds the activation, is in progress or waits. Called under the lock. */
    private boolean turnsIdle() {
        Object current = this.turns;
        return current == null || (current instanceof TurnAdmission admission && admission.isIdle());
    }

    /** Returns the mailbox if there is one; it may be read without the lock by a gauge. */
    private @Nullable Mailbox existingMailbox() {
        return (this.turns instanceof TurnAdmission admission) ? admission.existingMailbox() : null;
    }

    private boolean isChangeRequested() {
        return this.change != null && this.change.requested() != null;
    }

    LifecycleChange change() {
        if (this.change == null) {
            this.change = new LifecycleChange();
        }
        return this.change;
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Starts an idle deactivation if the activation has been idle since before the cutoff.
     * @return whether the caller must now run {@link #deactivate(DeactivationReason)}
     */
    synchronized boolean beginIdleDeactivation(long cutoffMillis) {
        if (this.state != ACTIVE || !turnsIdle() || isChangeRequested()
                || this.lastActiveMillis > cutoffMillis) {
            return false;
        }
        this.state = this.state.moveTo(DEACTIVATING);
        turns().ownForLifecycle();
        return true;
    }

    /**
     * Asks the activation to end with a reason: at once when nothing is in progress, otherwise once no turn
     * is. A shutdown overrides any other request; a deactivation overrides a restart.
     * @return whether the caller must now run {@link #deactivate(DeactivationReason)}
     */
    synchronized boolean requestDeactivation(DeactivationReason reason) {
        if (this.state.isEnding()) {
            return false;
        }
        if (this.state == RESTARTING && this.change != null && this.change.cancelRestart()) {
            this.state = this.state.moveTo(DEACTIVATING);
            return true;
        }
        change().requestDeactivation(reason);
        return claimForLifecycle();
    }

    /**
     * Asks the activation to restart with a fresh instance after a delay, once no turn is in progress;
     * ignored when it is not active or a deactivation was asked for.
     * @return whether the caller must now run the restart, with {@link #drain(Object)} of
     * {@link #lifecycleToken()}
     */
    synchronized boolean requestRestart(Duration delay) {
        return this.state == ACTIVE && change().requestRestart(delay, catalog().settings().clock().instant())
                && claimForLifecycle();
    }

    private boolean claimForLifecycle() {
        if (this.state == RESTARTING || !turns().claimForLifecycle()) {
            return false;
        }
        if (change().requested() == LifecycleChange.Kind.DEACTIVATE) {
            this.state = this.state.moveTo(DEACTIVATING);
        }
        return true;
    }

    static Object lifecycleToken() {
        return TurnAdmission.LIFECYCLE;
    }

    /**
     * Completes the stage of {@link #whenEnded()}. Called under the lock once it is {@code DEACTIVATED} and the
     * catalog has let go of it, so that whoever waited no longer finds it there.
     */
    void endedNow() {
        if (this.change != null) {
            this.change.ended();
        }
    }

    /**
     * Returns a stage that completes when the activation has ended.
     */
    synchronized CompletableFuture<Void> whenEnded() {
        return change().whenEnded(this.state == DEACTIVATED);
    }

    /**
     * Takes over messages from a predecessor; the new activation is owned by the returned message, which
     * the caller must run with {@link #drain(Object)}.
     */
    synchronized Invocation adopt(Invocation first, int count) {
        for (Invocation waiting = first; waiting != null; waiting = waiting.next) {
            waiting.deliveredTo = this;
        }
        TurnAdmission admission = turns();
        Mailbox mailbox = admission.mailbox();
        mailbox.adopt(first, count);
        mailbox.poll();
        admission.begin(first);
        started(first);
        return first;
    }

    /**
     * Ends the activation. Runs on the thread that owns it for the deactivation.
     */
    void deactivate(DeactivationReason reason) {
        InstanceLifecycle.deactivate(this, reason);
    }

    static @Nullable Invocation unlink(Invocation invocation) {
        return InvocationQueue.unlink(invocation);
    }

    void fail(Invocation invocation, Throwable failure) {
        TurnRunner.fail(this, invocation, failure);
    }

    // ---------------------------------------------------------------- timers

    @Override
    public ActorTimer registerTimer(String name, Duration dueTime, Duration period, TimerOptions options,
            Runnable callback) {
        return ActivationTimers.register(this,
                new TimerRegistration(this, this.catalog, name, dueTime, period, options, callback));
    }

    @Override
    public boolean cancelTimer(String name) {
        return ActivationTimers.cancel(this, name);
    }

    synchronized void forget(TimerRegistration timer) {
        if (this.timers != null) {
            this.timers.remove(timer);
        }
    }

    void disposeTimers() {
        ActivationTimers.disposeAll(this);
    }

    // ---------------------------------------------------------------- views and the actor's side

    ActivationCatalog catalog() {
        return this.catalog;
    }

    /** Returns the instance; read by the thread that owns the activation and by the supervision tree. */
    @Nullable Object instance() {
        return this.instance;
    }

    void install(@Nullable Object created) {
        this.instance = created;
    }

    /** Records activity now, which postpones idle collection. */
    void touch() {
        this.lastActiveMillis = this.catalog.settings().clock().millis();
    }

    long lastActiveMillis() {
        return this.lastActiveMillis;
    }

    /**
     * Returns the turns in progress: the running one and the suspended ones, for the deadlock detector.
     */
    synchronized List<Invocation> turnsInProgress() {
        Object current = this.turns;
        if (current instanceof Invocation alone) {
            return List.of(alone);
        }
        return (current instanceof TurnAdmission admission) ? admission.turnsInProgress() : List.of();
    }

    /**
     * Returns whether a message still waits in this activation's mailbox.
     */
    synchronized boolean isWaiting(Invocation invocation) {
        Mailbox mailbox = existingMailbox();
        return mailbox != null && mailbox.contains(invocation);
    }

    /**
     * Returns the first call (never a one-way message) of a call chain to a method that still waits in this
     * activation's mailbox, for the deadlock detector; {@code null} when none does.
     */
    synchronized @Nullable Invocation waitingOf(long chainId, String method) {
        Mailbox mailbox = existingMailbox();
        return (mailbox != null) ? mailbox.waitingOf(chainId, method) : null;
    }

    synchronized boolean isActive() {
        return this.state.isActive();
    }

    /**
     * Returns how busy the activation is, for choosing among a stateless worker's pool: -1 when it is ending
     * or ended, 0 when idle, otherwise its turns in progress and waiting messages, roughly.
     */
    synchronized int load() {
        if (this.state.isEnding() || this.state == DEACTIVATED) {
            return -1;
        }
        return turnsIdle() ? 0 : 1 + queuedMessagesForGauge();
    }

    synchronized int queuedMessages() {
        return queuedMessagesForGauge();
    }

    /**
     * Returns the number of waiting messages without taking the lock, for a gauge that adds up many
     * activations: it may be a moment old.
     */
    int queuedMessagesForGauge() {
        Mailbox mailbox = existingMailbox();
        return (mailbox != null) ? mailbox.size() : 0;
    }

    @Override
    public ActorReminders reminders() {
        return this.catalog.settings().reminders().remindersOf(this.identity.type(), this.identity.address());
    }

    @Override
    public <T extends Actor> T spawnChild(Class<T> contract, String childId) {
        return this.catalog.supervision().spawn(this, contract, childId);
    }

    @Override
    public List<ActorRef> children() {
        return this.catalog.supervision().childrenOf(this);
    }

    @Override
    public String actorId() {
        return this.identity.id();
    }

    @Override
    public ActorContext currentContext() {
        Invocation current = CurrentTurn.get();
        if (current == null || !current.target().sameActor(this.identity)) {
            throw new IllegalStateException("The context of " + this.identity
                    + " is only available inside one of its turns");
        }
        return current;
    }

    /**
     * Asks for the deactivation like {@link ActivationCatalog#deactivate}: from inside a turn it runs once no
     * turn is in progress; called while nothing runs (from a thread the actor started), it runs at once, so
     * the request never waits for a turn that will not come.
     */
    @Override
    public void deactivateOnIdle() {
        if (requestDeactivation(DeactivationReason.EXPLICIT)) {
            this.catalog.startDeactivation(this, DeactivationReason.EXPLICIT);
        }
    }

    @Override
    public String toString() {
        return "Activation " + this.identity;
    }
}
