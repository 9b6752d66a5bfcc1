package dev.quark.runtime.internal;

import java.util.Collections;
import java.util.List;
import java.util.Map;

import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.fixtures.Counter;
import dev.quark.runtime.routing.ActorTypeNames;
import dev.quark.runtime.routing.DeadlockVictim;
import dev.quark.runtime.routing.RecentRelays;
import dev.quark.runtime.routing.RecordingRemoteWaits;
import dev.quark.runtime.routing.WaitProbe;
import dev.quark.runtime.routing.WaitStep;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;

/**
 * The probes a waiting turn's look sends to other silos: what cannot be built or sent is dropped, never thrown
 * into the waiting call, and leaves nothing registered; probes and victims for calls no activation here holds are
 * handed on.
 */
class DeadlockProbesTests {

    private static final ActorAddress CALLED = new ActorAddress("Node", "y");

    private static final ActorAddress COUNTER = new ActorAddress("Counter", "c");

    private final RecordingRemoteWaits remote = new RecordingRemoteWaits(false);

    private long nanoTime;

    @Test
    void probeThatCannotBeWrittenIsDroppedWithoutFailingTheWaitingTurn() {
        DeadlockProbes probes = new DeadlockProbes(new RecordingRemoteWaits(true), null, null, new RelocatedCalls());
        Invocation turn = invocation(1);
        List<DeadlockDetector.Frontier> frontier = List.of(frontier(List.of(wait(turn, invocation(2)))));
        DeadlockProbes.Origin[] origin = new DeadlockProbes.Origin[1];
        assertThatNoException().isThrownBy(() -> origin[0] = probes.look(null, turn, frontier));
        probes.forget(origin[0]);
        assertThat(probes.origins()).isZero();
    }

    @Test
    void pathLongerThanAProbeCarriesSendsNoProbeAndRegistersNothing() {
        DeadlockProbes probes = new DeadlockProbes(this.remote, null, null, new RelocatedCalls());
        Invocation turn = invocation(1);
        DeadlockDetector.Wait edge = wait(turn, invocation(2));
        List<DeadlockDetector.Frontier> frontier = List
            .of(frontier(Collections.nCopies(WaitProbe.MAX_PATH + 1, edge)));
        DeadlockProbes.Origin[] origin = new DeadlockProbes.Origin[1];
        assertThatNoException().isThrownBy(() -> origin[0] = probes.look(null, turn, frontier));
        assertThat(this.remote.probes()).isEmpty();
        probes.forget(origin[0]);
        assertThat(probes.origins()).isZero();
    }

    @Test
    void pathOfAtMostMaxPathEdgesIsSent() {
        DeadlockProbes probes = new DeadlockProbes(this.remote, null, null, new RelocatedCalls());
        Invocation turn = invocation(1);
        DeadlockDetector.Wait edge = wait(turn, invocation(2));
        DeadlockProbes.Origin origin = probes.look(null, turn,
                List.of(frontier(Collections.nCopies(WaitProbe.MAX_PATH, edge))));
        assertThat(this.remote.probes()).singleElement().satisfies((probe) -> {
            assertThat(probe.path()).hasSize(WaitProbe.MAX_PATH);
            assertThat(probe.look()).isEqualTo(1);
        });
        assertThat(probes.origins()).isOne();
        probes.look(origin, turn, List.of(frontier(List.of(edge))));
        assertThat(this.remote.probes().getLast().look()).isEqualTo(2);
        probes.forget(origin);
        assertThat(probes.origins()).isZero();
    }

    @Test
    void probeAndVictimForACallNoActivationHereHoldsAreHandedOnToWhereThisSiloPassedCallsOn() {
        DeadlockProbes probes = new DeadlockProbes(this.remote, null, registry(), new RelocatedCalls());
        WaitProbe probe = new WaitProbe("silo-1", 1, 1, CALLED, 2,
                List.of(new WaitStep(2, "Node/x", "silo-0", CALLED, "ping", false)));
        DeadlockVictim victim = new DeadlockVictim(CALLED, 2, "ping", List.of("Node/x", "Node/y"), "a cycle");

        probes.probed(probe);
        probes.breakDeadlock(victim);

        assertThat(this.remote.passedOn()).containsExactly(probe, victim);
    }

