package dev.quark.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.actor.ActivationException;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.actor.DeactivationReason;
import dev.quark.cluster.SiloNotServingException;
import dev.quark.runtime.fixtures.Counter;
import dev.quark.runtime.fixtures.CounterActor;
import dev.quark.runtime.fixtures.Probe;
import dev.quark.runtime.fixtures.ProbeActor;
import dev.quark.runtime.fixtures.ProbeEnvironment;
import dev.quark.runtime.routing.ActivationGate;
import dev.quark.runtime.routing.ActorLocation;
import dev.quark.runtime.routing.DeadlockVictim;
import dev.quark.runtime.routing.InboundCall;
import dev.quark.runtime.routing.RemoteCallSender;
import dev.quark.runtime.routing.RecordingRemoteWaits;
import dev.quark.runtime.routing.ReroutedCall;
import dev.quark.runtime.routing.WaitProbe;
import dev.quark.runtime.routing.WaitStep;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The hooks a cluster hands actors over with: the activation gate, asked before a new activation starts, and
 * deactivating actors by address.
 */
class ActivationGateTests {

    private final ProbeEnvironment environment = new ProbeEnvironment();

    private final AtomicReference<ActivationGate> gate = new AtomicReference<>(ActivationGate.OPEN);

    private final List<String> sent = new CopyOnWriteArrayList<>();

    private final List<Integer> reroutes = new CopyOnWriteArrayList<>();

    private final ActorRuntime runtime = ActorRuntime.builder()
        .actor(CounterActor.class)
        .actor(ProbeActor.class, () -> new ProbeActor(this.environment))
        .activationGate((address) -> this.gate.get().admit(address))
        .remoteCallSender(recordingSender())
        .build();

    @AfterEach
    void close() {
        this.environment.gates().values().forEach(CountDownLatch::countDown);
        this.runtime.close();
    }

    private RemoteCallSender recordingSender() {
        return (siloId, call) -> {
            this.sent.add(siloId + ":" + call.address() + "." + call.method().name() + call.arguments());
            this.reroutes.add((call instanceof ReroutedCall rerouted) ? rerouted.reroutes() : -1);
            return CompletableFuture.completedFuture(42L);
        };
    }

    @Test
    void gateIsAskedOnceBeforeTheFirstActivation() {
        List<ActorAddress> asked = new CopyOnWriteArrayList<>();
        this.gate.set((address) -> {
            asked.add(address);
            return ActorLocation.LOCAL;
        });
        Counter counter = this.runtime.get(Counter.class, "c-1");
        counter.increment();
        counter.increment();
        assertThat(asked).containsExactly(new ActorAddress("Counter", "c-1"));
    }

    @Test
    void callsOfAnActorTheGatePlacesElsewhereGoThereAndNoInstanceIsCreated() {
        this.gate.set((address) -> ActorLocation.remote("silo-9"));
        assertThat(this.runtime.get(Counter.class, "moved").increment()).isEqualTo(42L);
        assertThat(this.sent).containsExactly("silo-9:Counter/moved.increment[]");
        assertThat(this.runtime.activationCount()).isZero();
    }

    @Test
    void aCallRoutedBackHereKeepsItsCountOfReroutesWhenTheGateSendsItOn() throws Exception {
        this.gate.set((address) -> ActorLocation.remote("silo-9"));
        InboundCall routedBack = new InboundCall(new ActorAddress("Counter", "moved"),
                ContractRegistryTests.idOf("increment()"), new Object[0], 0, null, Map.of(),
                this.runtime.clock().millis() + 10_000, 2);

        assertThat(this.runtime.inbound().deliver(routedBack)).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(42L);
        assertThat(this.sent).containsExactly("silo-9:Counter/moved.increment[]");
        assertThat(this.reroutes).as("re-routes the sent call carries").containsExactly(2);
    }

