package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.ClusterViewSource;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloProber;
import dev.quark.cluster.membership.TransportSecurity;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.placement.PlacementDirector;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.Transport;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.InvalidSettingException;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one silo takes part in calls between silos: the runtime's routing seam implemented over a
 * {@link Transport}, a {@link PayloadCodec} and the view of a {@link ClusterViewSource}.
 * <ul>
 * <li>It tells the runtime where each actor lives (placement over the current view) and carries calls to
 * other silos, completing them with their answers; a call waits at most until its deadline, and fails at once
 * with a {@link dev.quark.cluster.SiloUnavailableException} when the view declares its silo dead.</li>
 * <li>It serves the calls other silos send: those for actors it owns go to the runtime, others are passed on
 * to their owner (a bounded number of times).</li>
 * <li>It hands actors over when membership moves them, so that there is at most one activation per actor:
 * see {@link #configure(ActorRuntime.Builder)}.</li>
 * <li>It places actors by their type's placement ({@link dev.quark.cluster.placement.PlacementStrategy}): by
 * consistent hashing, or, for random and local-preferred placement, wherever the distributed directory says
 * their one activation lives (the directory's partition of an address lives on the silo it hashes to).</li>
 * <li>It answers probes and probes other silos for failure detection ({@link #prober()}).</li>
 * </ul>
 * A silo starts in three steps, since each part needs the one before:
 * <pre>{@code
 * SiloRouting routing = SiloRouting.builder("silo-1", transport).build();
 * ActorRuntime runtime = routing.configure(ActorRuntime.builder().actor(AccountActor.class)).build();
 * SiloAddress address = routing.listen(runtime, codec);          // write it to the silo's membership entry
 * routing.follow(viewSource);                                    // the membership agent's view
 * }</pre>
 */
public final class SiloRouting implements AutoCloseable {

    /** The longest a leaving silo waits for the other silos to confirm they read its leave. */
    private static final long MAX_LEAVE_SEEN_WAIT = TimeUnit.SECONDS.toNanos(3);

    private static final Logger logger = LoggerFactory.getLogger(SiloRouting.class);

    private final String siloId;

    private final Transport transport;

    private final ViewTracker views;

    private final SiloBinding silo = new SiloBinding();

    private final PendingReplies pending;

    private final Messenger messenger;

    private final ClusterRouter router;

    private final IncomingCalls calls;

    private final CallsBeforeIdleWait callsBeforeIdleWait = new CallsBeforeIdleWait();

    private final OwnershipHandoff handoff;

    private final TransportProber prober;

    private final DistributedDirectory directory;

    private final SiloNotices notices;

    private final DeadlockNotices deadlocks;

    private final LeaveAnnouncements leaves;

    private final long leaveSeenWait;

    private final DepartedPeers departedPeers;

    private final IdleClientLinks clientLinks;

    /** Removes the gauge of the links to cluster clients from the metrics, at close. */
    private final Runnable clientLinksGauge;

    private final ExecutorService executor;

    private final UnsentCalls unsentCalls;

    private final Object lock = new Object();

    private MembershipProvider.@Nullable Watch subscription;

    private boolean listening;

    private boolean closed;

    private SiloRouting(Builder builder) {
        this.siloId = builder.siloId;
        this.transport = builder.transport;
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("quark-routing-", 0).factory());
        this.views = new ViewTracker(this.siloId, builder.clock, builder.handoffWindow);
        this.pending = new PendingReplies(this.siloId, builder.clock, this.executor);
        Messenger messenger = new Messenger(this.siloId, this.transport, this.views, this.pending);
        this.notices = new SiloNotices(this.siloId, this.views, messenger, this.executor);
        this.directory = new DistributedDirectory(this.siloId, this.views, messenger, this.silo, builder.clock,
                builder.handoffTimeout, builder.handoffWindow, this.executor, this.notices, builder.placement);
        CallbacksElsewhere callbacks = new CallbacksElsewhere();
        this.unsentCalls = new UnsentCalls(this.views, this.silo, builder.clock, this.executor,
                builder.catchUpWait.toMillis());
        this.router = new ClusterRouter(this.siloId, this.views, builder.placement, messenger, this.silo,
                builder.clock, builder.metrics, this.directory, this.executor, builder.catchUpWait, this.unsentCalls,
                callbacks, this.callsBeforeIdleWait);
        this.calls = new IncomingCalls(this.siloId, this.views, builder.placement, messenger, this.silo,
                builder.maxForwards, builder.clock, builder.metrics, this.executor, this.directory, this.unsentCalls);
        this.handoff = new OwnershipHandoff(this.siloId, this.views, builder.placement, messenger, this.silo,
                builder.clock, builder.handoffTimeout, this.executor, this.directory, callbacks);
        this.directory.releasedBy(this.handoff::release);
        this.prober = new TransportProber(messenger, builder.clock);
        this.deadlocks = new DeadlockNotices(this.siloId, this.notices, this.silo, this.calls.forwarded());
        this.leaveSeenWait = builder.leaveSeenWait.toNanos();
        this.views.onNewView(this.pending::failTargetsGoneIn);
        this.departedPeers = new DepartedPeers(this.siloId, this.transport);
        this.views.onNewView(this.departedPeers);
        this.clientLinks = new IdleClientLinks(this.siloId, this.transport, builder.clock,
                builder.clientLinkIdleTimeout, builder.metrics);
        this.views.onNewView(this.clientLinks);
        this.leaves = new LeaveAnnouncements(this.siloId, this.views, this.notices, this.silo, this.executor,
                this.clientLinks::clientsHeardFrom);
        this.clientLinksGauge = builder.metrics.bindClientLinks(this.clientLinks::heldLinks);
        this.views.onNewView((view) -> {
            if (this.listening) {
                this.handoff.viewChanged(view);
                this.directory.viewChanged(view);
            }
        });
        this.messenger = messenger;
    }

    /**
     * Starts building the routing of a silo.
     * @param siloId the silo's id, as in its membership entry
     * @param transport the silo's transport, not started yet
     * @return a builder with the documented defaults
     */
    public static Builder builder(String siloId, Transport transport) {
        return new Builder(siloId, transport);
    }

    /**
     * Plugs the routing into the runtime of the silo: its actor locator, its remote call sender, its
     * activation gate, which hands actors over from their previous owner and registers the actors placed by
     * the directory, an activation hook that removes their entries when they end, and what carries its search
     * for deadlocks to other silos.
     * @param runtime the runtime's builder
     * @return the same builder
     */
    public ActorRuntime.Builder configure(ActorRuntime.Builder runtime) {
        return runtime.actorLocator(this.router)
            .remoteCallSender(this.router)
            .activationGate(this.handoff)
            .activationHook(this.directory)
            .remoteWaits(this.deadlocks);
    }

    /**
     * Starts the transport: from now on the silo receives envelopes, which it decodes with the codec and
     * delivers to the runtime.
     * @param runtime the runtime built with {@link #configure(ActorRuntime.Builder)}
     * @param codec the silo's codec, bound to this runtime
     * @return where peers reach this silo, for its membership entry
     */
    public SiloAddress listen(ActorRuntime runtime, PayloadCodec codec) {
        Objects.requireNonNull(runtime, "runtime must not be null");
        Objects.requireNonNull(codec, "codec must not be null");
        synchronized (this.lock) {
            if (this.listening || this.closed) {
                throw new IllegalStateException("The routing of silo " + this.siloId + " is "
                        + (this.closed ? "closed" : "listening already"));
            }
            this.silo.bind(runtime, codec);
            SiloAddress address = this.transport.start(this.siloId,
                    new InboundEnvelopes(this.siloId, this.views, this.pending, this.calls, this.handoff, this.prober,
                            this.directory, this.notices, this.departedPeers, this.clientLinks));
            this.messenger.listeningAt(address);
            this.clientLinks.start();
            this.listening = true;
            return address;
        }
    }

    /**
     * Routes with the views of a source from now on: its current view and every new one.
     * @param source the silo's view of membership
     */
    public void follow(ClusterViewSource source) {
        Objects.requireNonNull(source, "source must not be null");
        synchronized (this.lock) {
            if (this.subscription != null || this.closed) {
                throw new IllegalStateException("The routing of silo " + this.siloId + " "
                        + (this.closed ? "is closed" : "follows a view source already"));
            }
            this.silo.follow(source);
            this.subscription = source.subscribe(this.views::install);
        }
        this.views.installFirst(source.current());
    }

    /**
     * Returns the silo's id.
     * @return the id
     */
    public String siloId() {
        return this.siloId;
    }

    /**
     * Returns the view the silo routes with now.
     * @return the view; {@link ClusterView#EMPTY} before the first one arrived
     */
    public ClusterView view() {
        return this.views.current();
    }

    /**
     * Returns how many entries this silo's share of the distributed directory holds: the activations placed
     * by the directory whose addresses hash to this silo.
     * @return the count
     */
    public int directoryEntries() {
        return this.directory.partitionSize();
    }

    /**
     * Returns how many entries this silo's directory partition removed within the hand-off window and remembers, so
     * as not to take them again from a previous owner.
     */
    int directoryRemovalsRemembered() {
        return this.directory.removalsRemembered();
    }

    /**
     * Returns whether every silo that may host activations in this silo's view has reported its directory
     * re-registrations done for a membership version or a newer one, as far as this silo has heard.
     */
    boolean directoryRoundsReported(long version) {
        return this.directory.roundsReported(version);
    }

    /** Returns the hand-off of actors between this silo and its peers, for the tests of this package. */
    OwnershipHandoff handoff() {
        return this.handoff;
    }

    /**
     * Returns whether this silo's transport links use TLS ({@link Transport#security()}), for its membership entry.
     * @return whether the links use TLS
     */
    public TransportSecurity transportSecurity() {
        return this.transport.security();
    }

    /**
     * Returns the prober that probes other silos over this silo's transport, for failure detection.
     * @return the prober
     */
    public SiloProber prober() {
        return this.prober;
    }

    /**
     * Waits until the calls this silo sent to others that were made before the wait have their outcomes, no call
     * it received waits for its turn to end and none of its own hand-offs and directory requests waits for its
     * answer; a graceful shutdown waits for this before the silo leaves. A silo that is leaving
     * ({@code SHUTTING_DOWN} in its view) first waits until every other silo of its view, and every cluster client
     * it holds links to, has read its leave ({@link LeaveAnnouncements}), for at most half the timeout and 3
     * seconds: from then on no silo or client sends new calls for hash-placed actors here (a call routed earlier
     * but sent after the answer is routed again by its sender, {@code ClusterRouter}), and those sent here before
     * have arrived and are counted. The calls the application makes through this silo once that first wait is over
     * are not waited for ({@link CallsBeforeIdleWait}; a later wait counts those made after this one returned): an
     * application that goes on calling through a stopping silo (an HTTP endpoint still serving) would otherwise hold
     * it for the whole timeout; those still in flight when the silo closes fail, as handed over with an unknown
     * outcome ({@code SiloUnavailableException}, "may or may not have run").
     * @param timeout how long to wait at most
     * @return whether the silo became idle in time
     */
    public boolean awaitIdle(Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        boolean leaving = this.leaves.isLeaving();
        if (leaving) {
            LeaveAnnouncements.Unanswered unanswered = this.leaves
                .awaitSeen(start + Math.min(timeout.toNanos() / 2, this.leaveSeenWait));
            if (!unanswered.silos().isEmpty()) {
                logger.info("Silo {} is leaving although silos {} did not confirm they read its leave in time: calls "
                        + "they send it after it closes fail", this.siloId, unanswered.silos());
            }
            if (!unanswered.clients().isEmpty()) {
                logger.info("Silo {} is leaving although cluster clients {} did not confirm they read its leave in "
                        + "time: calls they send it after it closes fail", this.siloId, unanswered.clients());
            }
        }
        // From here on, the calls the application makes through this silo are not waited for: it may go on making them
        // for as long as it likes (an HTTP endpoint still serving), and the wait would never end.
        this.callsBeforeIdleWait.waitBegins();
        try {
            return awaitCallsBeforeTheWait(deadline, leaving, timeout);
        }
        finally {
            this.callsBeforeIdleWait.waitEnds();
        }
    }

    private boolean awaitCallsBeforeTheWait(long deadline, boolean leaving, Duration timeout) {
        while (this.callsBeforeIdleWait.inFlight() > 0 || this.calls.inProgress() > 0
                || this.pending.awaitsProtocolAnswers()) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                if (leaving) {
                    logger.warn("Silo {} is leaving with {} calls made before its wait for idle still waiting for "
                            + "their outcomes, {} calls it received not answered and {} of its own requests "
                            + "(hand-offs, directory) unanswered after {}", this.siloId,
                            this.callsBeforeIdleWait.inFlight(), this.calls.inProgress(),
                            this.pending.protocolRequests(), timeout);
                }
                return false;
            }
            LockSupport.parkNanos(Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(5)));
        }
        return true;
    }

    /**
     * Sends a notice to a service of another silo of the view: a one-way message outside any actor's mailbox,
     * handed to the handler registered there for the topic ({@link #onNotice}). A notice is a hint, delivered at
     * most once: it is lost if the silo stops or has no handler, so the receiving service must also learn what
     * it says another way (reminders: the next read of the table).
     * @param siloId the silo, this one included
     * @param topic the service, e.g. {@code reminders}
     * @param payload what the service's handler receives; not copied
     * @return a stage completed once the transport has handed the notice over, failed with a
     * {@link dev.quark.cluster.SiloUnavailableException} when the view has no such silo
     */
    public CompletionStage<Void> notice(String siloId, String topic, byte[] payload) {
        Objects.requireNonNull(siloId, "siloId must not be null");
        Objects.requireNonNull(topic, "topic must not be null");
        Objects.requireNonNull(payload, "payload must not be null");
        return this.notices.send(siloId, topic, payload);
    }

    /**
     * Registers the handler of the notices on a topic that other silos send this one. It runs on a virtual
     * thread of the routing, one per notice.
     * @param topic the service
     * @param handler receives each notice's payload
     * @throws IllegalStateException when the topic has a handler already
     */
    public void onNotice(String topic, Consumer<byte[]> handler) {
        this.notices.handle(topic, handler);
    }

    /**
     * Tells the silos linked to this silo that it is about to close ({@link Transport#sayGoodbye}): they stop sending
     * it calls (what they had not sent yet is routed again), what they sent before is still received and answered
     * (refused as not run by a silo that left, so routed again), and {@link #close} then writes the last answers
     * before it closes the links, so that none of their calls is left with an unknown outcome by the close. A graceful
     * leave calls it once {@link #awaitIdle} returned, before the silo writes itself {@code DEAD} (the silos whose
     * views show it dead close their links to it); a crash does not (nor does a test that kills a silo). Returns once
     * every peer stopped sending and every call received was answered, or after the transport's bound
     * ({@code quark.cluster.transport.goodbye-timeout} over gRPC). Idempotent.
     */
    public void sayGoodbye() {
        synchronized (this.lock) {
            if (this.closed) {
                return;
            }
        }
        this.transport.sayGoodbye(() -> this.calls.inProgress() == 0);
    }

    /**
     * Stops following membership, closes the transport (the silo disappears from the network) and fails the
     * calls that still wait for answers. Idempotent.
     */
    @Override
    public void close() {
        MembershipProvider.Watch watch;
        synchronized (this.lock) {
            if (this.closed) {
                return;
            }
            this.closed = true;
            this.listening = false;
            watch = this.subscription;
        }
        if (watch != null) {
            watch.close();
        }
        this.clientLinks.close();
        this.clientLinksGauge.run();
        this.unsentCalls.close();
        this.transport.close();
        this.pending.close("silo " + this.siloId + " closed its routing");
        this.executor.shutdown();
    }

    @Override
    public String toString() {
        return "SiloRouting[" + this.siloId + ", membership version " + this.views.current().version() + "]";
    }

    /**
     * Builds a {@link SiloRouting}.
     */
    public static final class Builder {

        private final String siloId;

        private final Transport transport;

        private Clock clock = Clock.systemUTC();

        private PlacementDirector placement = new HashPlacementDirector();

        private int maxForwards = 2;

        private Duration handoffWindow = Duration.ofMinutes(1);

        private Duration leaveSeenWait = Duration.ofNanos(MAX_LEAVE_SEEN_WAIT);

        private Duration handoffTimeout = Duration.ofSeconds(10);

        private RoutingMetrics metrics = RoutingMetrics.NONE;

        private Duration clientLinkIdleTimeout = Duration.ofMinutes(5);

        private Duration catchUpWait = ClusterRouter.DEFAULT_CATCH_UP_WAIT;

        private Builder(String siloId, Transport transport) {
            Objects.requireNonNull(siloId, "siloId must not be null");
            if (siloId.isBlank()) {
                throw new IllegalArgumentException("Silo id must not be blank");
            }
            this.siloId = siloId;
            this.transport = Objects.requireNonNull(transport, "transport must not be null");
        }

        /**
         * Sets the clock deadlines and the hand-off window are measured with; the runtime's. Default: the
         * system UTC clock.
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock must not be null");
            return this;
        }

        /**
         * Sets which silo owns an actor. Default: consistent hashing over the view's ring.
         * @param placement the placement
         * @return this builder
         */
        public Builder placement(PlacementDirector placement) {
            this.placement = Objects.requireNonNull(placement, "placement must not be null");
            return this;
        }

        /**
         * Sets how many times silos may pass a call on to the silo they believe owns its actor before it
         * fails with a {@link dev.quark.cluster.CallForwardingException}. Default: 2.
         * @param maxForwards 0 or more
         * @return this builder
         */
        public Builder maxForwards(int maxForwards) {
            if (maxForwards < 0) {
                throw new InvalidSettingException("maxForwards", maxForwards, "must not be negative");
            }
            this.maxForwards = maxForwards;
            return this;
        }

        /**
         * Sets for how long after a view change the new owner of an actor asks its previous owner to give it
         * up before activating it; after that, the previous owner is known to have deactivated what it lost.
         * Default: 1 minute.
         * @param handoffWindow a positive duration
         * @return this builder
         */
        public Builder handoffWindow(Duration handoffWindow) {
            this.handoffWindow = positive("handoffWindow", handoffWindow);
            return this;
        }

        /** For tests: the longest a leaving silo waits for the others to confirm its leave (default 3 s). */
        Builder leaveSeenWait(Duration leaveSeenWait) {
            this.leaveSeenWait = positive("leaveSeenWait", leaveSeenWait);
            return this;
        }

        /**
         * Sets how long the new owner of an actor waits for its previous owner to give it up before the
         * activation fails with a {@link dev.quark.cluster.SiloUnavailableException}. Default: 10 seconds.
         * @param handoffTimeout a positive duration
         * @return this builder
         */
        public Builder handoffTimeout(Duration handoffTimeout) {
            this.handoffTimeout = positive("handoffTimeout", handoffTimeout);
            return this;
        }

        /**
         * Sets where calls passed on to other silos, and calls failed for membership reasons, are recorded.
         * Default: {@link RoutingMetrics#NONE}.
         * @param metrics the metrics
         * @return this builder
         */
        public Builder metrics(RoutingMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics must not be null");
            return this;
        }

        /**
         * Sets how long nothing must be heard from a cluster client's address (no call, no probe) before the
         * transport's links to it are closed: a silo answers clients at their addresses, and without this the
         * links to clients that went away would stay until the silo stops. A client that calls again later gets
         * new links with its next answer. Checked every quarter of the timeout. Default: 5 minutes.
         * @param clientLinkIdleTimeout a positive duration
         * @return this builder
         */
        public Builder clientLinkIdleTimeout(Duration clientLinkIdleTimeout) {
            this.clientLinkIdleTimeout = positive("clientLinkIdleTimeout", clientLinkIdleTimeout);
            return this;
        }

        /**
         * Sets how long, in real time, a call waits at most for this silo to read a newer membership view before it
         * is routed again or fails: a call that a leaving silo refused waits for the version the refusal carries,
         * and one that could not be handed over to a silo still active in this silo's view (a crashed silo not yet
         * declared dead) for any newer version. Never past the call's deadline. Meant for tests: a test on a manual
         * clock that calls a killed silo pays this wait, in real time, at each such call. Default: 1 second.
         * @param catchUpWait a positive duration
         * @return this builder
         */
        public Builder catchUpWait(Duration catchUpWait) {
            this.catchUpWait = positive("catchUpWait", catchUpWait);
            return this;
        }

        /**
         * Builds the routing; it neither listens nor follows membership yet.
         * @return the routing
         */
        public SiloRouting build() {
            return new SiloRouting(this);
        }

        private static Duration positive(String name, Duration value) {
            Objects.requireNonNull(value, name + " must not be null");
            if (value.isNegative() || value.isZero()) {
                throw new InvalidSettingException(name, value, "must be positive");
            }
            return value;
        }
    }
}
