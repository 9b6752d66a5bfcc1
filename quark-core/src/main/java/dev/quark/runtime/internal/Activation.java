package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.ActivationException;
import dev.quark.actor.Actor;
import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.ActorContext;
import dev.quark.actor.ActorRef;
import dev.quark.actor.ActorTimer;
import dev.quark.actor.DeactivationReason;
import dev.quark.actor.TimerOptions;
import dev.quark.runtime.ActivationHook;
import dev.quark.runtime.ActorInstance;
import dev.quark.runtime.CallOutcome;
import dev.quark.runtime.RuntimeScheduler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One activation of a virtual actor: its instance, its mailbox and the turns that run on it.
 * <p>
 * <b>Lifecycle.</b> {@code CREATED -> ACTIVE -> DEACTIVATING -> DEACTIVATED}; {@code ACTIVE -> RESTARTING ->
 * ACTIVE} when its supervisor restarts it; {@code CREATED/RESTARTING -> DEACTIVATED} when activation fails
 * and is not retried. Lifecycle changes requested while turns are in progress (deactivation, restart) wait
 * until none is.
 * <p>
 * <b>Turns.</b> At most one thread runs actor code at a time: it holds the activation (the <em>owner</em>).
 * A turn that waits for a call to another actor releases the activation while it waits (it is then
 * <em>suspended</em>) and takes it back afterwards, waiting if another turn holds it. While turns are in
 * progress, a message may start only if it belongs to a call chain one of them serves (so {@code A -> B ->
 * A} completes), if the actor is {@link dev.quark.actor.Reentrant}, or if it and every turn in progress are
 * {@link dev.quark.actor.ReadOnly}. Other messages wait in FIFO order until no turn is in progress.
 * <p>
 * <b>Threads.</b> The first message that finds the activation idle starts a thread, which runs messages one
 * after the other until none may start; a loaded actor keeps one thread and an idle one keeps none.
 * Messages let in while the owner is suspended run on a thread of their own.
 * <p>
 * <b>Hand-over.</b> Messages that arrive while it deactivates stay in its mailbox; once it is
 * {@code DEACTIVATED} they move, in order, to the activation that replaces it in the catalog. Callers that
 * find it {@code DEACTIVATED} look it up again; the catalog entry changes under this activation's lock, so
 * they always find the successor.
 */
final class Activation implements ActorHost {

    private static final Logger logger = LoggerFactory.getLogger(Activation.class);

    private static final byte CREATED = 0;

    private static final byte ACTIVE = 1;

    private static final byte RESTARTING = 2;

    private static final byte DEACTIVATING = 3;

    private static final byte DEACTIVATED = 4;

    private static final byte NO_REQUEST = 0;

    private static final byte DEACTIVATE = 1;

    private static final byte RESTART = 2;

    /** The owner while activating, restarting or deactivating. */
    private static final Object LIFECYCLE = new Object();

    static final int ACCEPTED = 0;

    static final int FULL = 1;

    static final int GONE = 2;

    final ActorIdentity identity;

    private final ActivationCatalog catalog;

    /** Written and read only by the thread that owns the activation; the lock orders hand-overs. */
    private @Nullable Object instance;

    private volatile long lastActiveMillis;

    // Guarded by this.

    private byte status;

    private @Nullable Object owner;

    private int inProgress;

    private int exclusiveInProgress;

    private @Nullable Invocation active;

    private byte request;

    private @Nullable DeactivationReason requestedReason;

    private long requestedDelayNanos;

    private RuntimeScheduler.@Nullable Cancellable restartTask;

    private int queued;

    private @Nullable Invocation head;

    private @Nullable Invocation tail;

    private @Nullable Invocation callbacksHead;

    private @Nullable Invocation callbacksTail;

    private @Nullable Invocation resumersHead;

    private @Nullable Invocation resumersTail;

    private @Nullable CompletableFuture<Void> room;

    private @Nullable CompletableFuture<Void> ended;

    private @Nullable List<TimerRegistration> timers;

    Activation(ActorIdentity identity, ActivationCatalog catalog) {
        this.identity = identity;
        this.catalog = catalog;
        this.lastActiveMillis = catalog.settings().clock().millis();
    }