    /**
     * Deadlock probes and victim notices that reach this silo for a call its gate sent to another silo go on there
     * until the call's outcome comes back; then they are handed to the cluster's pass-on like any call not here.
     */
    @Test
    void deadlockProbesForACallTheGateSentElsewhereFollowItUntilItsOutcomeComesBack() throws Exception {
        ActorAddress moved = new ActorAddress("Counter", "moved");
        CompletableFuture<Object> outcome = new CompletableFuture<>();
        RecordingRemoteWaits waits = new RecordingRemoteWaits(false);
        try (ActorRuntime sending = ActorRuntime.builder()
            .actor(CounterActor.class)
            .activationGate((address) -> ActorLocation.remote("silo-9"))
            .remoteCallSender((siloId, call) -> {
                this.sent.add(siloId + ":" + call.address() + "." + call.method().name());
                return outcome;
            })
            .remoteWaits(waits)
            .build()) {
            CompletableFuture<Object> answer = sending.inbound().deliver(new InboundCall(moved,
                    ContractRegistryTests.idOf("increment()"), new Object[0], 7, null, Map.of(),
                    sending.clock().millis() + 10_000, 0, false));
            await().atMost(Duration.ofSeconds(5)).until(() -> this.sent.contains("silo-9:Counter/moved.increment"));
            WaitProbe probe = new WaitProbe("silo-1", 1, 1, moved, 7,
                    List.of(new WaitStep(7, "Node/x", "silo-0", moved, "increment", false)));
            DeadlockVictim victim = new DeadlockVictim(moved, 7, "increment", List.of("Node/x", "Counter/moved"),
                    "a cycle");

            sending.inbound().probe(probe);
            sending.inbound().breakDeadlock(victim);
            assertThat(waits.sent()).containsExactly("probe to silo-9", "victim to silo-9");
            assertThat(waits.passedOn()).isEmpty();

            outcome.complete(42L);
            assertThat(answer).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(42L);
            WaitProbe later = new WaitProbe("silo-1", 1, 2, moved, 7, probe.path());
            sending.inbound().probe(later);
            assertThat(waits.passedOn()).containsExactly(later);
        }
    }

    /**
     * Calls that waited together for an activation the gate placed elsewhere are all recorded for deadlock probes
     * before the first is sent: a probe for a later one that arrives while the first is being sent follows it too.
     */
    @Test
    void aProbeForACallStillWaitingToBeSentOnFollowsItThere() throws Exception {
        ActorAddress moved = new ActorAddress("Counter", "together");
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch decide = new CountDownLatch(1);
        RecordingRemoteWaits waits = new RecordingRemoteWaits(false);
        WaitProbe probe = new WaitProbe("silo-1", 1, 1, moved, 8,
                List.of(new WaitStep(8, "Node/x", "silo-0", moved, "increment", false)));
        AtomicReference<ActorRuntime> runtime = new AtomicReference<>();
        try (ActorRuntime sending = placedOnSilo9Once(asked, decide)
            .remoteCallSender((siloId, call) -> {
                if (call.callChainId() == 7) {
                    // The first call is being sent: the second waits to be sent after it.
                    runtime.get().inbound().probe(probe);
                }
                return CompletableFuture.completedFuture(42L);
            })
            .remoteWaits(waits)
            .build()) {
            runtime.set(sending);
            CompletableFuture<Object> first = sending.inbound().deliver(inbound(sending, moved, 7));
            awaitLatch(asked);
            CompletableFuture<Object> second = sending.inbound().deliver(inbound(sending, moved, 8));
            await().atMost(Duration.ofSeconds(5)).until(() -> sending.queuedMessages(Counter.class, "together") == 1);
            decide.countDown();

            assertThat(first).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(42L);
            assertThat(second).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(42L);
            assertThat(waits.sent()).containsExactly("probe to silo-9");
            assertThat(waits.passedOn()).isEmpty();
        }
    }

    /**
     * Two calls relocated together, the sending of the first throwing an {@link Error}: a {@link LinkageError} fails
     * that call only and the second is sent; a {@link VirtualMachineError} fails both, so that neither waits for its
     * timeout.
     */
    @Test
    void anErrorSendingOneRelocatedCallFailsThatCallAndAVirtualMachineErrorEveryCallNotSentYet() throws Exception {
        assertThat(relocateTwoThrowingOnTheFirst(new LinkageError("class of the argument gone")))
            .satisfiesExactly((first) -> assertThat(first).failsWithin(Duration.ofSeconds(5))
                    .withThrowableThat().havingRootCause().isInstanceOf(LinkageError.class)
                    .withMessage("class of the argument gone"),
                (second) -> assertThat(second).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(42L));
        assertThat(relocateTwoThrowingOnTheFirst(new InternalError("out of something")))
            .allSatisfy((call) -> assertThat(call).failsWithin(Duration.ofSeconds(5))
                .withThrowableThat().havingRootCause().isInstanceOf(InternalError.class)
                .withMessage("out of something"));
    }

