package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;

import dev.quark.actor.ActorException;
import dev.quark.actor.ActorRuntimeClosedException;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.actor.CallRejectedException;
import dev.quark.actor.MailboxFullException;
import dev.quark.actor.SharedContract;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.CallOutcome;
import dev.quark.runtime.routing.ActorLocation;
import dev.quark.runtime.routing.ActorLocator;
import dev.quark.runtime.routing.RemoteCallSender;
import org.jspecify.annotations.Nullable;

/**
 * Decides where an invocation goes and takes it there: to the mailbox of its activation in this silo's
 * catalog, or, when the {@link ActorLocator} places the actor on another silo, to the
 * {@link RemoteCallSender}. With one silo (the default locator) it asks nothing and delivers locally.
 */
public final class CallRouter {

    private final ActivationCatalog catalog;

    private final ActorLocator locator;

    private final RemoteCallSender sender;

    private final long mailboxFullTimeoutNanos;

    public CallRouter(ActivationCatalog catalog, ActorLocator locator, RemoteCallSender sender) {
        this.catalog = catalog;
        this.locator = locator;
        this.sender = sender;
        this.mailboxFullTimeoutNanos = catalog.settings().mailboxFullTimeout().toNanos();
    }

    /**
     * Returns how many messages may wait for one activation, as configured.
     */
    int mailboxCapacity() {
        return this.catalog.settings().mailboxCapacity();
    }

    /**
     * Sends a call made through a reference where its actor lives.
     * @throws ActorUnreachableException when the actor lives nowhere this runtime can reach
     * @throws MailboxFullException when its local mailbox stayed full
     * @throws CallRejectedException when the call is one-way and this silo's transport refused it at once
     */
    void route(Invocation invocation) {
        route(invocation, null, null);
    }

    /**
     * Sends a call made through a reference where its actor lives, waiting for room in a full local mailbox on
     * this thread or, when {@code waitElsewhere} is given, on a task of it: then this thread never waits for
     * room, and when the mailbox stayed full the invocation fails with the {@link MailboxFullException}.
     * @throws ActorUnreachableException when the actor lives nowhere this runtime can reach
     * @throws MailboxFullException when its local mailbox stayed full and {@code waitElsewhere} is {@code null}
     * @throws CallRejectedException when the call is one-way and this silo's transport refused it at once
     * @throws ActorRuntimeClosedException when this runtime of a silo is shut down
     */
    void route(Invocation invocation, @Nullable Executor waitElsewhere, @Nullable ActorReference reference) {
        if (this.locator != ActorLocator.SINGLE_SILO) {
            if (this.catalog.isClosed()) {
                // Before the locator, whose answers on a silo that left (no active silo, a stale location) would
                // say less: a call made through a shut-down silo is sent nowhere, as one to an actor here is not
                // delivered (ActivationCatalog.activationFor).
                throw new ActorRuntimeClosedException("The actor runtime is shut down; cannot call "
                        + invocation.address() + "." + invocation.name() + "()");
            }
            ActorLocation location = locate(invocation.address(), reference);
            String silo = location.siloId();
            if (silo != null) {
                sendRemote(silo, invocation);
                return;
            }
        }
        if (invocation.localTarget() == null) {
            ActorMethod method = invocation.method();
            Class<?> contract = (method != null) ? method.descriptor().contract() : null;
            String target = (contract == null) ? "actor contract ?"
                    : contract.isAnnotationPresent(SharedContract.class)
                            ? "actor type " + invocation.address().typeName() : "actor contract " + contract.getName();
            throw new ActorUnreachableException("Cannot call " + invocation.address() + "." + invocation.name()
                    + "(): " + target + " is not hosted by this runtime and no other silo is "
                    + "known to host it (register an implementation here, or run in a cluster with a silo that does)");
        }
        if (waitElsewhere == null) {
            deliverLocal(invocation, reference);
        }
        else if (!offerLocal(invocation)) {
            waitElsewhere.execute(() -> {
                try {
                    deliverLocal(invocation);
                }
                catch (RuntimeException ex) {
                    invocation.finish(null, ex, this.catalog.settings().turnExecutor());
                }
            });
        }
    }

    /**
     * Asks the locator where an actor lives, or takes the answer the reference kept while the locator's stamp of
     * it is unchanged (in a cluster: the same membership view), so that repeated calls through one reference skip
     * the placement lookup. The stamp is read before the locator is asked: an answer from a newer view kept under
     * an older stamp is only asked again.
     */
    private ActorLocation locate(ActorAddress address, @Nullable ActorReference reference) {
        if (reference == null) {
            return this.locator.locate(address);
        }
        long stamp = this.locator.locationStamp(address);
        if (stamp == ActorLocator.NOT_CACHEABLE) {
            return this.locator.locate(address);
        }
        StampedLocation kept = reference.location;
        if (kept != null && kept.stamp() == stamp) {
            return kept.location();
        }
        ActorLocation location = this.locator.locate(address);
        reference.location = new StampedLocation(stamp, location);
        return location;
    }

    /** A location a reference keeps, with the locator's stamp of it. */
    record StampedLocation(long stamp, ActorLocation location) {
    }

