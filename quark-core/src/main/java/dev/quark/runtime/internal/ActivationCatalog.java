package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.quark.actor.ActorRuntimeClosedException;
import dev.quark.actor.DeactivationReason;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The activations of this silo, at most one per actor identity: creates them on demand, collects idle
 * ones and ends them all at shutdown.
 */
public final class ActivationCatalog {

    private static final Logger logger = LoggerFactory.getLogger(ActivationCatalog.class);

    private static final long CLOSE_POLL_MILLIS = 50;

    private final ConcurrentHashMap<ActorIdentity, Activation> activations = new ConcurrentHashMap<>();

    private final RuntimeSettings settings;

    private final Object closeMonitor = new Object();

    private volatile boolean closed;

    public ActivationCatalog(RuntimeSettings settings) {
        this.settings = settings;
    }

    RuntimeSettings settings() {
        return this.settings;
    }

    /**
     * Returns the activation of an identity, creating an empty one if there is none. Creating one runs no
     * user code: the instance is created by the first message's turn.
     */
    Activation activationFor(ActorIdentity identity) {
        if (this.closed) {
            throw new ActorRuntimeClosedException("The actor runtime is shut down; cannot call " + identity);
        }
        Activation activation = this.activations.get(identity);
        return (activation != null) ? activation
                : this.activations.computeIfAbsent(identity, (key) -> new Activation(key, this));
    }

    /**
     * Makes sure a message delivered while the runtime was closing does not leave an activation behind.
     */
    void delivered(Activation activation) {
        if (this.closed && activation.requestDeactivation(DeactivationReason.SHUTDOWN)) {
            startDeactivation(activation, DeactivationReason.SHUTDOWN);
        }
    }

    void startDrain(Activation activation, Invocation first) {
        this.settings.turnExecutor().execute(() -> activation.drain(first));
    }

    private void startDeactivation(Activation activation, DeactivationReason reason) {
        this.settings.turnExecutor().execute(() -> activation.deactivate(reason));
    }

    /**
     * Removes an activation that ended. Called under the activation's lock.
     */
    void remove(Activation ended) {
        this.activations.remove(ended.identity, ended);
        if (this.closed) {
            synchronized (this.closeMonitor) {
                this.closeMonitor.notifyAll();
            }
        }
    }

    /**
     * Replaces an activation that ended by a new one that takes over the messages which arrived while it
     * deactivated, or removes it when there are none. Called under the ended activation's lock, so callers
     * that find it ended find its successor.
     */
    void replaceEnded(Activation ended, @Nullable Invocation waiting, int count) {
        if (waiting == null) {
            remove(ended);
            return;
        }
        if (this.closed) {
            remove(ended);
            ActorRuntimeClosedException failure = new ActorRuntimeClosedException(
                    "The actor runtime shut down before this call to " + ended.identity + " ran");
            for (Invocation invocation = waiting; invocation != null; invocation = Activation.unlink(invocation)) {
                ended.fail(invocation, failure);
            }
            return;
        }
        Activation successor = new Activation(ended.identity, this);
        Invocation first = successor.adopt(waiting, count);
        this.activations.replace(ended.identity, ended, successor);
        startDrain(successor, first);
    }

    /**
     * Deactivates every activation that has had no call since the idle timeout.
     * @param await whether to return only after their {@code onDeactivate} hooks have run
     * @return how many activations were deactivated
     */
    public int collectIdle(boolean await) {
        if (this.closed) {
            return 0;
        }
        long cutoff = this.settings.clock().millis() - this.settings.idleTimeout().toMillis();
        List<Activation> idle = new ArrayList<>();
        for (Activation activation : this.activations.values()) {
            if (activation.lastActiveMillis() <= cutoff && activation.beginIdleDeactivation(cutoff)) {
                idle.add(activation);
            }
        }
        if (idle.isEmpty()) {
            return 0;
        }
        logger.debug("Collecting {} idle activations", idle.size());
        CountDownLatch done = new CountDownLatch(idle.size());
        for (Activation activation : idle) {
            this.settings.turnExecutor().execute(() -> {
                try {
                    activation.deactivate(DeactivationReason.IDLE);
                }
                finally {
                    done.countDown();
                }
            });
        }
        if (await) {
            awaitQuietly(done);
        }
        return idle.size();
    }

    private void awaitQuietly(CountDownLatch done) {
        try {
            if (!done.await(this.settings.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                logger.warn("Idle deactivations did not finish within {}", this.settings.shutdownTimeout());
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Deactivates one activation if it exists, once its current turn ends.
     * @return whether there was an activation to deactivate
     */
    public boolean deactivate(ActorIdentity identity, DeactivationReason reason) {
        Activation activation = this.activations.get(identity);
        if (activation == null) {
            return false;
        }
        if (activation.requestDeactivation(reason)) {
            startDeactivation(activation, reason);
        }
        return true;
    }

    /**
     * Stops accepting calls and deactivates every activation, waiting for running turns to end.
     * @param timeout how long to wait
     * @return whether every activation ended in time
     */
    public boolean close(Duration timeout) {
        this.closed = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        int initial = this.activations.size();
        while (!this.activations.isEmpty()) {
            for (Activation activation : this.activations.values()) {
                if (activation.requestDeactivation(DeactivationReason.SHUTDOWN)) {
                    startDeactivation(activation, DeactivationReason.SHUTDOWN);
                }
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                logger.warn("{} of {} activations were still running turns when the shutdown timeout of {} elapsed",
                        this.activations.size(), initial, timeout);
                return false;
            }
            synchronized (this.closeMonitor) {
                if (!this.activations.isEmpty()) {
                    try {
                        this.closeMonitor.wait(Math.min(CLOSE_POLL_MILLIS, Math.max(1, remaining / 1_000_000)));
                    }
                    catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
            }
        }
        logger.debug("Deactivated {} activations at shutdown", initial);
        return true;
    }

    public boolean isClosed() {
        return this.closed;
    }

    public int size() {
        return this.activations.size();
    }

    /**
     * Returns how many messages wait in the mailbox of an actor, for tests and diagnostics.
     */
    public int queuedMessages(ActorIdentity identity) {
        Activation activation = this.activations.get(identity);
        return (activation != null) ? activation.queuedMessages() : 0;
    }

    public boolean isActive(ActorIdentity identity) {
        return this.activations.containsKey(identity);
    }
}