    private static List<CompletableFuture<Object>> relocateTwoThrowingOnTheFirst(Error error) throws Exception {
        ActorAddress moved = new ActorAddress("Counter", "together");
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch decide = new CountDownLatch(1);
        try (ActorRuntime sending = placedOnSilo9Once(asked, decide)
            .remoteCallSender((siloId, call) -> {
                if (call.callChainId() == 7) {
                    throw error;
                }
                return CompletableFuture.completedFuture(42L);
            })
            .build()) {
            CompletableFuture<Object> first = sending.inbound().deliver(inbound(sending, moved, 7));
            awaitLatch(asked);
            CompletableFuture<Object> second = sending.inbound().deliver(inbound(sending, moved, 8));
            await().atMost(Duration.ofSeconds(5)).until(() -> sending.queuedMessages(Counter.class, "together") == 1);
            decide.countDown();
            // A VirtualMachineError goes on to end the thread that relocated the calls, uncaught.
            await().dontCatchUncaughtExceptions()
                .atMost(Duration.ofSeconds(5))
                .until(() -> first.isDone() && second.isDone());
            return List.of(first, second);
        }
    }

    /**
     * A runtime of counters whose gate counts {@code asked} down, waits for {@code decide} and places the activation
     * on silo-9: the calls delivered meanwhile queue, and are relocated there together.
     */
    private static ActorRuntime.Builder placedOnSilo9Once(CountDownLatch asked, CountDownLatch decide) {
        return ActorRuntime.builder()
            .actor(CounterActor.class)
            .activationGate((address) -> {
                asked.countDown();
                awaitLatch(decide);
                return ActorLocation.remote("silo-9");
            });
    }

    private static InboundCall inbound(ActorRuntime runtime, ActorAddress address, long chainId) throws Exception {
        return new InboundCall(address, ContractRegistryTests.idOf("increment()"), new Object[0], chainId, null,
                Map.of(), runtime.clock().millis() + 10_000, 0, false);
    }

    @Test
    void aCallMadeHereHasNotBeenRoutedAgain() {
        this.gate.set((address) -> ActorLocation.remote("silo-9"));
        this.runtime.get(Counter.class, "moved").increment();
        assertThat(this.reroutes).containsExactly(0);
    }