    // ---------------------------------------------------------------- delivery

    /**
     * Puts a message in the mailbox, or starts its turn at once on a new thread when it may start now.
     * @param invocation the message
     * @param bypassCapacity whether the message may exceed the capacity (messages handed over from a
     * predecessor were already accepted once; timer ticks are at most one per timer)
     * @return {@link #ACCEPTED}, {@link #FULL} or {@link #GONE} when this activation has ended
     */
    int offer(Invocation invocation, boolean bypassCapacity) {
        invocation.arrivedNanos = System.nanoTime();
        synchronized (this) {
            if (this.status == DEACTIVATED) {
                return GONE;
            }
            boolean callback = isCallback(invocation);
            if (this.owner == null && this.resumersHead == null && mayStartNow(invocation, callback)) {
                invocation.deliveredTo = this;
                begin(invocation);
            }
            else if (callback) {
                invocation.deliveredTo = this;
                this.callbacksTail = append(this.callbacksTail, invocation);
                if (this.callbacksHead == null) {
                    this.callbacksHead = invocation;
                }
                this.queued++;
                return ACCEPTED;
            }
            else if (!bypassCapacity && this.queued >= this.catalog.settings().mailboxCapacity()) {
                return FULL;
            }
            else {
                invocation.deliveredTo = this;
                this.tail = append(this.tail, invocation);
                if (this.head == null) {
                    this.head = invocation;
                }
                this.queued++;
                return ACCEPTED;
            }
        }
        this.catalog.startDrain(this, invocation);
        return ACCEPTED;
    }

    private boolean mayStartNow(Invocation invocation, boolean callback) {
        if (this.status != CREATED && this.status != ACTIVE) {
            return false;
        }
        if (callback) {
            return true;
        }
        return this.request == NO_REQUEST && this.callbacksHead == null && this.head == null
                && admissible(invocation);
    }

