package dev.quark.autoconfigure.metrics;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.quark.actor.Actor;
import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.ActorTypeView;
import dev.quark.runtime.CallMetrics;
import dev.quark.runtime.CallOutcome;
import dev.quark.runtime.SheddingTrigger;
import dev.quark.runtime.TurnRunners;
import dev.quark.supervision.Directive;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Records actor calls and activations in Micrometer:
 * <ul>
 * <li>{@code quark.actor.calls} (timer; tags {@code contract}, {@code method}, {@code outcome}): calls that
 * reached a mailbox, from arrival to the end of the turn;</li>
 * <li>{@code quark.actor.activations} (gauge; tag {@code contract}): live activations;</li>
 * <li>{@code quark.actor.mailbox.depth} (gauge; tag {@code contract}): messages waiting in mailboxes;</li>
 * <li>{@code quark.actor.supervision.decisions} (counter; tags {@code directive}, {@code contract}): what
 * supervisors decided about failed children;</li>
 * <li>{@code quark.actor.activations.shed} (counter; tags {@code reason}, {@code contract}): idle activations
 * deactivated before their idle timeout because the silo held more than {@code quark.actors.max-activations}
 * ({@code max_activations}) or the heap was over the memory-pressure limit ({@code memory_pressure});</li>
 * <li>with the ready-queue turn scheduler, {@code quark.actor.turn.runners} and
 * {@code quark.actor.turn.runners.blocked} (gauges): its runner threads, and those blocked in a turn.</li>
 * </ul>
 * Timers are created once per method and outcome at start-up, so recording a call does no lookup.
 */
public class MicrometerActorMetrics implements ActorMetrics {

    /** Name of the call timer. */
    public static final String CALLS = "quark.actor.calls";

    /** Name of the activation gauge. */
    public static final String ACTIVATIONS = "quark.actor.activations";

    /** Name of the mailbox depth gauge. */
    public static final String MAILBOX_DEPTH = "quark.actor.mailbox.depth";

    /** Name of the supervision decision counter. */
    public static final String SUPERVISION_DECISIONS = "quark.actor.supervision.decisions";

    /** Name of the shed activation counter. */
    public static final String ACTIVATIONS_SHED = "quark.actor.activations.shed";

    /** Name of the counter of episodes in which every runner of the ready-queue turn scheduler was blocked at its cap. */
    public static final String TURN_RUNNERS_EXHAUSTED = "quark.actor.turn.runners.exhausted";

    /** Name of the counter of runner threads the ready-queue turn scheduler could not start. */
    public static final String TURN_RUNNER_START_FAILURES = "quark.actor.turn.runner.start.failures";

    /** Name of the counter of cycles of call chains broken by failing a call with a DeadlockException. */
    public static final String DEADLOCKS_BROKEN = "quark.actor.deadlocks.broken";

    /** Name of the counter of deadlock probes a silo did not send, over its budget per look interval. */
    public static final String DEADLOCK_PROBES_DROPPED = "quark.actor.deadlock.probes.dropped";

    /** Name of the gauge of the ready-queue turn scheduler's runner threads. */
    public static final String TURN_RUNNERS = "quark.actor.turn.runners";

    /** Name of the gauge of the ready-queue turn scheduler's runners blocked in a turn. */
    public static final String TURN_RUNNERS_BLOCKED = "quark.actor.turn.runners.blocked";

    private final MeterRegistry registry;

    private final Counter runnersExhausted;

    private final Counter runnerStartFailures;

    private final Counter deadlocksInSilo;

    private final Counter deadlocksAcrossSilos;

    private final Counter probesDropped;

