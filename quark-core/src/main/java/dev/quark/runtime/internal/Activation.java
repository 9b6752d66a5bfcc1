package dev.quark.runtime.internal;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.ActivationException;
import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.ActorContext;
import dev.quark.actor.DeactivationReason;
import dev.quark.runtime.ActivationHook;
import dev.quark.runtime.ActorInstance;
import dev.quark.runtime.CallOutcome;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One activation of a virtual actor: its instance, its mailbox and the turns that run on it.
 * <p>
 * Lifecycle: {@code CREATED -> ACTIVE -> DEACTIVATING -> DEACTIVATED}, or {@code CREATED -> DEACTIVATED} when
 * activation fails. The activation is <em>busy</em> while one thread owns it: activating, running turns or
 * deactivating. The first message that finds it idle starts a thread that runs messages one at a time until
 * the mailbox is empty, so a loaded actor keeps one thread and an idle one keeps none. An idle activation
 * always has an empty mailbox.
 * <p>
 * Messages that arrive while it deactivates stay in its mailbox; once it is {@code DEACTIVATED} they move, in
 * order, to the activation that replaces it in the catalog. Callers that find it {@code DEACTIVATED} look it
 * up again. The catalog entry changes under this activation's lock, so they always find the successor.
 */
final class Activation implements ActorHost {

    private static final Logger logger = LoggerFactory.getLogger(Activation.class);

    private static final byte CREATED = 0;

    private static final byte ACTIVE = 1;

    private static final byte DEACTIVATING = 2;

    private static final byte DEACTIVATED = 3;

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

    private boolean busy;

    private @Nullable DeactivationReason pendingDeactivation;

    private int queued;

    private @Nullable Invocation head;

    private @Nullable Invocation tail;

    private @Nullable CompletableFuture<Void> room;

    Activation(ActorIdentity identity, ActivationCatalog catalog) {
        this.identity = identity;
        this.catalog = catalog;
        this.lastActiveMillis = catalog.settings().clock().millis();
    }

