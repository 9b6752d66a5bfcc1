package dev.quark.runtime;

import java.util.List;

import dev.quark.actor.Actor;
import dev.quark.supervision.Directive;

/**
 * Where the runtime reports what happens to calls; the Spring Boot integration binds it to Micrometer.
 */
@FunctionalInterface
public interface ActorMetrics {

    /** Records nothing. */
    ActorMetrics NONE = (contract, method) -> CallMetrics.NONE;

    /**
     * Returns the recorder for the calls of one contract method; called once per method at start-up.
     * @param contract the contract that declares the method
     * @param method the method name
     * @return the recorder
     */
    CallMetrics forMethod(Class<? extends Actor> contract, String method);

    /**
     * Called once when the runtime starts, so that gauges can observe each actor type's live counters.
     * @param types the registered actor types
     */
    default void bindActorTypes(List<? extends ActorTypeView> types) {
    }

    /**
     * Records a supervisor's decision about a failed child.
     * @param actorType the child's actor type name
     * @param directive the decision
     */
    default void supervisionDecision(String actorType, Directive directive) {
    }

    /**
     * Records idle activations deactivated before their idle timeout because the silo held too many or the
     * heap was under pressure. Called once per actor type and shedding round, not per activation.
     * @param actorType the actor type name of the deactivated activations
     * @param trigger why they were deactivated
     * @param count how many were deactivated
     */
    default void activationsShed(String actorType, SheddingTrigger trigger, int count) {
    }

    /**
     * Records that the {@link TurnScheduler#READY_QUEUE ready-queue scheduler} wanted another runner while work
     * waited but all of its runners existed (most of them blocked): turns wait until one frees. Called once per
     * episode, which ends once a runner runs again, fewer than the cap exist, nothing waits, or the scheduler closes.
     * @param maxRunners the cap that was reached ({@link ActorRuntime.Builder#readyQueueMaxRunners(int)})
     */
    default void turnRunnersExhausted(int maxRunners) {
    }

    /**
     * Records that the {@link TurnScheduler#READY_QUEUE ready-queue scheduler} could not make or start a runner
     * thread (after close: a task's own thread); the work stays queued and it tries again after a back-off of 1 ms
     * doubled after each failure up to 1 s. Called once per failed attempt.
     */
    default void turnRunnerStartFailed() {
    }

    /**
     * Records a cycle of call chains broken by failing its victim with a {@link dev.quark.actor.DeadlockException}.
     * @param acrossSilos whether the cycle spanned silos (found by deadlock probes, counted on the silo where the
     * victim waited) rather than one silo's activations
     */
    default void deadlockBroken(boolean acrossSilos) {
    }

    /**
     * Records a deadlock probe this silo did not send because it was over its budget of probes per look interval:
     * many calls waiting on other silos at once.
     */
    default void deadlockProbeDropped() {
    }

    /**
     * Called once when the runtime starts with a turn executor that tells its runners ({@link TurnRunners}: the
     * {@link TurnScheduler#READY_QUEUE ready-queue} scheduler, its own or one given as its turn executor), so that
     * gauges can observe them. Not called for other turn executors. One runtime per registry is assumed: a second
     * one's gauges of the same names are not registered again.
     * @param runners the scheduler's runners
     */
    default void bindTurnRunners(TurnRunners runners) {
    }
}