    public MicrometerActorMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.runnersExhausted = Counter.builder(TURN_RUNNERS_EXHAUSTED)
            .description("Episodes in which every runner of the ready-queue turn scheduler was blocked at its cap "
                    + "(quark.actors.ready-queue.max-runners) while turns waited")
            .register(registry);
        this.runnerStartFailures = Counter.builder(TURN_RUNNER_START_FAILURES)
            .description("Runner threads the ready-queue turn scheduler could not make or start (one per attempt, "
                    + "attempts backing off from 1 ms to 1 s)")
            .register(registry);
        this.deadlocksInSilo = deadlocks(registry, "silo");
        this.deadlocksAcrossSilos = deadlocks(registry, "cluster");
        this.probesDropped = Counter.builder(DEADLOCK_PROBES_DROPPED)
            .description("Deadlock probes not sent, over the silo's budget per look interval (many calls waiting on "
                    + "other silos at once)")
            .register(registry);
    }

    private static Counter deadlocks(MeterRegistry registry, String scope) {
        return Counter.builder(DEADLOCKS_BROKEN)
            .description("Cycles of call chains broken by failing one call with a DeadlockException")
            .tag("scope", scope)
            .register(registry);
    }

    @Override
    @SuppressWarnings("EnumOrdinal") // an array in EnumMap's order: one index per call, no lookup
    public CallMetrics forMethod(Class<? extends Actor> contract, String method) {
        Map<CallOutcome, Timer> timers = new EnumMap<>(CallOutcome.class);
        for (CallOutcome outcome : CallOutcome.values()) {
            timers.put(outcome, Timer.builder(CALLS)
                .description("Actor calls, from arrival in the mailbox to the end of the turn")
                .tag("contract", contract.getSimpleName())
                .tag("method", method)
                .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                .register(this.registry));
        }
        Timer[] byOrdinal = timers.values().toArray(Timer[]::new);
        return (outcome, durationNanos) -> byOrdinal[outcome.ordinal()].record(durationNanos,
                java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    @Override
    public void supervisionDecision(String actorType, Directive directive) {
        Counter.builder(SUPERVISION_DECISIONS)
            .description("Decisions of supervisors about failed children")
            .tag("directive", directive.name().toLowerCase(Locale.ROOT))
            .tag("contract", actorType)
            .register(this.registry)
            .increment();
    }

    @Override
    public void activationsShed(String actorType, SheddingTrigger trigger, int count) {
        Counter.builder(ACTIVATIONS_SHED)
            .description("Idle activations deactivated before their idle timeout to stay under the activation or "
                    + "memory limit")
            .tag("reason", trigger.name().toLowerCase(Locale.ROOT))
            .tag("contract", actorType)
            .register(this.registry)
            .increment(count);
    }

    @Override
    public void turnRunnersExhausted(int maxRunners) {
        this.runnersExhausted.increment();
    }

    @Override
    public void turnRunnerStartFailed() {
        this.runnerStartFailures.increment();
    }

    @Override
    public void deadlockBroken(boolean acrossSilos) {
        (acrossSilos ? this.deadlocksAcrossSilos : this.deadlocksInSilo).increment();
    }

    @Override
    public void deadlockProbeDropped() {
        this.probesDropped.increment();
    }

    @Override
    public void bindTurnRunners(TurnRunners runners) {
        Gauge.builder(TURN_RUNNERS, runners, TurnRunners::runners)
            .description("Runner threads of the ready-queue turn scheduler, idle and blocked ones included (at most "
                    + "quark.actors.ready-queue.max-runners)")
            .register(this.registry);
        Gauge.builder(TURN_RUNNERS_BLOCKED, runners, TurnRunners::blockedRunners)
            .description("Runners of the ready-queue turn scheduler blocked in a turn (a synchronous call, or a turn "
                    + "still running after the blocked-after time); others start in their place up to the cap")
            .register(this.registry);
    }

    @Override
    public void bindActorTypes(List<? extends ActorTypeView> types) {
        for (ActorTypeView type : types) {
            Gauge.builder(ACTIVATIONS, type, ActorTypeView::activationCount)
                .description("Live activations")
                .tag("contract", type.name())
                .register(this.registry);
            Gauge.builder(MAILBOX_DEPTH, type, ActorTypeView::queuedMessageCount)
                .description("Messages waiting in mailboxes, not counting running turns")
                .tag("contract", type.name())
                .register(this.registry);
        }
    }
}
