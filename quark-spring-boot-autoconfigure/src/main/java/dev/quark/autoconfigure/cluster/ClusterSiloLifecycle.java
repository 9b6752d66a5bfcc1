package dev.quark.autoconfigure.cluster;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import dev.quark.actor.DeactivationReason;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.routing.SiloRouting;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderNotices;
import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.runtime.ActorRuntime;
import org.jspecify.annotations.Nullable;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Joins the cluster once the context has started (the runtime is built and its transport listens) and leaves
 * it gracefully when the context stops, before the actor runtime closes: the silo announces
 * {@code SHUTTING_DOWN}, deactivates its actors for hand-off (their state saved), waits for the calls in flight,
 * and leaves ({@code DEAD}). Stopping is done once: with the gRPC transport it happens when Spring Boot's gRPC
 * server starts shutting down, which comes before this lifecycle's phase. The reminder tick manager, if any, is
 * closed first: it stops firing, writes the next ticks of those that ran and releases its bucket leases before
 * the silo announces {@code SHUTTING_DOWN}, so that the silos taking its buckets on that view acquire them at
 * once (a lease still held would make them wait for their next claim round, {@code lease-duration / 4}). While it is a member, every new view tells the reminder tick manager, if any, that
 * the buckets it owns may have changed, and {@link ReminderNotices} tell the owners of reminder buckets of the
 * registrations made on this silo.
 * <p>
 * When a {@link LateJoin} says so (the gRPC transport served by Spring Boot's gRPC server, whose lifecycle
 * starts last of all), starting does not join: {@link #join()} is called once the server listens, so that the
 * silo is never an active member that its peers cannot reach — their probes would miss, and they would declare
 * it dead while it starts.
 */
final class ClusterSiloLifecycle implements SmartLifecycle {

    private static final Logger logger = LoggerFactory.getLogger(ClusterSiloLifecycle.class);

    /**
     * Two above the actor runtime's phase ({@code DEFAULT_PHASE - 4096}) and one above the reminder tick
     * manager's: started after both, stopped before both.
     */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4094;

    /** Where the hand-over waits for calls in flight: the agent's threads must not block. */
    private static final Executor HAND_OVER_WAITS = (task) -> Thread.ofVirtual().name("quark-cluster-leave").start(task);

    private final SiloMembership agent;

    private final SiloRouting routing;

    private final ActorRuntime runtime;

    private final @Nullable ReminderTickManager reminders;

    private final @Nullable ReminderRegistry registry;

    private final Duration joinTimeout;

    private final Duration leaveTimeout;

    private final BooleanSupplier joinsLater;

    private MembershipProvider.@Nullable Watch reminderWatch;

    private volatile boolean running;

    private boolean noticesConnected;

    private final AtomicBoolean joined = new AtomicBoolean();

    private final AtomicBoolean stopped = new AtomicBoolean();

    /**
     * Creates the lifecycle.
     * @param joinsLater asked when the lifecycle starts: whether the join waits for {@link #join()}
     */
    ClusterSiloLifecycle(SiloMembership agent, SiloRouting routing, ActorRuntime runtime,
            @Nullable ReminderTickManager reminders, @Nullable ReminderRegistry registry, Duration joinTimeout,
            Duration leaveTimeout, BooleanSupplier joinsLater) {
        this.agent = agent;
        this.routing = routing;
        this.runtime = runtime;
        this.reminders = reminders;
        this.registry = registry;
        this.joinTimeout = joinTimeout;
        this.leaveTimeout = leaveTimeout;
        this.joinsLater = joinsLater;
    }

    @Override
    public void start() {
        ReminderTickManager ticks = this.reminders;
        ReminderRegistry registrations = this.registry;
        if (ticks != null && registrations != null && !this.noticesConnected) {
            connectReminderNotices(registrations, ticks);
            this.noticesConnected = true;
        }
        if (this.joinsLater.getAsBoolean()) {
            this.running = true;
            return;
        }
        join();
    }

    /**
     * Joins the cluster, waiting at most the join timeout; does nothing when the silo has joined or stopped.
     * @throws IllegalStateException when the silo did not join in time
     */
    void join() {
        if (this.stopped.get() || !this.joined.compareAndSet(false, true)) {
            return;
        }
        try {
            this.agent.start().get(this.joinTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while silo " + this.routing.siloId() + " joined", ex);
        }
        catch (ExecutionException ex) {
            this.agent.close();
            Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
            throw new IllegalStateException("Silo " + this.routing.siloId() + " could not join the cluster: "
                    + cause.getMessage(), cause);
        }
        catch (TimeoutException ex) {
            this.agent.close();
            throw new IllegalStateException("Silo " + this.routing.siloId() + " did not join the cluster within "
                    + this.joinTimeout + " (quark.cluster.join-timeout)", ex);
        }
        ReminderTickManager manager = this.reminders;
        if (manager != null) {
            this.reminderWatch = this.agent.subscribe((view) -> manager.ownershipChanged());
            manager.ownershipChanged();
        }
        this.running = true;
    }

    /**
     * Sends the reminder changes made on this silo to the silos that fire their buckets, and hands those that
     * other silos send to this silo's tick manager.
     */
    private void connectReminderNotices(ReminderRegistry registrations, ReminderTickManager ticks) {
        this.routing.onNotice(ReminderNotices.TOPIC, (notice) -> ReminderNotices.received(notice, ticks));
        registrations.addListener(ReminderNotices.sendingTo((bucket, notice) -> {
            String owner = this.routing.view().ring().ownerOf(ReminderBuckets.firstHash(bucket));
            if (owner != null && !owner.equals(this.routing.siloId())) {
                this.routing.notice(owner, ReminderNotices.TOPIC, notice).whenComplete((sent, failure) -> {
                    if (failure != null) {
                        logger.debug("Could not tell silo {} of a reminder change; its next refresh reads it: {}",
                                owner, failure.toString());
                    }
                });
            }
        }));
    }

    @Override
    public void stop() {
        if (!this.stopped.compareAndSet(false, true)) {
            return;
        }
        this.running = false;
        MembershipProvider.Watch watch = this.reminderWatch;
        if (watch != null) {
            watch.close();
        }
        ReminderTickManager ticks = this.reminders;
        if (ticks != null) {
            // Before the leave: the silos whose views drop this one claim its buckets at once, so the leases must
            // be free by then, or they would wait for their next claim round (lease-duration / 4).
            ticks.close();
        }
        try {
            this.agent.leave(() -> this.runtime.deactivateWhere((address) -> true, DeactivationReason.HANDOFF)
                .thenRunAsync(() -> {
                    this.routing.awaitIdle(this.leaveTimeout);
                    // Before DEAD: the silos that read it close their links here, the goodbye's streams with them.
                    this.routing.sayGoodbye();
                }, HAND_OVER_WAITS))
                .get(this.leaveTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        catch (ExecutionException | TimeoutException ex) {
            // Closing below stops the agent regardless; the others declare the silo dead if it did not leave.
        }
        finally {
            // Said already unless the leave failed or timed out; then now, before the links close.
            this.routing.sayGoodbye();
            this.routing.close();
            this.agent.close();
        }
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
