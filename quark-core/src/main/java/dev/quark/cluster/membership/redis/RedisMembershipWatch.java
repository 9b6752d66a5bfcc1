package dev.quark.cluster.membership.redis;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import dev.quark.cluster.membership.MembershipProvider.Watch;
import dev.quark.redis.RedisChannelSubscriptions;
import dev.quark.redis.RedisChannelSubscriptions.ChannelListener;
import dev.quark.redis.RedisChannelSubscriptions.Subscription;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * One {@link RedisMembershipProvider#watch} registration: a watch of the cluster's channel on the one subscription
 * connection of the connection factory that the node's areas share ({@link RedisChannelSubscriptions}), running
 * its listener on virtual threads of its own dispatcher.
 * <p>
 * Its start waits for Redis to confirm the subscription at most {@link #SUBSCRIBE_WAIT}, and never fails for a
 * confirmation that is late or a subscription that failed (which the shared subscriptions try again): it logs that
 * the watch is not listening yet and returns, and the listener is told once when the first confirmation comes, since
 * changes may have been missed until then. A silo's join therefore does not depend on the pub/sub answer; meanwhile
 * the agent's table refresh (every {@code quark.cluster.membership.table-refresh-interval}) reads the changes that a
 * hint would have announced. Closing it drops late notifications, leaves the shared
 * subscription to the other watches (un-subscribing the channel in the background when it was its last watch,
 * closing the connection when it was the factory's last), and waits at most {@link #LISTENER_JOIN_TIMEOUT} for its
 * listener calls still running (never for the calling thread itself, when a listener call closes the watch); it never
 * waits for Redis. Nothing is cancelled under a running call and no exception reaches another thread.
 */
final class RedisMembershipWatch implements Watch {

    /** How long {@link #start} waits for Redis to confirm the subscription before it carries on without. */
    static final Duration SUBSCRIBE_WAIT = Duration.ofSeconds(5);

    /** How long {@link #close} waits for listener calls still running; a listener must return quickly. */
    static final Duration LISTENER_JOIN_TIMEOUT = Duration.ofMillis(500);

    /** How long a {@link #close} waits for another one that runs, which waits {@link #LISTENER_JOIN_TIMEOUT}. */
    static final Duration SECOND_CLOSE_WAIT = Duration.ofSeconds(10);

    private static final Logger logger = LoggerFactory.getLogger(RedisMembershipWatch.class);

    private final String channel;

    private final Runnable listener;

    private final Dispatcher dispatcher;

    private final AtomicBoolean closed = new AtomicBoolean();

    /** Counted down when the first {@link #close} ends: later closes return only then. */
    private final CountDownLatch closeEnded = new CountDownLatch(1);

    /**
     * Completed when Redis first confirmed the subscription, or exceptionally when an attempt to subscribe failed
     * before (tried again by the shared subscriptions).
     */
    private final CompletableFuture<@Nullable Void> confirmed = new CompletableFuture<>();

    /** Whether {@link #start} returned before the first confirmation, which then tells the listener. */
    private volatile boolean startedUnconfirmed;

    private volatile @Nullable Subscription subscription;

    private RedisMembershipWatch(String channel, Runnable listener) {
        this.channel = channel;
        this.listener = listener;
        this.dispatcher = new Dispatcher("quark-membership-watch-" + channel);
    }

    /**
     * Subscribes on the factory's shared subscription connection and waits for Redis to confirm it, at most
     * {@link #SUBSCRIBE_WAIT}.
     * @param subscriptions the shared subscriptions
     * @param connectionFactory the connection factory
     * @param channel the channel
     * @param listener told of every message
     * @return the registration, listening or (when Redis did not confirm in time) subscribing in the background
     * @throws IllegalStateException when the subscriptions were closed
     */
    static RedisMembershipWatch start(RedisChannelSubscriptions subscriptions,
            RedisConnectionFactory connectionFactory, String channel, Runnable listener) {
        return start(subscriptions, connectionFactory, channel, listener, SUBSCRIBE_WAIT);
    }

    /**
     * Subscribes and waits at most {@code wait} for the confirmation; see {@link #start(RedisChannelSubscriptions,
     * RedisConnectionFactory, String, Runnable)}.
     */
    static RedisMembershipWatch start(RedisChannelSubscriptions subscriptions,
            RedisConnectionFactory connectionFactory, String channel, Runnable listener, Duration wait) {
        RedisMembershipWatch watch = new RedisMembershipWatch(channel, listener);
        try {
            watch.subscription = subscriptions.subscribe(connectionFactory, channel, watch.new Hints());
        }
        catch (RuntimeException ex) {
            watch.close();
            throw ex;
        }
        try {
            watch.confirmed.get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return watch;
        }
        catch (TimeoutException ex) {
            watch.carryOnUnconfirmed("Redis did not confirm it within " + wait.toMillis() + " ms");
        }
        catch (ExecutionException ex) {
            watch.carryOnUnconfirmed("subscribing failed (" + ex.getCause() + "); it is tried again");
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            watch.close();
            throw new IllegalStateException("Interrupted while subscribing to the membership channel " + channel, ex);
        }
        return watch;
    }

    /**
     * Lets the start return before the first confirmation: the listener is told when it comes (unless it came just
     * now, before this returned, which makes the watch listening as the start returns).
     */
    private void carryOnUnconfirmed(String why) {
        this.startedUnconfirmed = true;
        if (isConfirmed()) {
            return;
        }
        logger.warn("The membership watch of {} is not listening yet: {}; changes are read by the table refresh "
                + "until Redis confirms the subscription", this.channel, why);
    }

    /** Whether Redis confirmed the subscription. */
    boolean isConfirmed() {
        return this.confirmed.isDone() && !this.confirmed.isCompletedExceptionally();
    }

    /** Tells the listener, on a thread of the watch's dispatcher, unless the watch was closed. */
    void hint() {
        this.dispatcher.execute(() -> {
            if (!this.closed.get()) {
                this.listener.run();
            }
        });
    }

    /**
     * Stops the notifications: later ones are dropped, the watch leaves the shared subscription (its channel
     * un-subscribed in the background when no other watch of the factory has it, the connection closed when no watch
     * of the factory is left), and listener calls still running get {@link #LISTENER_JOIN_TIMEOUT} to end. Idempotent: a close while another
     * runs returns when that one ended (at most {@link #SECOND_CLOSE_WAIT} later), except in a listener call of this
     * watch, which the first close may be waiting for.
     */
    @Override
    public void close() {
        if (!this.closed.compareAndSet(false, true)) {
            awaitFirstClose();
            return;
        }
        try {
            this.dispatcher.refuseNewTasks();
            Subscription current = this.subscription;
            if (current != null) {
                current.close();
            }
            if (!this.dispatcher.awaitRunning(LISTENER_JOIN_TIMEOUT)) {
                logger.debug("A listener call of the membership watch of {} was still running {} after the watch "
                        + "closed", this.channel, LISTENER_JOIN_TIMEOUT);
            }
        }
        finally {
            this.closeEnded.countDown();
        }
    }

    /** Whether {@link #close} was called, for tests. */
    boolean closing() {
        return this.closed.get();
    }

    private void awaitFirstClose() {
        if (this.dispatcher.runsOn(Thread.currentThread())) {
            return;
        }
        try {
            if (!this.closeEnded.await(SECOND_CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                logger.debug("The first close of the membership watch of {} did not end within {}", this.channel,
                        SECOND_CLOSE_WAIT);
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }


    @Override
    public String toString() {
        return "RedisMembershipWatch[" + this.channel + "]";
    }

    /**
     * Hears the channel on the shared connection: a message is a hint; the first confirmation completes the start; a
     * later one (or a first one after the start returned without it) follows a time when hints may have been missed,
     * so the listener is told.
     */
    private final class Hints implements ChannelListener {

        @Override
        public void message(String payload) {
            hint();
        }

        @Override
        public void subscribed(boolean again) {
            RedisMembershipWatch watch = RedisMembershipWatch.this;
            if (!again && !watch.confirmed.isDone()) {
                watch.confirmed.complete(null);
            }
            else if (!again) {
                // A failed attempt completed the start's wait: this is the first confirmation all the same.
                watch.confirmed.obtrudeValue(null);
            }
            if (again || watch.startedUnconfirmed) {
                // Changes may have been missed while the watch was not listening.
                hint();
            }
        }

        @Override
        public void subscribeFailed(RuntimeException failure) {
            RedisMembershipWatch.this.confirmed.completeExceptionally(failure);
        }
    }

    /**
     * Runs the watch's listener calls, one virtual thread each, and knows which are running. Once it refuses
     * new tasks it drops them silently: they are notifications for a closed watch. A task's failure is logged
     * here, so that none reaches the thread's uncaught-exception handler.
     */
    private static final class Dispatcher implements Executor {

        private final String threadName;

        private final ReentrantLock lock = new ReentrantLock();

        private final Condition idle = this.lock.newCondition();

        /** The threads running a task; guarded by {@link #lock}. */
        private final Set<Thread> running = new HashSet<>();

        /** Guarded by {@link #lock}. */
        private boolean refusing;

        Dispatcher(String threadName) {
            this.threadName = threadName;
        }

        @Override
        public void execute(Runnable task) {
            this.lock.lock();
            try {
                if (this.refusing) {
                    return;
                }
                Thread thread = Thread.ofVirtual().name(this.threadName).unstarted(() -> run(task));
                this.running.add(thread);
                thread.start();
            }
            finally {
                this.lock.unlock();
            }
        }

        private void run(Runnable task) {
            try {
                task.run();
            }
            catch (VirtualMachineError ex) {
                throw ex;
            }
            catch (Throwable ex) {
                // Errors too (an AssertionError of a listener): nothing reaches another thread's handler.
                logger.warn("A membership watch task on {} failed", this.threadName, ex);
            }
            finally {
                this.lock.lock();
                try {
                    this.running.remove(Thread.currentThread());
                    this.idle.signalAll();
                }
                finally {
                    this.lock.unlock();
                }
            }
        }

        void refuseNewTasks() {
            this.lock.lock();
            try {
                this.refusing = true;
            }
            finally {
                this.lock.unlock();
            }
        }

        /** Whether a task runs on the given thread. */
        boolean runsOn(Thread thread) {
            this.lock.lock();
            try {
                return this.running.contains(thread);
            }
            finally {
                this.lock.unlock();
            }
        }

        /**
         * Waits for the running tasks to end, except one running on the calling thread.
         * @param timeout the longest wait
         * @return whether they ended in time
         */
        boolean awaitRunning(Duration timeout) {
            Thread self = Thread.currentThread();
            long remaining = timeout.toNanos();
            this.lock.lock();
            try {
                while (this.running.stream().anyMatch((thread) -> thread != self)) {
                    if (remaining <= 0) {
                        return false;
                    }
                    remaining = this.idle.awaitNanos(remaining);
                }
                return true;
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return false;
            }
            finally {
                this.lock.unlock();
            }
        }
    }
}