    /**
     * Whether a message belongs to a call chain that a turn in progress serves: a call back into this actor
     * from a call it made, which must never wait behind other chains.
     */
    private boolean isCallback(Invocation invocation) {
        if (this.inProgress == 0) {
            return false;
        }
        long chain = invocation.callChainId();
        for (Invocation turn = this.active; turn != null; turn = turn.nextActive) {
            if (turn.callChainId() == chain) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a message from the head of the mailbox may start while the activation is free.
     */
    private boolean admissible(Invocation invocation) {
        return this.inProgress == 0 || this.identity.type().isReentrant()
                || (invocation.isReadOnly() && this.exclusiveInProgress == 0);
    }

    private static Invocation append(@Nullable Invocation last, Invocation invocation) {
        if (last != null) {
            last.next = invocation;
        }
        return invocation;
    }

    /**
     * Waits until the mailbox has room or the activation has ended.
     * @param nanos the longest time to wait
     * @return {@code false} if the time elapsed first
     */
    boolean awaitRoom(long nanos) throws InterruptedException {
        CompletableFuture<Void> signal;
        synchronized (this) {
            if (this.status == DEACTIVATED || this.queued < this.catalog.settings().mailboxCapacity()) {
                return true;
            }
            if (this.room == null) {
                this.room = new CompletableFuture<>();
            }
            signal = this.room;
        }
        try {
            signal.get(nanos, TimeUnit.NANOSECONDS);
            return true;
        }
        catch (TimeoutException ex) {
            return false;
        }
        catch (ExecutionException ex) {
            throw new IllegalStateException(ex);
        }
    }

    // ---------------------------------------------------------------- turns

    /** Makes a message's turn the owner and counts it in progress. Called under the lock. */
    private void begin(Invocation invocation) {
        this.owner = invocation;
        this.inProgress++;
        if (!invocation.isReadOnly()) {
            this.exclusiveInProgress++;
        }
        invocation.nextActive = this.active;
        this.active = invocation;
        invocation.servedBy = this;
    }

    /** Counts a turn out and frees the activation. Called under the lock by the turn's owner. */
    private void end(Invocation invocation) {
        this.owner = null;
        this.inProgress--;
        if (!invocation.isReadOnly()) {
            this.exclusiveInProgress--;
        }
        if (this.active == invocation) {
            this.active = invocation.nextActive;
        }
        else {
            for (Invocation turn = this.active; turn != null; turn = turn.nextActive) {
                if (turn.nextActive == invocation) {
                    turn.nextActive = invocation.nextActive;
                    break;
                }
            }
        }
        invocation.nextActive = null;
    }

    /**
     * Decides what runs next on a free activation and makes it the owner: a suspended turn whose call
     * returned, a call back of a chain in progress, a requested lifecycle change once no turn is in progress,
     * or the head of the mailbox if it may start. Called under the lock with no owner.
     * @return the invocation to run or resume, {@link #LIFECYCLE}, or {@code null} to stay free
     */
    @SuppressWarnings("FutureReturnValueIgnored") // the granted invocation is run and completed by drain()
    private @Nullable Object grantNext() {
        Invocation resumer = this.resumersHead;
        if (resumer != null) {
            this.resumersHead = resumer.next;
            if (this.resumersHead == null) {
                this.resumersTail = null;
            }
            resumer.next = null;
            this.owner = resumer;
            return resumer;
        }
        Invocation callback = this.callbacksHead;
        if (callback != null) {
            this.callbacksHead = callback.next;
            if (this.callbacksHead == null) {
                this.callbacksTail = null;
            }
            callback.next = null;
            this.queued--;
            signalRoom();
            begin(callback);
            return callback;
        }
        if (this.inProgress == 0 && this.request != NO_REQUEST) {
            this.owner = LIFECYCLE;
            return LIFECYCLE;
        }
        Invocation first = this.head;
        if (first != null && this.request == NO_REQUEST && (this.status == ACTIVE || this.status == CREATED)
                && admissible(first)) {
            this.head = first.next;
            if (this.head == null) {
                this.tail = null;
            }
            first.next = null;
            this.queued--;
            signalRoom();
            begin(first);
            return first;
        }
        return null;
    }

    /**
     * Runs what the activation was granted for, starting with the given message, until nothing more may
     * run. Called on a fresh thread that owns the activation.
     */
    void drain(Object first) {
        Object next = first;
        while (next != null) {
            if (next == LIFECYCLE) {
                next = runLifecycle();
            }
            else {
                Invocation invocation = (Invocation) next;
                if (invocation.resumeSignal != null) {
                    wake(invocation);
                    return;
                }
                Object target = this.instance;
                if (target == null) {
                    target = activate(invocation);
                    if (target == null) {
                        return;
                    }
                }
                runTurn(invocation, target);
                next = finishTurn(invocation);
            }
        }
    }

    /**
     * Runs a turn; its outcome stays on the invocation until {@link #finishTurn} completes it.
     */
    private void runTurn(Invocation invocation, Object target) {
        ActorMethod method = invocation.method();
        if (invocation.isDone() || invocation.expireIfLate(this.catalog.settings().clock().millis())) {
            this.catalog.incomingFilters().notRun(invocation, CallOutcome.EXPIRED, null);
            return;
        }
        Object result = null;
        Throwable failure = null;
        CurrentTurn.enter(invocation);
        try {
            SystemTask task = invocation.task();
            if (task != null) {
                task.run(target);
            }
            else if (method != null) {
                result = this.catalog.incomingFilters().invoke(this, target, invocation, method);
            }
        }
        catch (Throwable ex) {
            failure = ex;
        }
        finally {
            CurrentTurn.exit();
        }
        if (failure != null && (invocation.isOneWay() || invocation.task() != null)) {
            logger.warn("{} {}.{}() failed", (invocation.task() != null) ? "System turn" : "One-way call",
                    this.identity, invocation.name(), failure);
        }
        invocation.result = result;
        invocation.failure = failure;
    }

    /**
     * Invokes a contract method on the instance: the end of the incoming filter chain.
     */
    @Nullable Object invokeMethod(Object target, Invocation invocation, ActorMethod method) throws Throwable {
        Object result = method.invoke(target, invocation.arguments());
        return (method.returnKind() == ReturnKind.ASYNCHRONOUS) ? awaitStage(invocation, method, result) : result;
    }

    /**
     * An asynchronous method's turn lasts until the stage it returned completes, so that the next turn never
     * overlaps work the method started; the turn is suspended meanwhile, so calls back into the actor get in.
     * A stage that never completes ends the turn after the call timeout.
     */
    private @Nullable Object awaitStage(Invocation turn, ActorMethod method, @Nullable Object returned)
            throws Throwable {
        if (returned == null) {
            throw new NullPointerException(method + " returned null instead of a CompletionStage");
        }
        CompletableFuture<?> stage = ((CompletionStage<?>) returned).toCompletableFuture();
        if (stage.isDone()) {
            return join(stage);
        }
        boolean suspended = suspend(turn);
        try {
            return stage.get(this.catalog.settings().callTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (ExecutionException ex) {
            throw (ex.getCause() != null) ? ex.getCause() : ex;
        }
        catch (TimeoutException ex) {
            throw new ActorCallTimeoutException(this.identity.toString(), method.name(),
                    this.catalog.settings().callTimeout());
        }
        finally {
            if (suspended) {
                resume(turn);
            }
        }
    }

    private static @Nullable Object join(CompletableFuture<?> stage) throws Throwable {
        try {
            return stage.join();
        }
        catch (CompletionException ex) {
            throw (ex.getCause() != null) ? ex.getCause() : ex;
        }
    }

    /**
     * Ends a turn: records activity, lets supervision decide about a failure, frees the activation, takes
     * what runs next, and only then completes the call, so that its caller sees all of that done.
     * @return what this thread runs next, or {@code null} when it is done
     */
    private @Nullable Object finishTurn(Invocation invocation) {
        if (invocation.keepsActivationAlive()) {
            this.lastActiveMillis = this.catalog.settings().clock().millis();
        }
        Throwable failure = invocation.failure;
        Object result = invocation.result;
        invocation.failure = null;
        invocation.result = null;
        if (failure != null) {
            this.catalog.supervision().turnFailed(this, failure);
        }
        Object next;
        synchronized (this) {
            end(invocation);
            next = grantNext();
        }
        invocation.finish(result, failure, this.catalog.settings().turnExecutor());
        if (next instanceof Invocation granted && granted.resumeSignal != null) {
            wake(granted);
            return null;
        }
        return next;
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
            if (this.owner != turn) {
                return false;
            }
            this.owner = null;
            next = grantNext();
        }
        if (next instanceof Invocation granted && granted.resumeSignal != null) {
            wake(granted);
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
            if (this.owner == null && this.resumersHead == null) {
                this.owner = turn;
                return;
            }
            signal = new CompletableFuture<>();
            turn.resumeSignal = signal;
            this.resumersTail = append(this.resumersTail, turn);
            if (this.resumersHead == null) {
                this.resumersHead = turn;
            }
        }
        signal.join();
    }

    private void wake(Invocation resumer) {
        CompletableFuture<Void> signal = resumer.resumeSignal;
        resumer.resumeSignal = null;
        if (signal != null) {
            signal.complete(null);
        }
    }

    // ---------------------------------------------------------------- activation

    /**
     * Creates and prepares a new instance: activation hooks, then {@code onActivate()}. The trigger, when
     * there is one, provides the context.
     * @return the instance, ready; {@code null} when activation failed and the failure has been handled
     */
    private @Nullable Object activate(@Nullable Invocation trigger) {
        ActorType type = this.identity.type();
        Object created = null;
        int hooksRun = 0;
        if (trigger != null) {
            CurrentTurn.enter(trigger);
        }
        try {
            created = type.newInstance();
            if (created instanceof AbstractActor actor) {
                ActorAccess.hooks().attach(actor, this);
            }
            this.instance = created;
            ActorInstance view = new ActorInstance(type, this.identity.id(), created);
            for (ActivationHook hook : this.catalog.settings().activationHooks()) {
                hook.beforeActivate(view);
                hooksRun++;
            }
            if (created instanceof AbstractActor actor) {
                ActorAccess.hooks().activate(actor);
            }
            synchronized (this) {
                this.status = ACTIVE;
            }
            type.activationCounter().increment();
            this.lastActiveMillis = this.catalog.settings().clock().millis();
            return created;
        }
        catch (Throwable ex) {
            if (created != null) {
                disposeTimers();
                this.catalog.supervision().deactivateChildren(this, DeactivationReason.FAILURE);
                runAfterDeactivate(created, hooksRun, DeactivationReason.FAILURE);
                destroyQuietly(created);
            }
            this.instance = null;
            activationFailed(trigger, ex);
            return null;
        }
        finally {
            if (trigger != null) {
                CurrentTurn.exit();
            }
        }
    }

    private void activationFailed(@Nullable Invocation trigger, Throwable cause) {
        ActivationException failure = new ActivationException(this.identity.toString(), cause);
        logger.warn("Activation of {} failed", this.identity, cause);
        Duration restartDelay = this.catalog.supervision().activationFailed(this, cause);
        if (restartDelay != null) {
            synchronized (this) {
                if (trigger != null) {
                    end(trigger);
                }
                this.status = RESTARTING;
                this.owner = LIFECYCLE;
            }
            scheduleReactivation(restartDelay);
            if (trigger != null) {
                fail(trigger, failure);
            }
            return;
        }
        Invocation waiting;
        Invocation callbacks;
        synchronized (this) {
            if (trigger != null) {
                end(trigger);
            }
            this.status = DEACTIVATED;
            this.owner = null;
            waiting = takeMailbox();
            callbacks = takeCallbacks();
            signalRoom();
            completeEnded();
            this.catalog.remove(this);
        }
        if (trigger != null) {
            fail(trigger, failure);
        }
        failAll(waiting, failure);
        failAll(callbacks, failure);
    }

    private void scheduleReactivation(Duration delay) {
        RuntimeScheduler.Cancellable task = this.catalog.scheduler()
            .schedule(this.catalog.settings().clock().instant().plus(delay), () -> {
                CompletableFuture<Void> done = new CompletableFuture<>();
                this.catalog.settings().turnExecutor().execute(() -> {
                    try {
                        reactivate();
                    }
                    finally {
                        done.complete(null);
                    }
                });
                return done;
            });
        synchronized (this) {
            if (this.status == RESTARTING) {
                this.restartTask = task;
                return;
            }
        }
        task.cancel();
    }

    /**
     * Activates a fresh instance after a restart's backoff and runs what waited meanwhile.
     */
    private void reactivate() {
        synchronized (this) {
            if (this.status != RESTARTING) {
                return;
            }
            this.restartTask = null;
        }
        if (activate(null) == null) {
            return;
        }
        Object next;
        synchronized (this) {
            this.owner = null;
            next = grantNext();
        }
        if (next != null) {
            drain(next);
        }
    }

    // ---------------------------------------------------------------- lifecycle requests

    /**
     * Starts an idle deactivation if the activation has been idle since before the cutoff.
     * @return whether the caller must now run {@link #deactivate(DeactivationReason)}
     */
    synchronized boolean beginIdleDeactivation(long cutoffMillis) {
        if (this.status != ACTIVE || this.owner != null || this.inProgress > 0 || this.head != null
                || this.request != NO_REQUEST || this.lastActiveMillis > cutoffMillis) {
            return false;
        }
        this.status = DEACTIVATING;
        this.owner = LIFECYCLE;
        return true;
    }

    /**
     * Asks the activation to end with a reason: at once when nothing is in progress, otherwise once no turn
     * is. A shutdown overrides any other request; a deactivation overrides a restart.
     * @return whether the caller must now run {@link #deactivate(DeactivationReason)}
     */
    synchronized boolean requestDeactivation(DeactivationReason reason) {
        if (this.status == DEACTIVATING || this.status == DEACTIVATED) {
            return false;
        }
        if (this.status == RESTARTING && this.restartTask != null && this.restartTask.cancel()) {
            this.restartTask = null;
            this.status = DEACTIVATING;
            return true;
        }
        if (this.request != DEACTIVATE || reason == DeactivationReason.SHUTDOWN) {
            this.request = DEACTIVATE;
            this.requestedReason = reason;
        }
        return claimForLifecycle();
    }

    /**
     * Asks the activation to restart with a fresh instance after a delay, once no turn is in progress;
     * ignored when it is not active or a deactivation was asked for.
     * @return whether the caller must now run the restart, with {@link #drain(Object)} of
     * {@link #lifecycleToken()}
     */
    synchronized boolean requestRestart(Duration delay) {
        if (this.status != ACTIVE || this.request != NO_REQUEST) {
            return false;
        }
        this.request = RESTART;
        this.requestedDelayNanos = delay.toNanos();
        return claimForLifecycle();
    }

    private boolean claimForLifecycle() {
        if (this.owner == null && this.inProgress == 0 && this.status != RESTARTING) {
            this.owner = LIFECYCLE;
            if (this.request == DEACTIVATE) {
                this.status = DEACTIVATING;
            }
            return true;
        }
        return false;
    }

    static Object lifecycleToken() {
        return LIFECYCLE;
    }

    /**
     * Carries out the requested lifecycle change; the activation is owned for it and no turn is in progress.
     * @return what to run next, or {@code null}
     */
    private @Nullable Object runLifecycle() {
        byte kind;
        DeactivationReason reason;
        long delay;
        synchronized (this) {
            kind = this.request;
            reason = this.requestedReason;
            delay = this.requestedDelayNanos;
            this.request = NO_REQUEST;
            this.requestedReason = null;
            if (kind == DEACTIVATE) {
                this.status = DEACTIVATING;
            }
            else if (kind == NO_REQUEST && this.status != DEACTIVATING) {
                this.owner = null;
                return grantNext();
            }
        }
        if (kind == RESTART) {
            return restart(Duration.ofNanos(delay));
        }
        deactivate((reason != null) ? reason : DeactivationReason.EXPLICIT);
        return null;
    }

    private @Nullable Object restart(Duration delay) {
        Object current = this.instance;
        logger.debug("Restarting {} after {}", this.identity, delay);
        if (current != null) {
            dropInstance(current, DeactivationReason.FAILURE);
        }
        synchronized (this) {
            this.status = RESTARTING;
        }
        if (!delay.isZero()) {
            scheduleReactivation(delay);
            return null;
        }
        synchronized (this) {
            this.restartTask = null;
        }
        if (activate(null) == null) {
            return null;
        }
        synchronized (this) {
            this.owner = null;
            return grantNext();
        }
    }

    /**
     * Ends the activation: children first, then {@code onDeactivate}, the activation hooks, the instance;
     * hands the messages that arrived meanwhile to the catalog. Runs on the thread that owns the activation.
     */
    void deactivate(DeactivationReason reason) {
        Object current = this.instance;
        if (current != null) {
            dropInstance(current, reason);
        }
        else {
            disposeTimers();
        }
        logger.debug("Deactivated {} ({})", this.identity, reason);
        synchronized (this) {
            this.status = DEACTIVATED;
            this.owner = null;
            int count = this.queued;
            Invocation waiting = takeCallbacks();
            Invocation mailbox = takeMailbox();
            if (waiting == null) {
                waiting = mailbox;
            }
            else {
                Invocation last = waiting;
                while (last.next != null) {
                    last = last.next;
                }
                last.next = mailbox;
            }
            signalRoom();
            completeEnded();
            this.catalog.replaceEnded(this, waiting, count);
        }
    }

    private void dropInstance(Object current, DeactivationReason reason) {
        disposeTimers();
        this.catalog.supervision().deactivateChildren(this, reason);
        if (current instanceof AbstractActor actor) {
            try {
                ActorAccess.hooks().deactivate(actor, reason);
            }
            catch (Throwable ex) {
                logger.warn("onDeactivate({}) of {} failed; the activation ends regardless", reason, this.identity,
                        ex);
            }
        }
        runAfterDeactivate(current, this.catalog.settings().activationHooks().size(), reason);
        destroyQuietly(current);
        this.instance = null;
        this.identity.type().activationCounter().decrement();
    }

    /**
     * Runs {@code afterDeactivate} of the first {@code count} hooks, last first.
     */
    private void runAfterDeactivate(Object current, int count, DeactivationReason reason) {
        List<ActivationHook> hooks = this.catalog.settings().activationHooks();
        ActorInstance view = new ActorInstance(this.identity.type(), this.identity.id(), current);
        for (int i = count - 1; i >= 0; i--) {
            try {
                hooks.get(i).afterDeactivate(view, reason);
            }
            catch (Throwable ex) {
                logger.warn("Activation hook {} failed after the deactivation of {}; the deactivation completes "
                        + "regardless", hooks.get(i), this.identity, ex);
            }
        }
    }

    private void destroyQuietly(Object created) {
        try {
            this.identity.type().destroyInstance(created);
        }
        catch (Throwable ex) {
            logger.warn("Disposing of the instance of {} failed", this.identity, ex);
        }
    }

    /**
     * Returns a stage that completes when the activation has ended.
     */
    synchronized CompletableFuture<Void> whenEnded() {
        if (this.ended == null) {
            this.ended = new CompletableFuture<>();
            if (this.status == DEACTIVATED) {
                this.ended.complete(null);
            }
        }
        return this.ended;
    }

    private void completeEnded() {
        if (this.ended != null) {
            this.ended.complete(null);
        }
    }

    /**
     * Takes over messages from a predecessor; the new activation is owned by the returned message, which
     * the caller must run with {@link #drain(Object)}.
     */
    Invocation adopt(Invocation first, int count) {
        synchronized (this) {
            this.head = first;
            Invocation last = first;
            while (last.next != null) {
                last = last.next;
            }
            this.tail = last;
            this.queued += count;
            Invocation next = this.head;
            this.head = next.next;
            if (this.head == null) {
                this.tail = null;
            }
            next.next = null;
            this.queued--;
            next.deliveredTo = this;
            for (Invocation waiting = this.head; waiting != null; waiting = waiting.next) {
                waiting.deliveredTo = this;
            }
            begin(next);
            return next;
        }
    }

    private @Nullable Invocation takeMailbox() {
        Invocation first = this.head;
        this.head = null;
        this.tail = null;
        this.queued -= length(first);
        return first;
    }

    private @Nullable Invocation takeCallbacks() {
        Invocation first = this.callbacksHead;
        this.callbacksHead = null;
        this.callbacksTail = null;
        this.queued -= length(first);
        return first;
    }

    private static int length(@Nullable Invocation first) {
        int count = 0;
        for (Invocation waiting = first; waiting != null; waiting = waiting.next) {
            count++;
        }
        return count;
    }

    /**
     * Wakes the callers waiting for room once a quarter of the mailbox is free (or it ended), not at the
     * first free slot: a caller woken for one slot would fill it and wait again, paying a park and an unpark
     * per message while the mailbox stays full.
     */
    private void signalRoom() {
        CompletableFuture<Void> waiting = this.room;
        if (waiting == null) {
            return;
        }
        int capacity = this.catalog.settings().mailboxCapacity();
        if (this.status == DEACTIVATED || this.queued <= capacity - Math.max(1, capacity / 4)) {
            this.room = null;
            waiting.complete(null);
        }
    }

    static @Nullable Invocation unlink(Invocation invocation) {
        Invocation next = invocation.next;
        invocation.next = null;
        return next;
    }

    private void failAll(@Nullable Invocation first, Throwable failure) {
        for (Invocation invocation = first; invocation != null; invocation = unlink(invocation)) {
            fail(invocation, failure);
        }
    }

    void fail(Invocation invocation, Throwable failure) {
        this.catalog.incomingFilters().notRun(invocation, CallOutcome.FAILURE, failure);
        if (invocation.isOneWay()) {
            logger.warn("One-way call {}.{}() failed", this.identity, invocation.name(), failure);
        }
        invocation.finish(null, failure, this.catalog.settings().turnExecutor());
    }

    // ---------------------------------------------------------------- timers

    @Override
    public ActorTimer registerTimer(String name, Duration dueTime, Duration period, TimerOptions options,
            Runnable callback) {
        TimerRegistration timer = new TimerRegistration(this, this.catalog, name, dueTime, period, options, callback);
        TimerRegistration replaced = null;
        synchronized (this) {
            if (this.status == DEACTIVATING || this.status == DEACTIVATED) {
                throw new IllegalStateException("Cannot register timer '" + name + "' on " + this.identity
                        + ": the activation is ending");
            }
            if (this.timers == null) {
                this.timers = new ArrayList<>(2);
            }
            for (TimerRegistration existing : this.timers) {
                if (existing.name().equals(name)) {
                    replaced = existing;
                }
            }
            if (replaced != null) {
                this.timers.remove(replaced);
            }
            this.timers.add(timer);
        }
        if (replaced != null) {
            replaced.cancel();
        }
        timer.start();
        return timer;
    }

    @Override
    public boolean cancelTimer(String name) {
        TimerRegistration found = null;
        synchronized (this) {
            if (this.timers != null) {
                for (TimerRegistration timer : this.timers) {
                    if (timer.name().equals(name)) {
                        found = timer;
                    }
                }
            }
        }
        return found != null && found.cancel();
    }

    synchronized void forget(TimerRegistration timer) {
        if (this.timers != null) {
            this.timers.remove(timer);
        }
    }

    private void disposeTimers() {
        List<TimerRegistration> disposed;
        synchronized (this) {
            disposed = this.timers;
            this.timers = null;
        }
        if (disposed != null) {
            disposed.forEach(TimerRegistration::dispose);
        }
    }

    // ---------------------------------------------------------------- supervision and views

    @Override
    public <T extends Actor> T spawnChild(Class<T> contract, String childId) {
        return this.catalog.supervision().spawn(this, contract, childId);
    }

    @Override
    public List<ActorRef> children() {
        return this.catalog.supervision().childrenOf(this);
    }

    /**
     * Returns the turns in progress: the running one and the suspended ones, for the deadlock detector.
     */
    synchronized List<Invocation> turnsInProgress() {
        List<Invocation> turns = new ArrayList<>(this.inProgress);
        for (Invocation turn = this.active; turn != null; turn = turn.nextActive) {
            turns.add(turn);
        }
        return turns;
    }

    /**
     * Returns whether a message still waits in this activation's mailbox.
     */
    synchronized boolean isWaiting(Invocation invocation) {
        return contains(this.head, invocation) || contains(this.callbacksHead, invocation);
    }

    private static boolean contains(@Nullable Invocation first, Invocation invocation) {
        for (Invocation waiting = first; waiting != null; waiting = waiting.next) {
            if (waiting == invocation) {
                return true;
            }
        }
        return false;
    }

    synchronized boolean isActive() {
        return this.status == ACTIVE || this.status == RESTARTING;
    }

    long lastActiveMillis() {
        return this.lastActiveMillis;
    }

    synchronized int queuedMessages() {
        return this.queued;
    }

    /**
     * Returns the number of waiting messages without taking the lock, for a gauge that adds up many
     * activations: it may be a moment old.
     */
    int queuedMessagesForGauge() {
        return this.queued;
    }

    /**
     * Returns the instance, for the supervision tree to read a parent's strategy from one of its turns.
     */
    @Nullable Object instanceForSupervision() {
        return this.instance;
    }

    @Override
    public String actorId() {
        return this.identity.id();
    }

    @Override
    public ActorContext currentContext() {
        Invocation current = CurrentTurn.get();
        if (current == null || !current.target().equals(this.identity)) {
            throw new IllegalStateException("The context of " + this.identity
                    + " is only available inside one of its turns");
        }
        return current;
    }

    @Override
    public void deactivateOnIdle() {
        synchronized (this) {
            if (this.request == NO_REQUEST || this.request == RESTART) {
                this.request = DEACTIVATE;
                this.requestedReason = DeactivationReason.EXPLICIT;
            }
        }
    }

    @Override
    public String toString() {
        return "Activation " + this.identity;
    }
}
