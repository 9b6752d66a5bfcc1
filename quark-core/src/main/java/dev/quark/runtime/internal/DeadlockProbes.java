package dev.quark.runtime.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.actor.DeadlockException;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.routing.DeadlockVictim;
import dev.quark.runtime.routing.RemoteWaits;
import dev.quark.runtime.routing.WaitProbe;
import dev.quark.runtime.routing.WaitStep;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deadlock detection across silos by edge chasing (Chandy–Misra–Haas): when a turn's look for a cycle reaches a
 * call that went to another silo, a {@link WaitProbe} carries the path there; that silo goes on through its own
 * wait-for graph from where the call waits and passes the probe on to the next silo, until the path comes back
 * to the waiting turn on its own silo (a cycle), ends, grows past {@link WaitProbe#MAX_PATH} edges or repeats an
 * edge.
 * <p>
 * Like a cycle found in one silo, a cycle must be seen on two consecutive looks of the waiting turn, with the
 * same victim, before it is broken: the call of the chain with the highest id among those waiting in a mailbox,
 * failed by the silo it waits on with a {@link DeadlockException} naming the actors of the cycle. Nothing of this
 * runs on the call path: probes leave only from a look, after a nested call waited, one per call to another silo
 * it reached (at most {@link DeadlockDetector#MAX_FRONTIER} per look, and as many onwards from each silo a probe
 * passes), within a silo's {@link ProbeBudget} per look interval.
 */
public final class DeadlockProbes {

    private static final Logger logger = LoggerFactory.getLogger(DeadlockProbes.class);

    private final RemoteWaits remote;

    private final ActivationCatalog catalog;

    private final ActorRegistry registry;

    private final RelocatedCalls relocated;

    private final ProbeBudget budget;

    private final ActorMetrics metrics;

    private final AtomicBoolean warnedOverBudget = new AtomicBoolean();

    private final AtomicLong nextOrigin = new AtomicLong(1);

    private final Map<Long, Origin> origins = new ConcurrentHashMap<>();

    private final AtomicBoolean warned = new AtomicBoolean();

    /**
     * Creates the probes of a runtime.
     * @param remote what carries probes and victims to other silos; {@link RemoteWaits#NONE} for one silo
     * @param catalog the runtime's activations
     * @param registry the runtime's actor types
     */
    public DeadlockProbes(RemoteWaits remote, ActivationCatalog catalog, ActorRegistry registry) {
        this(remote, catalog, registry, catalog.relocatedCalls(), new ProbeBudget(), catalog.settings().metrics());
    }

    DeadlockProbes(RemoteWaits remote, ActivationCatalog catalog, ActorRegistry registry, RelocatedCalls relocated) {
        this(remote, catalog, registry, relocated, new ProbeBudget(), ActorMetrics.NONE);
    }

    DeadlockProbes(RemoteWaits remote, ActivationCatalog catalog, ActorRegistry registry, RelocatedCalls relocated,
            ProbeBudget budget, ActorMetrics metrics) {
        this.remote = remote;
        this.catalog = catalog;
        this.registry = registry;
        this.relocated = relocated;
        this.budget = budget;
        this.metrics = metrics;
    }

    /**
     * Returns whether there are other silos to probe.
     */
    boolean isEnabled() {
        return this.remote != RemoteWaits.NONE;
    }

    /**
     * Sends the probes of one look of a waiting turn that found no cycle in this silo: one for each call to
     * another silo the look reached.
     * @param origin what the turn's earlier looks registered, or {@code null} before the first probe
     * @param turn the waiting turn
     * @param frontier the calls to other silos the look reached
     * @return what to pass to the next look and, once the wait ends, to {@link #forget}
     */
    @Nullable Origin look(@Nullable Origin origin, Invocation turn, List<DeadlockDetector.Frontier> frontier) {
        if (origin == null && frontier.isEmpty()) {
            return null;
        }
        long id = (origin != null) ? origin.id : this.nextOrigin.getAndIncrement();
        long look = (origin != null) ? origin.looks() + 1 : 1;
        String self = this.remote.siloId();
        // A set: two frontier entries may be the same call reached the same way (through two workers of a pool).
        Set<Sending> probes = new LinkedHashSet<>();
        for (DeadlockDetector.Frontier reached : frontier) {
            List<WaitStep> path = extend(List.of(), reached.waits());
            if (!path.isEmpty() && path.size() <= WaitProbe.MAX_PATH) {
                probes.add(new Sending(reached.silo(),
                        new WaitProbe(self, id, look, reached.address(), reached.chainId(), path)));
            }
        }
        Origin registered = origin;
        if (registered == null) {
            registered = new Origin(id, turn);
            this.origins.put(id, registered);
        }
        registered.nextLook();
        for (Sending sending : probes) {
            send(sending.silo(), sending.probe());
        }
        return registered;
    }

    /**
     * Sends a probe this silo starts; one over this silo's {@link ProbeBudget} or that cannot be sent is dropped and
     * never fails the waiting call.
     */
    private void send(String silo, WaitProbe probe) {
        if (!this.budget.spend()) {
            this.metrics.deadlockProbeDropped();
            if (this.warnedOverBudget.compareAndSet(false, true)) {
                logger.warn("Dropped deadlock probes over this silo's budget of {} per look interval (many calls wait "
                        + "on other silos at once): probes are admitted at random meanwhile, so cycles take longer to "
                        + "find, some only by the call timeout. Later drops are logged at debug", this.budget.limit());
            }
            else {
                logger.debug("Dropped a deadlock probe to silo {} over the budget", silo);
            }
            return;
        }
        relay(silo, probe);
    }

    /** Sends a probe, outside the budget: one relayed as it came; one that cannot be sent is dropped. */
    private void relay(String silo, WaitProbe probe) {
        try {
            this.remote.probe(silo, probe);
        }
        catch (RuntimeException ex) {
            dropped("a deadlock probe to silo " + silo, ex);
        }
    }

    private void dropped(String what, RuntimeException ex) {
        if (this.warned.compareAndSet(false, true)) {
            logger.warn("Dropped {} (deadlock detection is a hint; later ones are logged at debug): {}", what,
                    ex.toString());
        }
        else {
            logger.debug("Dropped {}: {}", what, ex.toString());
        }
    }

    /** How many waiting turns have probes out, for tests. */
    int origins() {
        return this.origins.size();
    }

    private record Sending(String silo, WaitProbe probe) {
    }

    /**
     * Forgets a waiting turn whose wait ended: probes that come back for it are dropped.
     */
    void forget(@Nullable Origin origin) {
        if (origin != null) {
            this.origins.remove(origin.id, origin);
        }
    }

    /**
     * Goes on with a probe from the call it names (see {@link dev.quark.runtime.routing.InboundCalls#probe}); when
     * no activation here runs or holds that call, sends the probe as it came to the silo the activation gate relocated
     * the call to ({@link RelocatedCalls}), or hands it to {@link RemoteWaits#passOn(WaitProbe)}.
     */
    void probed(WaitProbe probe) {
        String self = this.remote.siloId();
        Origin origin = null;
        if (probe.initiatorSilo().equals(self)) {
            origin = this.origins.get(probe.initiatorId());
            if (origin == null) {
                return;
            }
        }
        List<DeadlockDetector.Frontier> frontier = new ArrayList<>();
        boolean here = false;
        boolean blocked = false;
        List<DeadlockDetector.Wait> cycle = null;
        // A stateless worker's call runs or waits on any activation of its pool: the probe goes on from each.
        for (Activation target : activations(probe.address())) {
            DeadlockDetector.Continuation found = DeadlockDetector.continueAt((origin != null) ? origin.turn : null,
                    target, probe.callChainId(), probe.path().getLast().method(), frontier);
            here |= found.found();
            blocked |= found.blocked();
            if (found.cycle() != null) {
                blocked = found.blocked();
                cycle = found.cycle();
                break;
            }
        }
        if (!here) {
            passOn(probe);
            return;
        }
        List<WaitStep> path = probe.path();
        if (blocked) {
            List<WaitStep> marked = new ArrayList<>(path);
            marked.set(marked.size() - 1, path.getLast().asBlocked());
            path = marked;
        }
        if (cycle != null) {
            if (origin != null) {
                List<WaitStep> closed = extend(path, cycle);
                WaitStep victim = origin.cycleSeen(probe.look(), closed);
                if (victim != null) {
                    breakCycle(closed, victim);
                }
            }
            return;
        }
        Set<Sending> onwards = new LinkedHashSet<>();
        for (DeadlockDetector.Frontier reached : frontier) {
            List<WaitStep> extended = extend(path, reached.waits());
            if (extended.size() <= WaitProbe.MAX_PATH && !repeats(extended, path.size())) {
                onwards.add(new Sending(reached.silo(), new WaitProbe(probe.initiatorSilo(), probe.initiatorId(),
                        probe.look(), reached.address(), reached.chainId(), extended)));
            }
        }
        for (Sending sending : onwards) {
            send(sending.silo(), sending.probe());
        }
    }

    /**
     * Fails a deadlock's victim if it still waits here (see
     * {@link dev.quark.runtime.routing.InboundCalls#breakDeadlock}); when no activation here runs or holds that call,
     * sends the victim on to the silo the activation gate relocated the call to, or hands it to
     * {@link RemoteWaits#passOn(DeadlockVictim)}.
     */
    void breakDeadlock(DeadlockVictim victim) {
        List<Activation> targets = activations(victim.address());
        for (Activation target : targets) {
            Invocation call = target.waitingOf(victim.callChainId(), victim.method());
            if (call != null) {
                if (call.completeExceptionally(new DeadlockException(victim.actors(), victim.description()))) {
                    this.metrics.deadlockBroken(true);
                }
                return;
            }
        }
        for (Activation target : targets) {
            if (runs(target, victim)) {
                return;
            }
        }
        RelocatedCalls.Relocated relocatedCall = this.relocated.find(victim.address(), victim.callChainId(),
                victim.method());
        try {
            if (relocatedCall == null) {
                this.remote.passOn(victim);
            }
            else if (this.relocated.firstRelayOf(relocatedCall, victim)) {
                this.remote.breakDeadlock(relocatedCall.siloId(), victim);
            }
        }
        catch (RuntimeException ex) {
            dropped("a deadlock victim notice passed on", ex);
        }
    }

    /** Whether a turn of the victim's chain and method runs on an activation: it started, and is no victim now. */
    private static boolean runs(Activation target, DeadlockVictim victim) {
        for (Invocation turn : target.turnsInProgress()) {
            if (DeadlockDetector.runsCall(turn, victim.callChainId(), victim.method())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Passes a probe on for a call this silo neither runs nor holds: to the silo this one relocated the call to, or to
     * {@link RemoteWaits#passOn(WaitProbe)}; one that cannot be sent is dropped.
     */
    private void passOn(WaitProbe probe) {
        RelocatedCalls.Relocated relocatedCall = this.relocated.find(probe.address(), probe.callChainId(),
                probe.path().getLast().method());
        if (relocatedCall != null) {
            if (this.relocated.firstRelayOf(relocatedCall, probe)) {
                relay(relocatedCall.siloId(), probe);
            }
            return;
        }
        try {
            this.remote.passOn(probe);
        }
        catch (RuntimeException ex) {
            dropped("a deadlock probe passed on", ex);
        }
    }

    private void breakCycle(List<WaitStep> cycle, WaitStep victim) {
        List<String> actors = new ArrayList<>();
        StringBuilder description = new StringBuilder();
        for (WaitStep step : cycle) {
            if (!actors.contains(step.heldActor())) {
                actors.add(step.heldActor());
            }
            if (!description.isEmpty()) {
                description.append("; ");
            }
            description.append(step.describe());
        }
        description.append(". Failing the call to ").append(victim.calledActor()).append('.').append(victim.method())
            .append("() of chain ").append(Long.toHexString(victim.callChainId()));
        DeadlockVictim failed = new DeadlockVictim(victim.calledActor(), victim.callChainId(), victim.method(),
                actors, description.toString());
        if (victim.callSilo().equals(this.remote.siloId())) {
            breakDeadlock(failed);
        }
        else {
            try {
                this.remote.breakDeadlock(victim.callSilo(), failed);
            }
            catch (RuntimeException ex) {
                dropped("a deadlock victim notice to silo " + victim.callSilo(), ex);
            }
        }
    }

    /** The actor's activation on this silo, or every activation of a stateless worker's pool here. */
    private List<Activation> activations(ActorAddress address) {
        ActorType type = this.registry.type(address.typeName());
        return (type != null) ? this.catalog.activationsOf(new ActorIdentity(type, address.id())) : List.of();
    }

    private List<WaitStep> extend(List<WaitStep> path, List<DeadlockDetector.Wait> waits) {
        String self = this.remote.siloId();
        List<WaitStep> extended = new ArrayList<>(path.size() + waits.size());
        extended.addAll(path);
        for (DeadlockDetector.Wait wait : waits) {
            extended.add(wait.step(self));
        }
        return extended;
    }

    /** Whether an edge this silo added is one the path had already: the probe goes round a cycle without its initiator. */
    private static boolean repeats(List<WaitStep> path, int received) {
        for (int added = received; added < path.size(); added++) {
            for (int earlier = 0; earlier < added; earlier++) {
                if (path.get(added).sameWait(path.get(earlier))) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The victim of a cycle: the call of the highest chain among those waiting in a mailbox, which every silo of
     * the cycle picks alike.
     */
    static @Nullable WaitStep victimOf(List<WaitStep> cycle) {
        WaitStep victim = null;
        for (WaitStep step : cycle) {
            if (step.blocked() && (victim == null || step.callChainId() > victim.callChainId())) {
                victim = step;
            }
        }
        return victim;
    }

    /**
     * A waiting turn that sent probes: its looks and the cycle its last look's probes found.
     */
    static final class Origin {

        private final long id;

        private final Invocation turn;

        private long looks;

        private long cycleLook = -1;

        private @Nullable WaitStep suspect;

        Origin(long id, Invocation turn) {
            this.id = id;
            this.turn = turn;
        }

        synchronized long nextLook() {
            return ++this.looks;
        }

        synchronized long looks() {
            return this.looks;
        }

        /**
         * Records a cycle a probe of a look found.
         * @return the victim to fail when the look before found the same one, else {@code null}
         */
        synchronized @Nullable WaitStep cycleSeen(long look, List<WaitStep> cycle) {
            WaitStep victim = victimOf(cycle);
            if (victim == null || look <= this.cycleLook) {
                return null;
            }
            WaitStep previous = this.suspect;
            boolean confirmed = look == this.cycleLook + 1 && previous != null && previous.sameWait(victim)
                    && previous.callSilo().equals(victim.callSilo());
            this.cycleLook = look;
            // Once broken, the cycle must be seen on two more consecutive looks before another victim is failed.
            this.suspect = confirmed ? null : victim;
            return confirmed ? victim : null;
        }
    }
}
