package dev.quark.testkit.cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import dev.quark.actor.DeactivationReason;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSettings;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.membership.memory.InMemoryMembershipProvider;
import dev.quark.cluster.routing.DeadSiloActivations;
import dev.quark.cluster.routing.SiloRouting;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.Transport;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.cluster.transport.injvm.InJvmNetwork;
import dev.quark.lease.LeaseStore;
import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.ActorTypeView;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * Several silos in one JVM, for tests of actors in a cluster: each silo has its own {@link ActorRuntime} with
 * its own activations, they share an in-memory membership table and talk over an {@link InJvmNetwork}, so
 * calls between them go through the same routing, codec, forwarding and hand-off as between processes.
 * <pre>{@code
 * try (TestCluster cluster = TestCluster.builder().silos(3).actor(AccountActor.class).build()) {
 *     cluster.silo(0).get(Account.class, "alice").deposit(10);      // runs on whichever silo owns alice
 *     assertThat(cluster.silo(2).get(Account.class, "alice").balance()).isEqualTo(10);
 *     cluster.addSilo();                                             // actors move to it, at most one activation each
 *     cluster.killSilo(1);                                           // no goodbye
 *     cluster.declareDead(1);                                        // what failure detection would do
 * }
 * }</pre>
 * Silos are numbered from 0 in the order they start, and keep their number when they stop; their ids are
 * {@code silo-<index>}. By default membership is what the silos write themselves ({@link TableViewSource}):
 * a killed silo stays {@code ACTIVE} until {@link #declareDead(int)}. With {@link Builder#failureDetection()}
 * every silo runs a membership agent that probes its peers over the in-JVM transport, as in production, and a
 * killed silo is declared dead by the others within seconds.
 * <p>
 * Both the table and the wire can be real ones, to run the same scenarios against a server or the network stack:
 * {@link Builder#membership(MembershipProvider)} takes a Redis or PostgreSQL membership table, and
 * {@link Builder#transport(Function)} a transport per silo, such as a gRPC one listening on {@code 127.0.0.1}.
 */
public final class TestCluster implements AutoCloseable {

    private final Builder settings;

    private final InJvmNetwork network = new InJvmNetwork();

    private final List<TestSilo> silos = new CopyOnWriteArrayList<>();

    private final AtomicLong epochs = new AtomicLong();

    /** Where a graceful stop waits for the calls in flight to end: the agent's threads must not block. */
    private static final Executor HAND_OVER_WAITS = (task) -> Thread.ofVirtual().start(task);

    /** The runtimes of killed silos, closing in the background: their turns may still be blocked. */
    private final List<Thread> closingRuntimes = new CopyOnWriteArrayList<>();

    private TestCluster(Builder settings) {
        this.settings = settings;
    }

    /**
     * Starts building a test cluster.
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a silo by its index, running or not.
     * @param index the index, from 0
     * @return the silo
     */
    public TestSilo silo(int index) {
        if (index < 0 || index >= this.silos.size()) {
            throw new IndexOutOfBoundsException("The test cluster has silos 0 to " + (this.silos.size() - 1)
                    + ", not " + index);
        }
        return this.silos.get(index);
    }

    /**
     * Returns every silo started so far, by index, running or not.
     * @return the silos
     */
    public List<TestSilo> silos() {
        return List.copyOf(this.silos);
    }

    /**
     * Returns the silos that run.
     * @return the silos neither stopped nor killed
     */
    public List<TestSilo> runningSilos() {
        return this.silos.stream().filter(TestSilo::isRunning).toList();
    }

    /**
     * Starts one more silo with the cluster's settings; it joins, and the actors of the ranges it takes over
     * move to it.
     * @return the new silo
     */
    public synchronized TestSilo addSilo() {
        return addSilo((builder) -> {
        });
    }

    /**
     * Starts one more silo with the cluster's settings and some of its own.
     * @param runtime what to set on this silo's runtime after the cluster's settings
     * @return the new silo
     */
    public synchronized TestSilo addSilo(Consumer<ActorRuntime.Builder> runtime) {
        int index = this.silos.size();
        TestSilo started = startSilo(index, "silo-" + index, runtime);
        this.silos.add(started);
        return started;
    }

    /**
     * Starts a new incarnation of a silo that was killed or stopped: a new runtime with the same silo id, which
     * joins with a new epoch, as a process restarted with the same {@code quark.cluster.silo.id} does. It
     * replaces the old silo at its index.
     * @param index the silo
     * @return the new incarnation
     * @throws IllegalStateException when the silo still runs
     */
    public synchronized TestSilo restartSilo(int index) {
        TestSilo old = silo(index);
        if (old.isRunning()) {
            throw new IllegalStateException("Silo " + old.siloId() + " still runs: kill or stop it before "
                    + "restarting it");
        }
        // A new process: the isolation of an incarnation paused before it stopped does not carry over.
        this.network.reconnect(old.siloId());
        TestSilo started = startSilo(index, old.siloId(), (builder) -> {
        });
        this.silos.set(index, started);
        return started;
    }

    private TestSilo startSilo(int index, String siloId, Consumer<ActorRuntime.Builder> runtime) {
        Builder settings = this.settings;
        Transport transport = settings.transportOf(siloId, this.network);
        // A transport of the test's own is paused by holding its envelopes; the in-JVM network isolates instead.
        PausableTransport pausable = (settings.transports != null) ? new PausableTransport(transport) : null;
        SiloRouting.Builder routingBuilder = SiloRouting.builder(siloId, (pausable != null) ? pausable : transport)
            .clock(settings.clock);
        settings.routing.accept(routingBuilder);
        SiloRouting routing = routingBuilder.build();
        ActorRuntime.Builder runtimeBuilder = ActorRuntime.builder().clock(settings.clock);
        settings.actors.forEach((implementation, instances) -> register(runtimeBuilder, implementation, instances));
        ClusterReminders reminders = settings.reminders;
        ReminderRegistry registry = (reminders != null) ? reminders.registry() : null;
        if (registry != null) {
            runtimeBuilder.reminders(registry);
        }
        settings.runtime.accept(siloId, runtimeBuilder);
        runtime.accept(runtimeBuilder);
        ActorRuntime silo = routing.configure(runtimeBuilder).build();
        SiloMembershipRole membership = null;
        try {
            SiloAddress address = routing.listen(silo, settings.codec(silo));
            Set<String> types = silo.actorTypes().stream().map(ActorTypeView::name).collect(Collectors.toSet());
            membership = settings.membershipOf(siloId, address, types, routing, silo, this.epochs.incrementAndGet());
            routing.follow(membership.views());
            membership.join(settings.stopTimeout);
            TestSilo started = new TestSilo(index, siloId, silo, routing, membership, address, pausable);
            if (reminders != null && registry != null) {
                started.reminders(reminders.start(siloId, silo, registry, membership.views(), routing));
            }
            return started;
        }
        catch (RuntimeException ex) {
            routing.close();
            if (membership != null) {
                membership.halt();
            }
            silo.close();
            throw ex;
        }
    }

    @SuppressWarnings({ "unchecked", "rawtypes" })
    private static void register(ActorRuntime.Builder builder, Class<?> implementation,
            @Nullable Supplier<?> instances) {
        if (instances == null) {
            builder.actor(implementation);
        }
        else {
            builder.actor((Class) implementation, (Supplier) instances);
        }
    }

    /**
     * Stops a silo gracefully, the way a silo leaves on shutdown: it announces {@code SHUTTING_DOWN}, so that
     * the other silos take over its actors; it deactivates them ({@link DeactivationReason#HANDOFF}), waits
     * for the calls it sent or serves to end, says goodbye to the silos linked to it (over gRPC: they stop sending it
     * calls and get the answers to what they sent before), leaves ({@code DEAD}) and closes. A {@link #pauseSilo(int) paused} silo
     * resumes first.
     * @param index the silo
     */
    public void stopSilo(int index) {
        TestSilo silo = silo(index);
        if (!silo.isRunning()) {
            return;
        }
        Duration timeout = this.settings.stopTimeout;
        ReminderTickManager reminders = silo.remindersOrNull();
        if (reminders != null) {
            reminders.close();
        }
        // A paused silo resumes before it leaves: its network now, its membership agent as the leave starts.
        resumeNetwork(silo);
        silo.membership().leave(() -> silo.runtime()
            .deactivateWhere((address) -> true, DeactivationReason.HANDOFF)
            .thenRunAsync(() -> {
                silo.routing().awaitIdle(timeout);
                silo.routing().sayGoodbye();
            }, HAND_OVER_WAITS), timeout);
        silo.routing().sayGoodbye();
        closeSilo(silo);
    }

    /**
     * Kills a silo: it disappears from the network at once, without a word to the membership table, and its
     * runtime is closed in the background (its turns may still wait for something the test releases later).
     * Its entry stays {@code ACTIVE} until failure detection, or {@link #declareDead(int)}, says otherwise;
     * until then, calls to it fail as to a dead peer.
     * @param index the silo
     */
    public void killSilo(int index) {
        TestSilo silo = silo(index);
        if (!silo.isRunning()) {
            return;
        }
        silo.stopped();
        ReminderTickManager reminders = silo.remindersOrNull();
        if (reminders != null) {
            reminders.halt();
        }
        silo.routing().close();
        silo.membership().halt();
        this.closingRuntimes
            .add(Thread.ofVirtual().name("quark-test-kill-" + silo.siloId()).start(silo.runtime()::close));
    }

    /**
     * Writes a silo's entry as {@code DEAD}, as failure detection does once enough silos suspect it: the
     * ring drops it, its actors move, and calls waiting for its answers fail at once.
     * @param index the silo
     */
    public void declareDead(int index) {
        TableViewSource.setStatus(this.settings.membership, silo(index).siloId(), SiloStatus.DEAD);
    }

    /**
     * Pauses a silo as a long stop-the-world pause would (a garbage collection, a frozen VM): it stops answering and
     * sending, and its membership agent's rounds and table reads are held, so that its peers vote it dead while it
     * still holds its activations and believes itself a member. On the in-JVM network the silo is isolated
     * ({@link InJvmNetwork#isolate(String)}: its peers' sends to it fail at once, as to a host that refuses
     * connections, and what was in flight is lost); on a {@link Builder#transport(Function) transport} of the test's
     * own (gRPC, say) its envelopes are held instead, both ways: its peers' probes and calls wait for answers that do
     * not come, and what it received or sent meanwhile is handed over and sent late when it resumes, as a real pause
     * leaves it in the sockets' buffers. Unlike a real pause, turns already running go on (they meet the cut network,
     * or their sends are held), and so does the agent's job that runs at that moment, with the jobs queued behind it
     * (one at a time, a table read or write); a test that wants the turns held as well holds what they wait for, such
     * as their state store.
     * @param index the silo
     * @throws IllegalStateException when the cluster was built without
     * {@link Builder#failureDetection() failure detection} (there are no rounds to pause), or the silo does not run
     */
    public void pauseSilo(int index) {
        TestSilo silo = pausable(index);
        // The agent first: a probe round between the two would count its healthy peers' links as failed.
        silo.membership().pause();
        PausableTransport transport = silo.pausableTransport();
        if (transport != null) {
            transport.pause();
        }
        else {
            this.network.isolate(silo.siloId());
        }
    }

    /**
     * Ends a silo's {@link #pauseSilo(int) pause}: its network links are up again (on a transport of the test's own,
     * what it held is handed over and sent, on the calling thread) and what its membership agent held runs late, as
     * after a real pause. If its peers voted it dead meanwhile, it learns so, drops its
     * activations without saving (as the starter's silos do) and rejoins with a new epoch.
     * @param index the silo
     * @throws IllegalStateException as {@link #pauseSilo(int)}
     */
    public void resumeSilo(int index) {
        TestSilo silo = pausable(index);
        resumeNetwork(silo);
        silo.membership().resume();
    }

    private void resumeNetwork(TestSilo silo) {
        PausableTransport transport = silo.pausableTransport();
        if (transport != null) {
            transport.resume();
        }
        else {
            this.network.reconnect(silo.siloId());
        }
    }

    private TestSilo pausable(int index) {
        TestSilo silo = silo(index);
        if (!silo.isRunning()) {
            throw new IllegalStateException("Silo " + silo.siloId() + " does not run: only a running silo can be "
                    + "paused or resumed");
        }
        if (this.settings.failureDetection == null) {
            throw new IllegalStateException("Silo " + silo.siloId() + " has no membership agent whose rounds could be "
                    + "paused: build the test cluster with failureDetection() to pause silos");
        }
        return silo;
    }

    private static void closeSilo(TestSilo silo) {
        ReminderTickManager reminders = silo.remindersOrNull();
        if (reminders != null) {
            reminders.close();
        }
        silo.stopped();
        silo.routing().close();
        silo.membership().halt();
        silo.runtime().close();
    }

    /**
     * Returns the network the silos talk over, to cut and heal links between them; unused when the cluster was
     * built with a {@link Builder#transport(Function) transport} of its own.
     * @return the network
     */
    public InJvmNetwork network() {
        return this.network;
    }

    /**
     * Returns the reminder table the silos share.
     * @return the table
     * @throws IllegalStateException when the cluster was built without {@link Builder#reminders()}
     */
    public ReminderTable reminderTable() {
        ClusterReminders reminders = this.settings.reminders;
        if (reminders == null) {
            throw new IllegalStateException("The test cluster has no reminders: build it with "
                    + "TestCluster.builder().reminders()");
        }
        return reminders.table();
    }

    /**
     * Returns the cluster's membership table.
     * @return the table
     */
    public MembershipProvider membership() {
        return this.settings.membership;
    }

    /**
     * Closes every silo that still runs, without the graceful hand-over, and the network.
     */
    @Override
    public void close() {
        for (TestSilo silo : this.silos) {
            if (silo.isRunning()) {
                closeSilo(silo);
            }
        }
        for (Thread closing : this.closingRuntimes) {
            try {
                closing.join(this.settings.stopTimeout);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        this.network.close();
    }

    /**
     * Builds a {@link TestCluster}.
     */
    public static final class Builder {

        private int initialSilos = 2;

        private final Map<Class<?>, @Nullable Supplier<?>> actors = new LinkedHashMap<>();

        private BiConsumer<String, ActorRuntime.Builder> runtime = (siloId, builder) -> {
        };

        private Consumer<SiloRouting.Builder> routing = (builder) -> {
        };

        private @Nullable Function<ActorRuntime, PayloadCodec> codecs;

        private @Nullable Function<String, Transport> transports;

        private final List<String> exceptionPackages = new ArrayList<>();

        private MembershipProvider membership = new InMemoryMembershipProvider();

        private int virtualNodes = 150;

        private Clock clock = Clock.systemUTC();

        private Duration stopTimeout = Duration.ofSeconds(10);

        private @Nullable Consumer<MembershipSettings.Builder> failureDetection;

        private @Nullable ClusterReminders reminders;

        private @Nullable ReminderTable reminderTable;

        private ReminderSettings reminderSettings = ReminderSettings.DEFAULTS;

        private Duration reminderLeaseDuration = Duration.ofSeconds(10);

        private @Nullable LeaseStore reminderLeases;

        private Builder() {
        }

        /**
         * Gives the silos persistent reminders on one in-memory table: each silo's actors register reminders in
         * it, and each silo runs a {@link ReminderTickManager} ({@link TestSilo#reminders()}) that fires the
         * buckets the ring of its current view gives it, under one lease per bucket on a lease store the silos
         * share, as the Spring Boot starter does with {@code quark.cluster.enabled=true}; a registration made on one
         * silo is sent to the owner of its bucket at once ({@link dev.quark.reminder.ReminderNotices}). A stopped
         * silo writes its next ticks and releases its buckets; a killed one stops at once and its buckets come back
         * to the others once their leases expire.
         * @return this builder
         */
        public Builder reminders() {
            return reminders(new InMemoryReminderTable(), ReminderSettings.DEFAULTS, Duration.ofSeconds(10));
        }

        /**
         * Gives the silos persistent reminders on a table of the test's choosing (a Redis or PostgreSQL one to test
         * against real servers), with the tick managers' settings and the duration of their bucket leases.
         * @param table the table the silos share
         * @param settings the tick managers' settings
         * @param leaseDuration how long a bucket lease lasts unless renewed; at least 100 ms. A killed silo's
         * reminders fire again on the others once it has passed (and the silo was declared dead)
         * @return this builder
         * @see #reminders()
         */
        public Builder reminders(ReminderTable table, ReminderSettings settings, Duration leaseDuration) {
            return reminders(table, settings, leaseDuration, null);
        }

        /**
         * Gives the silos persistent reminders on a table of the test's choosing, with the bucket leases on a lease
         * store of the test's choosing too: a Redis or PostgreSQL one, or one that a test swaps or breaks (a store
         * that lost its tokens).
         * @param table the table the silos share
         * @param settings the tick managers' settings
         * @param leaseDuration how long a bucket lease lasts unless renewed; at least 100 ms
         * @param leases the lease store the silos share; {@code null} for an in-memory one on the cluster's clock
         * @return this builder
         * @see #reminders(ReminderTable, ReminderSettings, Duration)
         */
        public Builder reminders(ReminderTable table, ReminderSettings settings, Duration leaseDuration,
                @Nullable LeaseStore leases) {
            Objects.requireNonNull(table, "table must not be null");
            Objects.requireNonNull(settings, "settings must not be null");
            Objects.requireNonNull(leaseDuration, "leaseDuration must not be null");
            if (leaseDuration.compareTo(Duration.ofMillis(100)) < 0) {
                throw new IllegalArgumentException("The reminder lease duration must be at least 100ms, was "
                        + leaseDuration);
            }
            this.reminderTable = table;
            this.reminderSettings = settings;
            this.reminderLeaseDuration = leaseDuration;
            this.reminderLeases = leases;
            return this;
        }

        /**
         * Sets how many silos start with the cluster. Default: 2.
         * @param count at least 1
         * @return this builder
         */
        public Builder silos(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("A test cluster starts with at least 1 silo, not " + count);
            }
            this.initialSilos = count;
            return this;
        }

        /**
         * Registers an actor implementation on every silo, created with its no-argument constructor.
         * @param implementation the implementation class
         * @return this builder
         */
        public Builder actor(Class<?> implementation) {
            this.actors.put(Objects.requireNonNull(implementation, "implementation must not be null"), null);
            return this;
        }

        /**
         * Registers an actor implementation on every silo, created by a supplier: one instance per
         * activation, whichever silo it is on.
         * @param implementation the implementation class
         * @param instances supplies a new instance per activation
         * @param <T> the implementation type
         * @return this builder
         */
        public <T> Builder actor(Class<T> implementation, Supplier<? extends T> instances) {
            Objects.requireNonNull(instances, "instances must not be null");
            this.actors.put(Objects.requireNonNull(implementation, "implementation must not be null"), instances);
            return this;
        }

        /**
         * Sets what else every silo's runtime is built with (timeouts, filters, activation hooks, ...).
         * @param runtime applied to each silo's runtime builder
         * @return this builder
         */
        public Builder runtime(Consumer<ActorRuntime.Builder> runtime) {
            Objects.requireNonNull(runtime, "runtime must not be null");
            return runtime((siloId, builder) -> runtime.accept(builder));
        }

        /**
         * Sets what else every silo's runtime is built with, knowing the silo: for instance actors whose
         * instances record where they run.
         * @param runtime applied to each silo's id and runtime builder
         * @return this builder
         */
        public Builder runtime(BiConsumer<String, ActorRuntime.Builder> runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime must not be null");
            return this;
        }

        /**
         * Sets what else every silo's routing is built with (hand-off window, forwards, placement).
         * @param routing applied to each silo's routing builder
         * @return this builder
         */
        public Builder routing(Consumer<SiloRouting.Builder> routing) {
            this.routing = Objects.requireNonNull(routing, "routing must not be null");
            return this;
        }

        /**
         * Sets how each silo turns calls into bytes: a codec per silo, bound to its runtime (references
         * passed as arguments become references of the receiving silo). Default: a
         * {@link JacksonPayloadCodec} on a plain {@link JsonMapper}, which rebuilds Quark's and the JDK's
         * exceptions and those of the {@link #allowedExceptionPackages(String...) allowed packages}.
         * @param codecs makes the codec of a silo from its runtime
         * @return this builder
         */
        public Builder codec(Function<ActorRuntime, PayloadCodec> codecs) {
            this.codecs = Objects.requireNonNull(codecs, "codecs must not be null");
            return this;
        }

        /**
         * Adds the packages whose exceptions the default codec rebuilds as themselves when a call fails on
         * another silo (with their sub-packages); others arrive as a
         * {@link dev.quark.cluster.transport.RemoteActorException}.
         * @param packages package names, e.g. {@code com.example.bank}
         * @return this builder
         */
        public Builder allowedExceptionPackages(String... packages) {
            this.exceptionPackages.addAll(List.of(packages));
            return this;
        }

        /**
         * Gives every silo a membership agent ({@link SiloMembership}) with its default timings: heartbeats,
         * probes through the silo's transport, votes and self-fencing, so that a killed silo is declared dead
         * by its peers within seconds. Without it, membership is what the silos write themselves and a killed
         * silo stays {@code ACTIVE} until {@link TestCluster#declareDead(int)}.
         * @return this builder
         */
        public Builder failureDetection() {
            return failureDetection((settings) -> {
            });
        }

        /**
         * Gives every silo a membership agent ({@link SiloMembership}) with timings of the test's choosing.
         * @param settings sets the agent's timings (probe interval, missed probes, ...)
         * @return this builder
         */
        public Builder failureDetection(Consumer<MembershipSettings.Builder> settings) {
            this.failureDetection = Objects.requireNonNull(settings, "settings must not be null");
            return this;
        }

        SiloMembershipRole membershipOf(String siloId, SiloAddress address, Set<String> actorTypes,
                SiloRouting routing, ActorRuntime runtime, long epoch) {
            Consumer<MembershipSettings.Builder> agentSettings = this.failureDetection;
            if (agentSettings == null) {
                return new TableMembershipRole(this.membership, siloId, address, epoch, actorTypes, this.virtualNodes,
                        this.clock.instant());
            }
            MembershipSettings.Builder settings = MembershipSettings.builder(siloId, address)
                .actorTypes(actorTypes)
                .virtualNodes(this.virtualNodes)
                .transportSecurity(routing.transportSecurity());
            agentSettings.accept(settings);
            MembershipSettings built = settings.build();
            SiloPause pause = new SiloPause(siloId, this.clock);
            SiloMembership agent = SiloMembership.builder(built, this.membership, routing.prober())
                .clock(this.clock)
                .scheduler(pause.scheduler())
                .executor(pause.executor())
                .build();
            // As the starter does: a silo that learns it was declared dead runs none of its actors' code any more.
            agent.addListener(new DeadSiloActivations(runtime));
            return new AgentMembershipRole(agent, pause);
        }

        /**
         * Sets the membership table the silos share. Default: a new in-memory table.
         * @param membership the table; a Redis or PostgreSQL one to test against real servers
         * @return this builder
         */
        public Builder membership(MembershipProvider membership) {
            this.membership = Objects.requireNonNull(membership, "membership must not be null");
            return this;
        }

        /**
         * Sets the points per silo on the hash ring. Default: 150.
         * @param virtualNodes at least 1
         * @return this builder
         */
        public Builder virtualNodes(int virtualNodes) {
            if (virtualNodes < 1) {
                throw new IllegalArgumentException("virtualNodes must be at least 1, was " + virtualNodes);
            }
            this.virtualNodes = virtualNodes;
            return this;
        }

        /**
         * Sets the clock of every silo's runtime and routing. Default: the system UTC clock.
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock must not be null");
            return this;
        }

        /**
         * Sets how long {@link TestCluster#stopSilo(int)} waits for actors to hand over and calls to end, and a
         * silo for its join; a silo with a membership agent ({@link #failureDetection}) waits for its join at
         * least as long as the agent's check may last, plus a margin. Default: 10 seconds.
         * @param stopTimeout a positive duration
         * @return this builder
         */
        public Builder stopTimeout(Duration stopTimeout) {
            Objects.requireNonNull(stopTimeout, "stopTimeout must not be null");
            if (stopTimeout.isNegative() || stopTimeout.isZero()) {
                throw new IllegalArgumentException("stopTimeout must be positive, was " + stopTimeout);
            }
            this.stopTimeout = stopTimeout;
            return this;
        }

        /**
         * Sets the transport each silo talks over, made for each new silo and not started yet: for instance a
         * self-hosted {@code GrpcTransport} bound to {@code 127.0.0.1} and port 0, so that calls, answers, probes
         * and hand-offs between the silos go through the network stack. A silo's routing starts its transport
         * and closes it when the silo stops or is killed. Default: a transport of the cluster's
         * {@link InJvmNetwork}; with another one, {@link TestCluster#network()} cuts and heals nothing between
         * the silos.
         * @param transports makes the transport of a silo from its id
         * @return this builder
         */
        public Builder transport(Function<String, Transport> transports) {
            this.transports = Objects.requireNonNull(transports, "transports must not be null");
            return this;
        }

        Transport transportOf(String siloId, InJvmNetwork network) {
            Function<String, Transport> factory = this.transports;
            if (factory == null) {
                return network.transport();
            }
            return Objects.requireNonNull(factory.apply(siloId), "the transport factory returned null");
        }

        PayloadCodec codec(ActorRuntime runtime) {
            Function<ActorRuntime, PayloadCodec> factory = this.codecs;
            if (factory == null) {
                return new JacksonPayloadCodec(JsonMapper.builder().build(), runtime, this.exceptionPackages);
            }
            return Objects.requireNonNull(factory.apply(runtime), "the codec factory returned null");
        }

        /**
         * Starts the cluster: its silos, one after another.
         * @return the running cluster
         */
        public TestCluster build() {
            ReminderTable table = this.reminderTable;
            this.reminders = (table != null)
                    ? new ClusterReminders(table, this.reminderSettings, this.reminderLeaseDuration, this.clock,
                            this.reminderLeases) : null;
            TestCluster cluster = new TestCluster(this);
            try {
                for (int i = 0; i < this.initialSilos; i++) {
                    cluster.addSilo();
                }
            }
            catch (RuntimeException ex) {
                cluster.close();
                throw ex;
            }
            return cluster;
        }
    }
}
