package dev.quark.runtime.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.ActorRef;
import dev.quark.actor.DeactivationReason;
import dev.quark.runtime.routing.ActivationGate;
import dev.quark.supervision.Directive;
import dev.quark.supervision.SupervisorStrategy;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervision tree of this silo: which parent supervises which child, with the parent's strategy and
 * the child's restart history, and the decisions taken when a child fails.
 * <p>
 * A decision applies to the failing child alone or to its siblings too, by the strategy's scope. A restart
 * beyond the strategy's limit becomes a stop followed by an escalation: the parent's
 * {@code onChildEscalation} runs as one of its turns, and by default rethrows, so the grandparent decides.
 * Top-level actors have no supervisor: their failures change nothing (resume).
 */
final class Supervision {

    private static final Logger logger = LoggerFactory.getLogger(Supervision.class);

    private final ActivationCatalog catalog;

    private final ActorRegistry registry;

    private final Map<ActorIdentity, ChildRecord> supervisors = new ConcurrentHashMap<>();

    private final Map<ActorIdentity, List<ActorIdentity>> children = new ConcurrentHashMap<>();

    Supervision(ActivationCatalog catalog, ActorRegistry registry) {
        this.catalog = catalog;
        this.registry = registry;
    }

    <T extends Actor> T spawn(Activation parent, Class<T> contract, String childId) {
        if (childId == null || childId.isBlank()) {
            throw new IllegalArgumentException("Child id must not be " + ((childId == null) ? "null" : "blank")
                    + " (parent " + parent.identity + ", contract " + contract.getName() + ")");
        }
        ActorIdentity child = this.registry.identity(contract, childId);
        for (ActorIdentity ancestor = parent.identity; ancestor != null; ancestor = supervisorOf(ancestor)) {
            if (ancestor.equals(child)) {
                throw new IllegalStateException(parent.identity + " cannot spawn " + child
                        + " as a child: it is " + parent.identity + " itself or one of its supervisors");
            }
        }
        List<ActorIdentity> siblings = this.children.computeIfAbsent(parent.identity,
                (key) -> new CopyOnWriteArrayList<>());
        ChildRecord record = new ChildRecord(parent.identity, strategyOf(parent));
        ChildRecord existing = this.supervisors.putIfAbsent(child, record);
        if (existing != null && !existing.parent().equals(parent.identity)) {
            throw new IllegalStateException(child + " is already supervised by " + existing.parent()
                    + "; a child has exactly one supervisor");
        }
        if (existing == null) {
            siblings.add(child);
            placeWithParent(child);
        }
        return this.catalog.references().reference(contract, childId);
    }

    /**
     * Lets the activation gate place a child on its parent's silo (a cluster records it in its directory, before
     * the child's first activation); a gate that fails leaves the child placed as any actor of its type.
     */
    private void placeWithParent(ActorIdentity child) {
        ActivationGate gate = this.catalog.settings().activationGate();
        if (gate == ActivationGate.OPEN) {
            return;
        }
        try {
            gate.childSpawned(child.address());
        }
        catch (RuntimeException ex) {
            logger.warn("The activation gate failed to place child {} with its parent", child, ex);
        }
    }

    private static SupervisorStrategy strategyOf(Activation parent) {
        Object instance = parent.instance();
        return (instance instanceof AbstractActor actor) ? ActorAccess.hooks().supervisorStrategy(actor)
                : SupervisorStrategy.defaults();
    }

    private @Nullable ActorIdentity supervisorOf(ActorIdentity child) {
        ChildRecord record = this.supervisors.get(child);
        return (record != null) ? record.parent() : null;
    }

    List<ActorRef> childrenOf(Activation parent) {
        List<ActorIdentity> identities = this.children.getOrDefault(parent.identity, List.of());
        List<ActorRef> references = new ArrayList<>(identities.size());
        for (ActorIdentity child : identities) {
            Class<? extends Actor> contract = child.type().contracts().getFirst();
            references.add((ActorRef) this.catalog.references().reference(contract, child.id()));
        }
        return references;
    }

    /**
     * Decides about a child whose turn threw. Called on the child's thread, which still owns it, so a
     * restart or stop of the child itself takes effect when the turn has ended.
     */
    void turnFailed(Activation child, Throwable failure) {
        ChildRecord record = this.supervisors.get(child.identity);
        if (record == null) {
            logger.debug("{} failed a turn; top-level actors resume", child.identity, failure);
            return;
        }
        Decision decision = decide(record, child.identity, failure);
        apply(record, child, decision, failure);
    }

    /**
     * Decides about a child whose activation failed.
     * @return the delay after which to try activating it again, or {@code null} when it is not restarted
     */
    @Nullable Duration activationFailed(Activation child, Throwable failure) {
        ChildRecord record = this.supervisors.get(child.identity);
        if (record == null) {
            return null;
        }
        Decision decision = decide(record, child.identity, failure);
        for (ActorIdentity sibling : affectedSiblings(record, child.identity)) {
            applyToSibling(sibling, decision.directive());
        }
        if (decision.escalate()) {
            escalate(record, child.identity, failure);
        }
        return (decision.directive() == Directive.RESTART) ? decision.delay() : null;
    }