    /**
     * Sends an invocation to another silo and completes it with the outcome that silo reports. A one-way call has
     * no outcome its caller waits for: when the sender has already failed it with a {@link CallRejectedException}
     * (this silo refuses to send it, which it finds before this returns), the caller gets that here, since sending
     * the same call again can never succeed.
     * @throws CallRejectedException when the call is one-way and was refused at once
     */
    void sendRemote(String silo, Invocation invocation) {
        ActorMethod method = Objects.requireNonNull(invocation.method(), "a routed call has a method");
        invocation.sentTo = silo;
        CompletionStage<?> outcome = this.sender.send(silo, new CallView(invocation, method));
        outcome.whenComplete((result, failure) -> invocation.finish(result, unwrap(failure),
                this.catalog.settings().turnExecutor()));
        if (method.returnKind() == ReturnKind.ONE_WAY && outcome instanceof CompletableFuture<?> sent
                && sent.state() == Future.State.FAILED
                && unwrap(sent.exceptionNow()) instanceof CallRejectedException rejected) {
            throw rejected;
        }
    }

    private static @Nullable Throwable unwrap(@Nullable Throwable failure) {
        return (failure instanceof CompletionException && failure.getCause() != null) ? failure.getCause() : failure;
    }

    /** Whether an activation here has a turn in progress that serves a call chain ({@link ActivationCatalog#servesChain}). */
    boolean servesChain(ActorAddress address, long callChainId) {
        return this.catalog.servesChain(address, callChainId);
    }

    /**
     * Puts an invocation into the mailbox of its local activation, activating it if needed and waiting for
     * room when the mailbox is full.
     * @throws MailboxFullException when the mailbox stayed full for the mailbox-full timeout
     */
    void deliverLocal(Invocation invocation) {
        deliverLocal(invocation, null);
    }

    /**
     * Delivers as {@link #deliverLocal(Invocation)}, to the activation the reference kept when it is still the
     * target's, and keeps the one delivered to in the reference.
     */
    private void deliverLocal(Invocation invocation, @Nullable ActorReference reference) {
        ActorIdentity target = invocation.target();
        if (target.type().maxLocalWorkers() > 1) {
            target = this.catalog.offerToIdleWorker(target, invocation);
            if (target == null) {
                return;
            }
            reference = null;
        }
        long started = 0;
        boolean waited = false;
        Activation kept = (reference != null) ? reference.activation : null;
        while (true) {
            Activation activation;
            if (kept != null && (kept.identity == target || kept.identity.equals(target))
                    && !this.catalog.isClosed()) {
                activation = kept;
                kept = null;
            }
            else {
                activation = this.catalog.activationFor(target);
            }
            Delivery outcome = activation.offer(invocation, false);
            if (outcome == Delivery.ACCEPTED) {
                this.catalog.delivered(activation);
                if (reference != null && reference.activation != activation) {
                    reference.activation = activation;
                }
                return;
            }
            if (outcome == Delivery.FULL) {
                long now = System.nanoTime();
                if (!waited) {
                    waited = true;
                    started = now;
                }
                long remaining = this.mailboxFullTimeoutNanos - (now - started);
                if (remaining <= 0 || !awaitRoom(activation, target, remaining)) {
                    long waitedNanos = System.nanoTime() - started;
                    MailboxFullException full = new MailboxFullException(target.toString(),
                            this.catalog.settings().mailboxCapacity(), Duration.ofNanos(waitedNanos));
                    invocation.arrivedNanos = started;
                    this.catalog.incomingFilters().notRun(invocation, CallOutcome.REJECTED, full);
                    throw full;
                }
            }
        }
    }

    /**
     * Puts an invocation into the mailbox of its local activation, activating it if needed, without waiting
     * for room.
     * @return {@code false} when the mailbox is full: nothing was delivered, and the incoming filters were not
     * told, so that the caller may wait elsewhere and deliver it with {@link #deliverLocal}
     */
    boolean offerLocal(Invocation invocation) {
        ActorIdentity target = invocation.target();
        if (target.type().maxLocalWorkers() > 1) {
            target = this.catalog.offerToIdleWorker(target, invocation);
            if (target == null) {
                return true;
            }
        }
        while (true) {
            Activation activation = this.catalog.activationFor(target);
            Delivery outcome = activation.offer(invocation, false);
            if (outcome == Delivery.ACCEPTED) {
                this.catalog.delivered(activation);
                return true;
            }
            if (outcome == Delivery.FULL) {
                return false;
            }
        }
    }

    private static boolean awaitRoom(Activation activation, ActorIdentity target, long nanos) {
        boolean announced = ReadyQueueScheduler.blockingBegins();
        try {
            return activation.awaitRoom(nanos);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ActorException("Interrupted while waiting for room in the mailbox of " + target, ex);
        }
        finally {
            ReadyQueueScheduler.blockingEnds(announced);
        }
    }

    /** The outcome of a one-way call once delivered: one instance that nobody can complete again. */
    static final CompletionStage<Object> DELIVERED = CompletableFuture.completedStage(null);
}