    @Test
    void probeAndVictimForACallThisSiloRelocatedGoOnToWhereItWentUntilItsOutcomeComesBack() {
        RelocatedCalls relocated = new RelocatedCalls(() -> this.nanoTime);
        DeadlockProbes probes = new DeadlockProbes(this.remote, null, registry(), relocated);
        Invocation call = counterCall(2);
        relocated.sending("silo-2", call);
        WaitProbe probe = new WaitProbe("silo-1", 1, 1, COUNTER, 2,
                List.of(new WaitStep(2, "Node/x", "silo-0", COUNTER, "increment", false)));
        DeadlockVictim victim = new DeadlockVictim(COUNTER, 2, "increment", List.of("Node/x", "Counter/c"),
                "a cycle");

        probes.probed(probe);
        probes.breakDeadlock(victim);
        probes.probed(probe);
        assertThat(this.remote.sent()).as("the same probe relayed once within the repeat interval")
            .containsExactly("probe to silo-2", "victim to silo-2");
        assertThat(this.remote.probes()).containsExactly(probe);
        assertThat(this.remote.victims()).containsExactly(victim);
        assertThat(this.remote.passedOn()).isEmpty();

        WaitProbe otherChain = new WaitProbe("silo-1", 1, 1, COUNTER, 3,
                List.of(new WaitStep(3, "Node/x", "silo-0", COUNTER, "increment", false)));
        WaitProbe otherMethod = new WaitProbe("silo-1", 1, 1, COUNTER, 2,
                List.of(new WaitStep(2, "Node/x", "silo-0", COUNTER, "get", false)));
        probes.probed(otherChain);
        probes.probed(otherMethod);
        assertThat(this.remote.passedOn()).containsExactly(otherChain, otherMethod);

        this.nanoTime += RecentRelays.REPEAT_AFTER_NANOS;
        probes.breakDeadlock(victim);
        assertThat(this.remote.victims()).as("a victim sent again after the repeat interval")
            .containsExactly(victim, victim);

        call.complete(null);
        assertThat(relocated.size()).isZero();
        WaitProbe later = new WaitProbe("silo-1", 1, 2, COUNTER, 2, probe.path());
        probes.probed(later);
        assertThat(this.remote.passedOn()).containsExactly(otherChain, otherMethod, later);
    }

    /**
     * A call sent on, back here (a new invocation of the same chain and method) and on again elsewhere: a probe
     * follows the latest, where the call is.
     */
    @Test
    void probeForACallThisSiloRelocatedTwiceGoesWhereItWentLast() {
        RelocatedCalls relocated = new RelocatedCalls(() -> this.nanoTime);
        DeadlockProbes probes = new DeadlockProbes(this.remote, null, registry(), relocated);
        relocated.sending("silo-2", counterCall(2));
        relocated.sending("silo-3", counterCall(2));
        WaitProbe probe = new WaitProbe("silo-1", 1, 1, COUNTER, 2,
                List.of(new WaitStep(2, "Node/x", "silo-0", COUNTER, "increment", false)));

        probes.probed(probe);

        assertThat(this.remote.sent()).containsExactly("probe to silo-3");
    }

    @Test
    void theSameCallReachedTwiceTheSameWayIsProbedOnce() {
        DeadlockProbes probes = new DeadlockProbes(this.remote, null, null, new RelocatedCalls());
        Invocation turn = invocation(1);
        DeadlockDetector.Wait edge = wait(turn, invocation(2));
        probes.look(null, turn, List.of(frontier(List.of(edge)), frontier(List.of(edge))));
        assertThat(this.remote.probes()).hasSize(1);
    }

    @Test
    void probesOverTheBudgetOfALookIntervalAreDroppedUntilTheNextInterval() {
        ProbeBudget budget = new ProbeBudget(2, 100, () -> this.nanoTime, () -> 0.0);
        DeadlockProbes probes = new DeadlockProbes(this.remote, null, null, new RelocatedCalls(), budget,
                ActorMetrics.NONE);
        Invocation first = invocation(1);
        Invocation second = invocation(3);
        DeadlockProbes.Origin origin = probes.look(null, first, List.of(frontier(List.of(wait(first, invocation(2))))));
        probes.look(null, second, List.of(frontier(List.of(wait(second, invocation(4))))));
        probes.look(origin, first, List.of(frontier(List.of(wait(first, invocation(2))))));
        assertThat(this.remote.probes()).as("two of three in one interval").hasSize(2);

        this.nanoTime += 100;
        probes.look(origin, first, List.of(frontier(List.of(wait(first, invocation(2))))));
        assertThat(this.remote.probes()).hasSize(3);
        assertThat(this.remote.probes().getLast().look()).isEqualTo(3);
    }