    @Test
    void callsWaitingBehindTheFirstOneFollowItToTheOtherSilo() throws Exception {
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch decide = new CountDownLatch(1);
        this.gate.set((address) -> {
            asked.countDown();
            awaitLatch(decide);
            return ActorLocation.remote("silo-9");
        });
        Counter counter = this.runtime.get(Counter.class, "queued");
        CompletableFuture<Long> first = CompletableFuture.supplyAsync(counter::increment);
        awaitLatch(asked);
        CompletableFuture<Long> second = counter.incrementAsync();
        counter.add(3);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.runtime.queuedMessages(Counter.class, "queued") == 2);
        decide.countDown();
        assertThat(first).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(42L);
        assertThat(second).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(42L);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.sent.size() == 3);
        assertThat(this.sent).containsExactly("silo-9:Counter/queued.increment[]",
                "silo-9:Counter/queued.incrementAsync[]", "silo-9:Counter/queued.add[3]");
    }

    /**
     * A gate that sends the starting call's chain elsewhere ({@link ActorLocation#callChainOn}, a call back into a turn
     * another silo still runs): the calls of that chain waiting behind it follow it there, in order; a call of another
     * chain stays and starts the activation here again, the gate asked anew with its chain.
     */
    @Test
    void aGateThatSendsTheStartingCallsChainElsewhereKeepsTheOtherChainsCallsHereAndIsAskedAgainForThem()
            throws Exception {
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch decide = new CountDownLatch(1);
        List<Long> chainsAsked = new CopyOnWriteArrayList<>();
        ActivationGate chainGate = new ActivationGate() {

            @Override
            public ActorLocation admit(ActorAddress address) {
                throw new AssertionError("asked without the call chain");
            }

            @Override
            public ActorLocation admit(ActorAddress address, long callChainId) {
                chainsAsked.add(callChainId);
                if (chainsAsked.size() > 1) {
                    return ActorLocation.LOCAL;
                }
                asked.countDown();
                awaitLatch(decide);
                return ActorLocation.callChainOn("silo-9");
            }
        };
        try (ActorRuntime chained = ActorRuntime.builder().actor(CounterActor.class).activationGate(chainGate)
            .remoteCallSender(recordingSender()).build()) {
            CompletableFuture<Object> first = chained.inbound().deliver(increment(chained, 7));
            awaitLatch(asked);
            CompletableFuture<Object> otherChain = chained.inbound().deliver(increment(chained, 8));
            CompletableFuture<Object> sameChain = chained.inbound().deliver(increment(chained, 7));
            await().atMost(Duration.ofSeconds(5)).until(() -> chained.queuedMessages(Counter.class, "split") == 2);
            decide.countDown();

            assertThat(first).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(42L);
            assertThat(sameChain).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(42L);
            assertThat(otherChain).as("ran here, on the activation started again").succeedsWithin(Duration.ofSeconds(5))
                .isEqualTo(1L);
            assertThat(this.sent).containsExactly("silo-9:Counter/split.increment[]",
                    "silo-9:Counter/split.increment[]");
            assertThat(chainsAsked).containsExactly(7L, 8L);
            assertThat(chained.activationCount()).isOne();
        }
    }

    /**
     * A call of another chain queued while the gate decides on the activation: the gate is asked where its chain goes
     * ({@link ActivationGate#callChainElsewhere}), once per chain; the calls of a chain it names a silo for leave the
     * mailbox for that silo, in order, and the others wait for the gate's decision.
     */
    @Test
    void callsOfAnotherChainQueuedWhileTheGateDecidesGoWhereTheGateSendsTheirChain() throws Exception {
        CountDownLatch decide = new CountDownLatch(1);
        List<Long> chainsAsked = new CopyOnWriteArrayList<>();
        ActivationGate deciding = new ActivationGate() {

            @Override
            public ActorLocation admit(ActorAddress address) {
                awaitLatch(decide);
                return ActorLocation.LOCAL;
            }

            @Override
            public String callChainElsewhere(ActorAddress address, long callChainId) {
                chainsAsked.add(callChainId);
                return (callChainId == 8) ? "silo-9" : null;
            }
        };
        try (ActorRuntime chained = ActorRuntime.builder().actor(CounterActor.class).activationGate(deciding)
            .remoteCallSender(recordingSender()).build()) {
            CompletableFuture<Object> first = chained.inbound().deliver(increment(chained, 7));
            CompletableFuture<Object> elsewhere = chained.inbound().deliver(increment(chained, 8));
            CompletableFuture<Object> waiting = chained.inbound().deliver(increment(chained, 9));
            CompletableFuture<Object> elsewhereAgain = chained.inbound().deliver(increment(chained, 8));

            assertThat(elsewhere).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(42L);
            await().atMost(Duration.ofSeconds(5)).until(() -> this.sent.size() == 2 && chainsAsked.size() == 2);
            assertThat(elsewhereAgain).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(42L);
            assertThat(first).isNotDone();
            assertThat(waiting).isNotDone();
            decide.countDown();

            assertThat(first).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(1L);
            assertThat(waiting).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(2L);
            assertThat(chainsAsked).as("once per chain, not the starting call's").containsExactlyInAnyOrder(8L, 9L);
            assertThat(this.sent).containsExactly("silo-9:Counter/split.increment[]",
                    "silo-9:Counter/split.increment[]");
        }
    }

    private static InboundCall increment(ActorRuntime runtime, long chain) throws Exception {
        return new InboundCall(new ActorAddress("Counter", "split"), ContractRegistryTests.idOf("increment()"),
                new Object[0], chain, null, Map.of(), runtime.clock().millis() + 10_000);
    }

    @Test
    void aLocationLimitedToACallChainNamesAnotherSilo() {
        assertThat(ActorLocation.callChainOn("silo-9")).satisfies((location) -> {
            assertThat(location.isLocal()).isFalse();
            assertThat(location.callChainOnly()).isTrue();
        });
        assertThat(ActorLocation.remote("silo-9").callChainOnly()).isFalse();
        assertThatExceptionOfType(IllegalArgumentException.class).isThrownBy(() -> new ActorLocation(null, true))
            .withMessage("Only another silo's location can be limited to a call chain");
    }

    /**
     * A call from another silo that the gate's refusal failed ran nowhere, and the cluster may send it elsewhere; one
     * whose own turn failed with the same exception (a nested call the gate refused) ran.
     */
    @Test
    void anInboundCallTheGateRefusedIsToldApartFromOneWhoseTurnFailedWithTheSameException() throws Exception {
        this.gate.set((address) -> {
            if (address.id().equals("refused")) {
                throw new SiloNotServingException("not serving: " + address);
            }
            return ActorLocation.LOCAL;
        });
        this.environment.actors().set(this.runtime);
        CompletableFuture<Object> refused = this.runtime.inbound().deliver(probeCall("refused",
                "fail(java.lang.RuntimeException)", new IllegalStateException("never thrown")));
        CompletableFuture<Object> failed = this.runtime.inbound().deliver(probeCall("caller",
                "contextOf(java.lang.String)", "refused"));

        assertThat(refused).failsWithin(Duration.ofSeconds(5)).withThrowableThat().havingRootCause()
            .isInstanceOf(SiloNotServingException.class);
        assertThat(failed).failsWithin(Duration.ofSeconds(5)).withThrowableThat().havingRootCause()
            .isInstanceOf(SiloNotServingException.class);
        assertThat(this.runtime.inbound().refusedByGate(refused)).isTrue();
        assertThat(this.runtime.inbound().refusedByGate(failed)).isFalse();
    }

    private InboundCall probeCall(String probeId, String signature, Object argument) throws Exception {
        return new InboundCall(new ActorAddress("Probe", probeId), ContractRegistryTests.idOf(signature),
                new Object[] { argument }, 0, null, Map.of(), this.runtime.clock().millis() + 10_000, 0, false);
    }

    @Test
    void refusalFailsTheCallsWithTheGatesOwnException() {
        this.gate.set((address) -> {
            throw new ActorUnreachableException("not here: " + address);
        });
        assertThatExceptionOfType(ActorUnreachableException.class)
            .isThrownBy(() -> this.runtime.get(Counter.class, "refused").increment())
            .withMessage("not here: Counter/refused");
        assertThat(this.runtime.activationCount()).isZero();
        this.gate.set(ActivationGate.OPEN);
        assertThat(this.runtime.get(Counter.class, "refused").increment()).isEqualTo(1);
    }

    @Test
    void deactivatingByAddressCompletesOnceTheActivationHasEnded() {
        Probe probe = this.runtime.get(Probe.class, "p-1");
        CompletableFuture.runAsync(() -> probe.block("turn"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.environment.gates().containsKey("turn"));
        CompletableFuture<Boolean> ended = this.runtime.deactivate(new ActorAddress("Probe", "p-1"),
                DeactivationReason.HANDOFF);
        assertThat(ended).isNotDone();
        this.environment.open("turn");
        assertThat(ended).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(true);
        assertThat(this.environment.log()).containsExactly("p-1:activate", "p-1:deactivate:HANDOFF");
        assertThat(this.runtime.deactivate(new ActorAddress("Probe", "p-1"), DeactivationReason.HANDOFF))
            .isCompletedWithValue(false);
        assertThat(this.runtime.deactivate(new ActorAddress("Nobody", "x"), DeactivationReason.HANDOFF))
            .isCompletedWithValue(false);
    }

    @Test
    void deactivatingWhereAnAddressPassesEndsExactlyThose() {
        for (String id : List.of("keep-1", "move-1", "move-2")) {
            this.runtime.get(Probe.class, id).events();
        }
        CompletableFuture<Integer> ended = this.runtime
            .deactivateWhere((address) -> address.id().startsWith("move"), DeactivationReason.HANDOFF);
        assertThat(ended).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(2);
        assertThat(this.runtime.isActive(Probe.class, "keep-1")).isTrue();
        assertThat(this.runtime.isActive(Probe.class, "move-1")).isFalse();
        assertThat(this.environment.log()).contains("move-1:deactivate:HANDOFF", "move-2:deactivate:HANDOFF")
            .doesNotContain("keep-1:deactivate:HANDOFF");
    }

    @Test
    void droppingEndsActivationsWithoutRunningTheirCodeAndHooksSeeTheDrop() {
        List<String> hookReasons = new CopyOnWriteArrayList<>();
        ActorRuntime dropping = ActorRuntime.builder()
            .actor(ProbeActor.class, () -> new ProbeActor(this.environment))
            .activationHook(new ActivationHook() {
                @Override
                public void beforeActivate(ActorInstance actor) {
                }

                @Override
                public void afterDeactivate(ActorInstance actor, DeactivationReason reason) {
                    hookReasons.add(actor.id() + ":" + reason);
                }
            })
            .build();
        try {
            for (String id : List.of("keep-1", "drop-1")) {
                dropping.get(Probe.class, id).events();
            }
            CompletableFuture<Integer> dropped = dropping.dropWhere((address) -> address.id().startsWith("drop"));
            assertThat(dropped).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(1);
            assertThat(dropping.isActive(Probe.class, "drop-1")).isFalse();
            assertThat(dropping.isActive(Probe.class, "keep-1")).isTrue();
            assertThat(this.environment.log()).doesNotContain("drop-1:deactivate:DROPPED")
                .noneMatch((line) -> line.startsWith("drop-1:deactivate"));
            assertThat(hookReasons).containsExactly("drop-1:DROPPED");
            dropping.get(Probe.class, "drop-1").events();
            assertThat(this.environment.log()).containsSubsequence("drop-1:activate", "drop-1:activate");
        }
        finally {
            dropping.close();
        }
    }

    @Test
    void aPendingDropIsNotTurnedIntoADeactivationThatRunsCode() {
        Probe probe = this.runtime.get(Probe.class, "p-2");
        CompletableFuture.runAsync(() -> probe.block("turn-2"));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.environment.gates().containsKey("turn-2"));
        CompletableFuture<Integer> dropped = this.runtime.dropWhere((address) -> true);
        CompletableFuture<Boolean> handedOff = this.runtime.deactivate(new ActorAddress("Probe", "p-2"),
                DeactivationReason.HANDOFF);
        this.environment.open("turn-2");
        assertThat(dropped).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(1);
        assertThat(handedOff).succeedsWithin(Duration.ofSeconds(5));
        assertThat(this.environment.log()).noneMatch((line) -> line.startsWith("p-2:deactivate"));
    }

    @Test
    void gateReleasesAFailedActivationBeforeAnotherActivationOfTheSameActorCanStartHere() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        AtomicBoolean failNext = new AtomicBoolean(true);
        CountDownLatch secondAdmission = new CountDownLatch(2);
        AtomicReference<ActorRuntime> built = new AtomicReference<>();
        ActivationGate recording = new ActivationGate() {

            @Override
            public ActorLocation admit(ActorAddress address) {
                events.add("admit");
                secondAdmission.countDown();
                return ActorLocation.LOCAL;
            }

            @Override
            public void activationFailed(ActorAddress address) {
                events.add("released");
                // Another call for the actor while the gate releases the failed activation (its directory
                // entry, in a cluster): no new activation may start and register before that release ends.
                Thread.ofVirtual().start(() -> built.get().get(Counter.class, "fragile").incrementAsync());
                try {
                    events.add(secondAdmission.await(1, TimeUnit.SECONDS) ? "admitted while releasing"
                            : "release ended");
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (ActorRuntime failing = ActorRuntime.builder().actor(CounterActor.class, () -> {
            if (failNext.getAndSet(false)) {
                throw new IllegalStateException("Counter cannot be built");
            }
            return new CounterActor();
        }).activationGate(recording).build()) {
            built.set(failing);
            assertThatExceptionOfType(ActivationException.class)
                .isThrownBy(() -> failing.get(Counter.class, "fragile").increment())
                .withMessageContaining("fragile");

            assertThat(events).as("the first admission, then its release alone").startsWith("admit", "released",
                    "release ended");
            assertThat(failing.get(Counter.class, "fragile").increment()).isEqualTo(1);
        }
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