    private Decision decide(ChildRecord record, ActorIdentity child, Throwable failure) {
        SupervisorStrategy strategy = record.strategy();
        Directive directive;
        try {
            directive = strategy.decider().decide(failure);
        }
        catch (RuntimeException ex) {
            logger.warn("The supervision decider of {} failed for {}; escalating", record.parent(), child, ex);
            directive = null;
        }
        if (directive == null) {
            directive = Directive.ESCALATE;
        }
        Duration delay = Duration.ZERO;
        boolean limitReached = false;
        String detail = "";
        if (directive == Directive.RESTART) {
            Instant now = this.catalog.settings().clock().instant();
            int restart = record.history().record(now, strategy.maxRestarts(), strategy.window());
            if (restart < 0) {
                directive = Directive.STOP;
                limitReached = true;
                detail = " (restart limit of " + strategy.maxRestarts() + " within " + strategy.window()
                        + " reached: stopping and escalating to " + record.parent() + ")";
            }
            else {
                delay = strategy.backoff().delay(restart, ThreadLocalRandom.current());
                detail = " (restart " + restart + " of " + strategy.maxRestarts() + " within " + strategy.window()
                        + ", after " + delay.toMillis() + " ms)";
            }
        }
        logger.info("Supervisor {} decided {} for {} after {}{}", record.parent(), directive, child, failure,
                detail);
        this.catalog.settings().metrics().supervisionDecision(child.type().name(), directive);
        return new Decision(directive, delay, limitReached || directive == Directive.ESCALATE);
    }

    private void apply(ChildRecord record, Activation child, Decision decision, Throwable failure) {
        switch (decision.directive()) {
            case RESTART -> child.requestRestart(decision.delay());
            case STOP -> child.requestDeactivation(DeactivationReason.FAILURE);
            default -> {
            }
        }
        for (ActorIdentity sibling : affectedSiblings(record, child.identity)) {
            applyToSibling(sibling, decision.directive());
        }
        if (decision.escalate()) {
            escalate(record, child.identity, failure);
        }
    }

    private void applyToSibling(ActorIdentity sibling, Directive directive) {
        Activation activation = this.catalog.find(sibling);
        if (activation == null) {
            return;
        }
        if (directive == Directive.RESTART && activation.requestRestart(Duration.ZERO)) {
            this.catalog.startDrain(activation, Activation.lifecycleToken());
        }
        else if (directive == Directive.STOP && activation.requestDeactivation(DeactivationReason.FAILURE)) {
            this.catalog.startDeactivation(activation, DeactivationReason.FAILURE);
        }
    }

    private List<ActorIdentity> affectedSiblings(ChildRecord record, ActorIdentity child) {
        List<ActorIdentity> all = this.children.getOrDefault(record.parent(), List.of());
        return switch (record.strategy().scope()) {
            case ONE_FOR_ONE -> List.of();
            case ALL_FOR_ONE -> all.stream().filter((sibling) -> !sibling.equals(child)).toList();
            case REST_FOR_ONE -> {
                int index = all.indexOf(child);
                yield (index < 0) ? List.of() : List.copyOf(all.subList(index + 1, all.size()));
            }
        };
    }

    private void escalate(ChildRecord record, ActorIdentity child, Throwable failure) {
        Class<? extends Actor> contract = child.type().contracts().getFirst();
        ActorRef reference = (ActorRef) this.catalog.references().reference(contract, child.id());
        this.catalog.deliverSystem(record.parent(), Invocation.system(record.parent(), new Escalation(reference, failure)));
    }

    /**
     * Deactivates the children of a parent whose instance goes away, last spawned first, and waits for
     * them, at most the shutdown timeout.
     */
    void deactivateChildren(Activation parent, DeactivationReason reason) {
        List<ActorIdentity> identities = this.children.get(parent.identity);
        if (identities == null || identities.isEmpty()) {
            return;
        }
        List<CompletableFuture<Void>> ended = new ArrayList<>();
        for (ActorIdentity child : identities.reversed()) {
            Activation activation = this.catalog.find(child);
            if (activation != null) {
                if (activation.requestDeactivation(reason)) {
                    this.catalog.startDeactivation(activation, reason);
                }
                ended.add(activation.whenEnded());
            }
        }
        try {
            CompletableFuture.allOf(ended.toArray(CompletableFuture[]::new))
                .get(this.catalog.settings().shutdownTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (TimeoutException ex) {
            logger.warn("Children of {} did not deactivate within {}", parent.identity,
                    this.catalog.settings().shutdownTimeout());
        }
        catch (ExecutionException ex) {
            logger.warn("Deactivating the children of {} failed", parent.identity, ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Forgets the children of a parent that has ended for good; they become top-level actors.
     */
    void forget(ActorIdentity parent) {
        List<ActorIdentity> identities = this.children.remove(parent);
        if (identities == null) {
            return;
        }
        identities.forEach(this.supervisors::remove);
        ActivationGate gate = this.catalog.settings().activationGate();
        if (gate == ActivationGate.OPEN) {
            return;
        }
        for (ActorIdentity child : identities) {
            try {
                gate.childReleased(child.address());
            }
            catch (RuntimeException ex) {
                logger.warn("The activation gate failed to release child {} of {}", child, parent, ex);
            }
        }
    }

    /**
     * A parent's supervision of one child.
     */
    private record ChildRecord(ActorIdentity parent, SupervisorStrategy strategy, RestartHistory history) {

        ChildRecord(ActorIdentity parent, SupervisorStrategy strategy) {
            this(parent, strategy, new RestartHistory());
        }
    }

    private record Decision(Directive directive, Duration delay, boolean escalate) {
    }

    /**
     * The turn that tells a parent about a child's escalated failure.
     */
    private record Escalation(ActorRef child, Throwable failure) implements SystemTask {

        @Override
        public String name() {
            return "escalation:" + this.child.actorId();
        }

        @Override
        public void run(Object instance) throws Exception {
            if (instance instanceof AbstractActor parent) {
                ActorAccess.hooks().childEscalated(parent, this.child, this.failure);
            }
        }

        @Override
        public boolean keepsActivationAlive() {
            return true;
        }
    }
}