    /**
     * Puts a message in the mailbox, or runs it at once on a new thread when the activation is idle.
     * @param invocation the message
     * @param bypassCapacity whether the message may exceed the capacity (messages handed over from a
     * predecessor were already accepted once)
     * @return {@link #ACCEPTED}, {@link #FULL} or {@link #GONE} when this activation has ended
     */
    int offer(Invocation invocation, boolean bypassCapacity) {
        boolean start = false;
        invocation.arrivedNanos = System.nanoTime();
        synchronized (this) {
            if (this.status == DEACTIVATED) {
                return GONE;
            }
            if (!this.busy) {
                this.busy = true;
                start = true;
            }
            else if (!bypassCapacity && this.queued >= this.catalog.settings().mailboxCapacity()) {
                return FULL;
            }
            else {
                append(invocation);
            }
        }
        if (start) {
            this.catalog.startDrain(this, invocation);
        }
        return ACCEPTED;
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

    /**
     * Runs messages, starting with the given one, until the mailbox is empty. Called on a fresh thread by
     * the message that found the activation idle; that thread owns the activation until it returns.
     */
    void drain(Invocation first) {
        Invocation next = first;
        while (next != null) {
            if (this.instance == null && !activate(next)) {
                return;
            }
            runTurn(next);
            next = nextAfterTurn();
        }
    }

    private boolean activate(Invocation trigger) {
        ActorType type = this.identity.type();
        Object created = null;
        int hooksRun = 0;
        CurrentTurn.enter(trigger);
        try {
            created = type.newInstance();
            if (created instanceof AbstractActor actor) {
                ActorAccess.hooks().attach(actor, this);
            }
            ActorInstance view = new ActorInstance(type, this.identity.id(), created);
            for (ActivationHook hook : this.catalog.settings().activationHooks()) {
                hook.beforeActivate(view);
                hooksRun++;
            }
            if (created instanceof AbstractActor actor) {
                ActorAccess.hooks().activate(actor);
            }
            this.instance = created;
            synchronized (this) {
                this.status = ACTIVE;
            }
            type.activationCounter().increment();
            return true;
        }
        catch (Throwable ex) {
            if (created != null) {
                runAfterDeactivate(created, hooksRun, DeactivationReason.FAILURE);
            }
            failActivation(trigger, created, ex);
            return false;
        }
        finally {
            CurrentTurn.exit();
        }
    }

    private void failActivation(Invocation trigger, @Nullable Object created, Throwable cause) {
        ActivationException failure = new ActivationException(this.identity.toString(), cause);
        logger.warn("Activation of {} failed; the calls waiting for it fail with it", this.identity, cause);
        if (created != null) {
            destroyQuietly(created);
        }
        Invocation waiting;
        synchronized (this) {
            this.status = DEACTIVATED;
            this.busy = false;
            waiting = takeAll();
            signalRoom();
            this.catalog.remove(this);
        }
        fail(trigger, failure);
        for (Invocation invocation = waiting; invocation != null; invocation = unlink(invocation)) {
            fail(invocation, failure);
        }
    }

    private void runTurn(Invocation invocation) {
        ActorMethod method = invocation.method();
        if (invocation.isDone()) {
            method.metrics().record(CallOutcome.EXPIRED, System.nanoTime() - invocation.arrivedNanos);
            return;
        }
        Object result = null;
        Throwable failure = null;
        CurrentTurn.enter(invocation);
        try {
            result = method.invoke(this.instance, invocation.arguments());
            if (method.returnKind() == ReturnKind.ASYNCHRONOUS) {
                result = awaitStage(method, result);
            }
        }
        catch (Throwable ex) {
            failure = ex;
        }
        finally {
            CurrentTurn.exit();
        }
        method.metrics().record((failure != null) ? CallOutcome.FAILURE : CallOutcome.SUCCESS,
                System.nanoTime() - invocation.arrivedNanos);
        if (failure != null && method.returnKind() == ReturnKind.ONE_WAY) {
            logger.warn("One-way call {}.{}() failed", this.identity, method.name(), failure);
        }
        invocation.finish(result, failure, this.catalog.settings().turnExecutor());
    }

    /**
     * An asynchronous method's turn lasts until the stage it returned completes, so that the next turn never
     * overlaps work the method started; a stage that never completes ends the turn after the call timeout.
     */
    private @Nullable Object awaitStage(ActorMethod method, @Nullable Object returned) throws Throwable {
        if (returned == null) {
            throw new NullPointerException(method + " returned null instead of a CompletionStage");
        }
        CompletableFuture<?> stage = ((CompletionStage<?>) returned).toCompletableFuture();
        try {
            return stage.get(this.catalog.settings().callTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (ExecutionException | CompletionException ex) {
            throw (ex.getCause() != null) ? ex.getCause() : ex;
        }
        catch (TimeoutException ex) {
            throw new ActorCallTimeoutException(this.identity.toString(), method.name(),
                    this.catalog.settings().callTimeout());
        }
    }

    private @Nullable Invocation nextAfterTurn() {
        this.lastActiveMillis = this.catalog.settings().clock().millis();
        DeactivationReason reason;
        Invocation next;
        synchronized (this) {
            reason = this.pendingDeactivation;
            if (reason == null) {
                next = poll();
                if (next == null) {
                    this.busy = false;
                }
                return next;
            }
            this.status = DEACTIVATING;
        }
        deactivate(reason);
        return null;
    }

    /**
     * Starts an idle deactivation if the activation has been idle since before the cutoff.
     * @return whether the caller must now run {@link #deactivate(DeactivationReason)}
     */
    synchronized boolean beginIdleDeactivation(long cutoffMillis) {
        if (this.status != ACTIVE || this.busy || this.lastActiveMillis > cutoffMillis) {
            return false;
        }
        this.status = DEACTIVATING;
        this.busy = true;
        return true;
    }

    /**
     * Asks the activation to end: at once when it is idle, otherwise when its current turn ends.
     * @return whether the caller must now run {@link #deactivate(DeactivationReason)}
     */
    synchronized boolean requestDeactivation(DeactivationReason reason) {
        if (this.status == DEACTIVATING || this.status == DEACTIVATED) {
            return false;
        }
        if (this.busy) {
            if (this.pendingDeactivation != DeactivationReason.SHUTDOWN) {
                this.pendingDeactivation = reason;
            }
            return false;
        }
        this.status = DEACTIVATING;
        this.busy = true;
        return true;
    }

    /**
     * Ends the activation: runs {@code onDeactivate}, disposes of the instance and hands the messages that
     * arrived meanwhile to the catalog. Runs on the thread that owns the activation.
     */
    void deactivate(DeactivationReason reason) {
        Object current = this.instance;
        if (current != null) {
            if (current instanceof AbstractActor actor) {
                try {
                    ActorAccess.hooks().deactivate(actor, reason);
                }
                catch (Throwable ex) {
                    logger.warn("onDeactivate({}) of {} failed; the activation ends regardless", reason,
                            this.identity, ex);
                }
            }
            runAfterDeactivate(current, this.catalog.settings().activationHooks().size(), reason);
            destroyQuietly(current);
            this.instance = null;
            this.identity.type().activationCounter().decrement();
        }
        logger.debug("Deactivated {} ({})", this.identity, reason);
        synchronized (this) {
            this.status = DEACTIVATED;
            this.busy = false;
            int count = this.queued;
            Invocation waiting = takeAll();
            signalRoom();
            this.catalog.replaceEnded(this, waiting, count);
        }
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
     * Takes over messages from a predecessor; the new activation is busy and its caller must start draining
     * it with the returned message.
     */
    Invocation adopt(Invocation first, int count) {
        synchronized (this) {
            this.busy = true;
            this.head = first;
            Invocation last = first;
            while (last.next != null) {
                last = last.next;
            }
            this.tail = last;
            this.queued = count;
            return poll();
        }
    }

    private void append(Invocation invocation) {
        if (this.tail == null) {
            this.head = invocation;
        }
        else {
            this.tail.next = invocation;
        }
        this.tail = invocation;
        this.queued++;
        this.identity.type().queuedCounter().increment();
    }

    private @Nullable Invocation poll() {
        Invocation first = this.head;
        if (first == null) {
            return null;
        }
        this.head = first.next;
        if (this.head == null) {
            this.tail = null;
        }
        first.next = null;
        this.queued--;
        this.identity.type().queuedCounter().decrement();
        signalRoom();
        return first;
    }

    private @Nullable Invocation takeAll() {
        Invocation first = this.head;
        this.head = null;
        this.tail = null;
        this.identity.type().queuedCounter().add(-this.queued);
        this.queued = 0;
        return first;
    }

    private void signalRoom() {
        CompletableFuture<Void> waiting = this.room;
        if (waiting != null && (this.status == DEACTIVATED || this.queued < this.catalog.settings().mailboxCapacity())) {
            this.room = null;
            waiting.complete(null);
        }
    }

    static @Nullable Invocation unlink(Invocation invocation) {
        Invocation next = invocation.next;
        invocation.next = null;
        return next;
    }

    void fail(Invocation invocation, Throwable failure) {
        invocation.method().metrics().record(CallOutcome.FAILURE, System.nanoTime() - invocation.arrivedNanos);
        if (invocation.method().returnKind() == ReturnKind.ONE_WAY) {
            logger.warn("One-way call {}.{}() failed", this.identity, invocation.method().name(), failure);
        }
        invocation.finish(null, failure, this.catalog.settings().turnExecutor());
    }

    long lastActiveMillis() {
        return this.lastActiveMillis;
    }

    synchronized int queuedMessages() {
        return this.queued;
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
            if (this.pendingDeactivation == null) {
                this.pendingDeactivation = DeactivationReason.EXPLICIT;
            }
        }
    }

    @Override
    public String toString() {
        return "Activation " + this.identity;
    }
}