    /**
     * After an interval that asked for more than the limit, probes are admitted at random in the share the limit is of
     * that demand, not first come first served: looks repeat at a steady cadence, so the same turns' probes would be
     * dropped every interval.
     */
    @Test
    void afterAnIntervalOverTheBudgetProbesAreAdmittedAtRandomInTheShareItAllows() {
        double[] draw = {0.0};
        ProbeBudget budget = new ProbeBudget(2, 100, () -> this.nanoTime, () -> draw[0]);
        for (int i = 0; i < 8; i++) {
            budget.spend();
        }
        this.nanoTime += 100;
        draw[0] = 0.3;
        assertThat(budget.spend()).as("a draw above the share of 2 in 8").isFalse();
        draw[0] = 0.2;
        assertThat(budget.spend()).as("a draw below it, the first probe of the interval or not").isTrue();
        assertThat(budget.spend()).isTrue();
        assertThat(budget.spend()).as("never more than the limit").isFalse();

        this.nanoTime += 250;
        draw[0] = 0.99;
        assertThat(budget.spend()).as("after a quiet interval, every probe again").isTrue();
    }

    @Test
    void aProbeRelayedForARelocatedCallDoesNotCountAgainstTheBudget() {
        RelocatedCalls relocated = new RelocatedCalls(() -> this.nanoTime);
        ProbeBudget budget = new ProbeBudget(1, 100, () -> this.nanoTime, () -> 0.0);
        DeadlockProbes probes = new DeadlockProbes(this.remote, null, registry(), relocated, budget,
                ActorMetrics.NONE);
        relocated.sending("silo-2", counterCall(2));
        budget.spend();

        probes.probed(new WaitProbe("silo-1", 1, 1, COUNTER, 2,
                List.of(new WaitStep(2, "Node/x", "silo-0", COUNTER, "increment", false))));

        assertThat(this.remote.sent()).containsExactly("probe to silo-2");
    }

    @Test
    void brokenCycleIsNotBrokenAgainOnTheNextLookButAfterTwoMoreSightings() {
        DeadlockProbes.Origin origin = new DeadlockProbes.Origin(1, invocation(1));
        List<WaitStep> cycle = List.of(new WaitStep(1, "Node/x", "silo-1", CALLED, "ping", true),
                new WaitStep(2, "Node/y", "silo-0", new ActorAddress("Node", "x"), "ping", true));
        assertThat(origin.cycleSeen(1, cycle)).isNull();
        assertThat(origin.cycleSeen(2, cycle)).isEqualTo(cycle.get(1));
        assertThat(origin.cycleSeen(2, cycle)).as("another probe of the same look").isNull();
        assertThat(origin.cycleSeen(3, cycle)).as("the look right after the break").isNull();
        assertThat(origin.cycleSeen(4, cycle)).isEqualTo(cycle.get(1));
    }

    private static ActorRegistry registry() {
        return ActorRegistry.of(Map.of(), List.of(), ActorMetrics.NONE, ActorTypeNames.WIRE_NAME);
    }

    private static Invocation counterCall(long chainId) {
        ActorMethod increment = ContractIntrospector.methodsOf(Counter.class, ActorMetrics.NONE).values().stream()
            .filter((method) -> method.name().equals("increment")).findFirst().orElseThrow();
        return new Invocation(null, COUNTER, increment, null, new Object[0], chainId, null, Map.of(), 0);
    }

    private static DeadlockDetector.Frontier frontier(List<DeadlockDetector.Wait> waits) {
        return new DeadlockDetector.Frontier(waits, "silo-1", CALLED, 2);
    }

    private static DeadlockDetector.Wait wait(Invocation turn, Invocation call) {
        call.sentTo = "silo-1";
        return new DeadlockDetector.Wait(turn, call, false);
    }

    private static Invocation invocation(long chainId) {
        return new Invocation(null, CALLED, null, null, null, chainId, null, Map.of(), 0);
    }
}
