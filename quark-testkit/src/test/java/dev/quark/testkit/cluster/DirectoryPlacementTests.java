package dev.quark.testkit.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.stream.IntStream;

import ch.qos.logback.classic.Level;
import dev.quark.LogCapture;
import dev.quark.actor.ActivationException;
import dev.quark.actor.Actor;
import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.directory.DirectoryRequest;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.cluster.ring.HashRing;
import dev.quark.cluster.ring.RingHash;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.injvm.InJvmNetwork;
import dev.quark.cluster.transport.injvm.InJvmTransport;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Random and local-preferred placement over the distributed directory: one activation per actor however
 * first calls race, placement chosen per type, entries re-homed when the ring changes, failover when the
 * hosting silo dies; stateless workers served where they are called, in a pool per silo.
 */
class DirectoryPlacementTests {

    private final TallyEnvironment environment = new TallyEnvironment();

    @AutoClose
    private TallyCluster cluster;

    private TallyCluster start(int silos) {
        TestCluster.Builder builder = TestCluster.builder().silos(silos).runtime((siloId, runtime) -> {
            runtime.actor(TallyActor.class, () -> new TallyActor(this.environment, siloId));
            runtime.actor(RoamerActor.class, () -> new RoamerActor(this.environment, siloId));
            runtime.actor(HomebodyActor.class, () -> new HomebodyActor(this.environment, siloId));
            runtime.actor(WorkerActor.class, () -> new WorkerActor(this.environment, siloId));
            runtime.actor(DenActor.class, () -> new DenActor(siloId));
            runtime.actor(CubActor.class, () -> new CubActor(this.environment, siloId));
        });
        this.cluster = new TallyCluster(this.environment, builder);
        return this.cluster;
    }

    /**
     * A child placed by the directory whose turn fails is restarted in place by its parent's supervisor: its
     * directory entry stays (it went with the failed instance before), so every silo's call reaches the restarted
     * activation and none starts a second one.
     */
    @Test
    void aDirectoryPlacedChildThatItsSupervisorRestartsKeepsItsDirectoryEntry() {
        start(3);
        String host = this.cluster.silo(0).get(Den.class, "den").spawn("cub");
        assertThat(directoryEntries()).isEqualTo(1);

        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> this.cluster.silo(1).get(Cub.class, "cub").fail());
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.activations("Cub:cub") == 2);

        assertKeptItsEntryOn(host, "cub");
    }

    /**
     * A child placed by the directory whose activation fails is activated again by its parent's supervisor after
     * the backoff, in the same place: its directory entry stays meanwhile.
     */
    @Test
    void aDirectoryPlacedChildWhoseActivationFailsAndIsRestartedKeepsItsDirectoryEntry() {
        start(3);
        this.environment.failNextActivation("Cub:pup");
        assertThat(this.cluster.silo(0).get(Den.class, "den").spawn("pup")).startsWith("not activated");
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.activations("Cub:pup") == 1);
        String host = this.cluster.silo(0).get(Cub.class, "pup").where();

        assertKeptItsEntryOn(host, "pup");
    }

    /**
     * Children of directory-placed types run on their parent's silo, where its supervisor watches them, whichever
     * silo calls them first: the parent's silo registers them at the spawn, before their first activation. Before,
     * a local-preferred child first called from another silo ran there, and a random one anywhere.
     */
    @Test
    void childrenOfDirectoryPlacedTypesRunOnTheirParentsSiloWhereverTheyAreFirstCalledFrom() {
        start(3);
        for (int i = 0; i < 6; i++) {
            String parentSilo = this.cluster.silo(0).get(Den.class, "den-" + i).spawnQuietly("kid-" + i);
            TestSilo caller = this.cluster.silo((indexOf(parentSilo) + 1 + i % 2) % 3);
            assertThat(caller.get(Cub.class, "kid-" + i).where()).as("cub kid-%d", i).isEqualTo(parentSilo);
            assertThat(caller.get(Roamer.class, "kid-" + i).where()).as("roamer kid-%d", i).isEqualTo(parentSilo);
        }
        assertThat(directoryEntries()).isEqualTo(12);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * A child placed with its parent keeps its directory entry, and so its place, through its idle deactivations:
     * its next call activates it on its parent's silo again. When the parent ends, the child ends too and its entry
     * goes; its next call places it as any actor of its type.
     */
    @Test
    void aDirectoryPlacedChildKeepsItsPlaceThroughIdleDeactivationsUntilItsParentEnds() {
        start(3);
        String parentSilo = this.cluster.silo(0).get(Den.class, "den").spawnQuietly("kit");
        TestSilo parents = this.cluster.silo(indexOf(parentSilo));
        TestSilo other = this.cluster.silo((indexOf(parentSilo) + 1) % 3);
        TestSilo third = this.cluster.silo((indexOf(parentSilo) + 2) % 3);
        assertThat(other.get(Roamer.class, "kit").where()).isEqualTo(parentSilo);

        assertThat(parents.runtime().deactivate(Roamer.class, "kit")).isTrue();
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.alive("Roamer:kit") == 0);
        await("the cub's and the roamer's entries stay").during(Duration.ofMillis(300))
            .atMost(TallyEnvironment.timeout()).until(() -> directoryEntries() == 2);
        assertThat(third.get(Roamer.class, "kit").where()).as("from a silo that never called it")
            .isEqualTo(parentSilo);
        assertThat(this.environment.activations("Roamer:kit")).isEqualTo(2);

        assertThat(parents.runtime().deactivate(Den.class, "den")).isTrue();
        await().atMost(TallyEnvironment.timeout())
            .until(() -> directoryEntries() == 0 && this.environment.alive("Roamer:kit") == 0);
        other.get(Roamer.class, "kit").where();
        assertThat(directoryEntries()).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * A child whose actor runs on another silo already when its parent spawns it stays there: the registration
     * at the spawn finds that silo's entry, and moves nothing.
     */
    @Test
    void aDirectoryPlacedChildThatRunsElsewhereAlreadyStaysThere() {
        start(3);
        String host = this.cluster.silo(0).get(Roamer.class, "settled").where();
        String den = TallyCluster.idWhere((id) -> !host.equals(new HashPlacementDirector()
            .ownerOf(new ActorAddress("Den", id), this.cluster.silo(0).routing().view())));

        assertThat(this.cluster.silo(0).get(Den.class, den).spawnQuietly("settled")).isNotEqualTo(host);

        for (TestSilo silo : this.cluster.cluster().silos()) {
            assertThat(silo.get(Roamer.class, "settled").where()).as(silo.siloId()).isEqualTo(host);
        }
        assertThat(this.environment.activations("Roamer:settled")).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    private static int indexOf(String siloId) {
        return Integer.parseInt(siloId.substring("silo-".length()));
    }

    private void assertKeptItsEntryOn(String host, String cub) {
        await("the child's entry").during(Duration.ofMillis(300)).atMost(TallyEnvironment.timeout())
            .until(() -> directoryEntries() == 1);
        for (TestSilo silo : this.cluster.cluster().silos()) {
            assertThat(silo.get(Cub.class, cub).where()).as(silo.siloId()).isEqualTo(host);
        }
        assertThat(this.environment.alive("Cub:" + cub)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    private int directoryEntries() {
        return this.cluster.cluster().silos().stream().mapToInt((silo) -> silo.routing().directoryEntries()).sum();
    }

    @Test
    void concurrentFirstCallsFromEverySiloMakeOneRandomActivation() throws Exception {
        assertOneActivationUnderRacingFirstCalls(Roamer.class, "Roamer", (roamer, amount) -> roamer.add(amount));
    }

    @Test
    void concurrentFirstCallsFromEverySiloMakeOneLocalPreferredActivation() throws Exception {
        assertOneActivationUnderRacingFirstCalls(Homebody.class, "Homebody",
                (homebody, amount) -> homebody.add(amount));
    }

    private <T extends Actor> void assertOneActivationUnderRacingFirstCalls(Class<T> contract, String type,
            BiFunction<T, Long, Long> add) throws Exception {
        start(3);
        List<String> ids = IntStream.range(0, 20).mapToObj((i) -> "race-" + i).toList();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> calls = new ArrayList<>();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (TestSilo silo : this.cluster.cluster().silos()) {
                for (String id : ids) {
                    calls.add(callers.submit(() -> {
                        go.await();
                        for (int i = 0; i < 5; i++) {
                            add.apply(silo.get(contract, id), 1L);
                        }
                        return null;
                    }));
                }
            }
            go.countDown();
            for (Future<?> call : calls) {
                call.get();
            }
        }
        for (String id : ids) {
            assertThat(this.environment.activations(type + ":" + id)).as(id).isEqualTo(1);
            assertThat(this.environment.load(type + ":" + id)).as(id).isEqualTo(15);
        }
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void localPreferredActivatesOnTheFirstCallersSiloAndOthersCallItThere() {
        start(3);
        for (int caller = 0; caller < 3; caller++) {
            String id = "home-" + caller;
            TestSilo first = this.cluster.silo(caller);
            assertThat(first.get(Homebody.class, id).where()).isEqualTo(first.siloId());
            for (TestSilo silo : this.cluster.cluster().silos()) {
                assertThat(silo.get(Homebody.class, id).where()).as(id + " from " + silo.siloId())
                    .isEqualTo(first.siloId());
            }
            assertThat(this.environment.activations("Homebody:" + id)).isEqualTo(1);
        }
    }

    @Test
    void aCallerWhoseCachedLocationIsStaleGoesDirectlyToTheNewHostAfterOneForwardedCall() {
        start(3);
        TestSilo oldHost = this.cluster.silo(0);
        TestSilo newHost = this.cluster.silo(1);
        TestSilo caller = this.cluster.silo(2);
        assertThat(oldHost.get(Homebody.class, "mover").where()).isEqualTo("silo-0");
        assertThat(caller.get(Homebody.class, "mover").where()).isEqualTo("silo-0");
        assertThat(oldHost.runtime().deactivate(Homebody.class, "mover")).isTrue();
        await().atMost(TallyEnvironment.timeout())
            .until(() -> this.cluster.cluster().silos().stream().mapToInt((silo) -> silo.routing().directoryEntries())
                .sum() == 0);
        assertThat(newHost.get(Homebody.class, "mover").where()).isEqualTo("silo-1");

        // The caller still has silo-0 in its cache: silo-0 passes this call on, and its answer names silo-1.
        assertThat(caller.get(Homebody.class, "mover").where()).isEqualTo("silo-1");
        this.cluster.cluster().network().cut("silo-2", "silo-0");

        for (int i = 0; i < 3; i++) {
            assertThat(caller.get(Homebody.class, "mover").where()).isEqualTo("silo-1");
        }
        assertThat(this.environment.activations("Homebody:mover")).isEqualTo(2);
    }

    /**
     * A silo that stops serving while it waits for the directory to register a directory-placed actor (the answer
     * comes after it fenced itself, or after a pause) does not activate the actor beside where it may live by now,
     * and takes the entry it won out of the directory again.
     */
    @Test
    void aSiloThatStopsServingWhileItRegistersAnActorActivatesNothingAndLeavesNoEntry() {
        InJvmNetwork network = new InJvmNetwork();
        FirstEnvelopeHeld heldTransport = startHoldingSilo1(network);
        try {
            String id = homebodyRegisteredAtSilo0("fenced");
            // silo-1's request to register the homebody at silo-0, which keeps that part of the directory, waits.
            heldTransport.hold((envelope) -> registers(envelope, id));
            TestSilo fenced = this.cluster.silo(1);
            CompletableFuture<String> call = CompletableFuture
                .supplyAsync(() -> fenced.get(Homebody.class, id).where());
            await().atMost(TallyEnvironment.timeout()).until(heldTransport::holds);
            fenced.membership().halt();
            assertThat(fenced.views().isServing()).isFalse();
            heldTransport.release();

            assertThat(call).failsWithin(TallyEnvironment.timeout()).withThrowableThat()
                .havingRootCause().isInstanceOf(SiloNotServingException.class)
                .withMessageContaining("Silo silo-1 stopped serving while it registered Homebody/" + id);
            assertThat(this.environment.activations("Homebody:" + id)).isZero();
            await().atMost(TallyEnvironment.timeout()).until(() -> directoryEntries() == 0);
            assertThat(this.cluster.silo(0).get(Homebody.class, id).where()).isEqualTo("silo-0");
        }
        finally {
            heldTransport.release();
            this.cluster.close();
            network.close();
        }
    }

    /** Starts two silos whose silo-1 sends through a transport that can hold one of its envelopes. */
    private FirstEnvelopeHeld startHoldingSilo1(InJvmNetwork network) {
        FirstEnvelopeHeld heldTransport = new FirstEnvelopeHeld(network.transport());
        this.cluster = new TallyCluster(this.environment, TestCluster.builder().silos(2).runtime((siloId, runtime) -> {
            runtime.actor(TallyActor.class, () -> new TallyActor(this.environment, siloId));
            runtime.actor(HomebodyActor.class, () -> new HomebodyActor(this.environment, siloId));
        }).transport((siloId) -> siloId.equals("silo-1") ? heldTransport : network.transport()));
        return heldTransport;
    }

    /** The first homebody id with a prefix whose directory entry silo-0 keeps. */
    private String homebodyRegisteredAtSilo0(String prefix) {
        HashRing ring = this.cluster.silo(0).routing().view().ring();
        return IntStream.range(0, 10_000).mapToObj((i) -> prefix + "-" + i)
            .filter((candidate) -> "silo-0".equals(ring.ownerOf(RingHash.of(new ActorAddress("Homebody", candidate)))))
            .findFirst().orElseThrow();
    }

    /** Whether an envelope is a silo's request to register a homebody in the directory. */
    private static boolean registers(Envelope envelope, String homebodyId) {
        return envelope.kind() == Envelope.Kind.DIRECTORY && homebodyId.equals(envelope.actorId())
                && DirectoryRequest.decode(envelope.payload()).operation() == DirectoryRequest.Operation.REGISTER;
    }

    /**
     * A call from another silo that waited for such a refused registration ran nowhere: it is answered as not
     * delivered, so that its caller may send it elsewhere (an outsider reads the answer as it comes).
     */
    @Test
    void aCallFromAnotherSiloThatARefusedRegistrationWaitedForIsAnsweredAsNotDelivered() throws Exception {
        InJvmNetwork network = new InJvmNetwork();
        FirstEnvelopeHeld heldTransport = startHoldingSilo1(network);
        InJvmTransport outsider = network.transport();
        BlockingQueue<Envelope> answers = new LinkedBlockingQueue<>();
        SiloAddress outsiderAddress = outsider.start("outsider", answers::add);
        try {
            String id = homebodyRegisteredAtSilo0("refused");
            heldTransport.hold((envelope) -> registers(envelope, id));
            TestSilo fenced = this.cluster.silo(1);
            SiloEntry entry = fenced.routing().view().silo("silo-1").orElseThrow();
            outsider.send(entry.address(), new Envelope(1, 1, Envelope.Kind.REQUEST, "outsider", 1, outsiderAddress,
                    "silo-1", entry.epoch(), "Homebody", id, ClusterEnvelopeTests.methodId("where()"),
                    "[]".getBytes(StandardCharsets.UTF_8), 5, null, Map.of(),
                    System.currentTimeMillis() + TallyEnvironment.timeout().toMillis(), 0, 0));
            await().atMost(TallyEnvironment.timeout()).until(heldTransport::holds);
            fenced.membership().halt();
            heldTransport.release();

            Envelope answer = answers.poll(TallyEnvironment.timeout().toMillis(), TimeUnit.MILLISECONDS);
            assertThat(answer).as("the outsider's answer").isNotNull();
            assertThat(answer.kind()).isEqualTo(Envelope.Kind.ERROR);
            assertThat(answer.metadata()).containsEntry("quark-not-delivered", "true");
            assertThat(new JacksonPayloadCodec(JsonMapper.builder().build(), fenced.runtime(), List.of())
                .decodeFailure(answer.payload())).isInstanceOf(SiloNotServingException.class)
                .hasMessageContaining("Silo silo-1 stopped serving while it registered Homebody/" + id);
            assertThat(this.environment.activations("Homebody:" + id)).isZero();
        }
        finally {
            heldTransport.release();
            outsider.close();
            this.cluster.close();
            network.close();
        }
    }

    @Test
    void randomPlacementSpreadsActivationsOverTheSilos() {
        start(3);
        Set<String> hosts = new HashSet<>();
        for (int i = 0; i < 60; i++) {
            hosts.add(this.cluster.silo(0).get(Roamer.class, "spread-" + i).where());
        }
        assertThat(hosts).containsExactlyInAnyOrder("silo-0", "silo-1", "silo-2");
    }

    @Test
    void placementIsChosenPerActorType() {
        start(3);
        String id = TallyCluster.idWhere((candidate) -> !this.cluster.ownerOf(candidate).equals("silo-2"));
        assertThat(this.cluster.silo(2).get(Tally.class, id).where()).isEqualTo(this.cluster.ownerOf(id));
        assertThat(this.cluster.silo(2).get(Homebody.class, id).where()).isEqualTo("silo-2");
    }

    @Test
    void anActivationThatEndedLeavesTheDirectory() {
        start(2);
        assertThat(this.cluster.silo(0).get(Homebody.class, "gone").where()).isEqualTo("silo-0");
        assertThat(this.cluster.cluster().silos().stream().mapToInt((silo) -> silo.routing().directoryEntries()).sum())
            .isEqualTo(1);
        assertThat(this.cluster.silo(0).runtime().deactivate(Homebody.class, "gone")).isTrue();
        await().atMost(TallyEnvironment.timeout())
            .until(() -> this.cluster.cluster().silos().stream().mapToInt((silo) -> silo.routing().directoryEntries())
                .sum() == 0);
        assertThat(this.cluster.silo(1).get(Homebody.class, "gone").where()).isEqualTo("silo-1");
        assertThat(this.environment.activations("Homebody:gone")).isEqualTo(2);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void anActivationWhoseConstructorThrowsLeavesNoEntryAndTheNextCallActivatesTheActor() {
        AtomicBoolean failNext = new AtomicBoolean(true);
        this.cluster = new TallyCluster(this.environment, TestCluster.builder().silos(2).runtime((siloId, runtime) ->
            runtime.actor(HomebodyActor.class, () -> {
                if (siloId.equals("silo-0") && failNext.getAndSet(false)) {
                    throw new IllegalStateException("Homebody cannot be built on " + siloId);
                }
                return new HomebodyActor(this.environment, siloId);
            })));
        assertThatExceptionOfType(ActivationException.class)
            .isThrownBy(() -> this.cluster.silo(0).get(Homebody.class, "fragile").where())
            .withMessageContaining("fragile")
            .withRootCauseInstanceOf(IllegalStateException.class);

        await().atMost(TallyEnvironment.timeout())
            .until(() -> this.cluster.cluster().silos().stream().mapToInt((silo) -> silo.routing().directoryEntries())
                .sum() == 0);
        assertThat(this.cluster.silo(1).get(Homebody.class, "fragile").where()).as("activated where first called")
            .isEqualTo("silo-1");
        assertThat(this.cluster.silo(0).get(Homebody.class, "fragile").where()).isEqualTo("silo-1");
        assertThat(this.cluster.cluster().silos().stream().mapToInt((silo) -> silo.routing().directoryEntries()).sum())
            .isEqualTo(1);
        assertThat(this.environment.activations("Homebody:fragile")).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void entriesFollowTheRingWhenASiloJoinsAndActivationsStayWhereTheyAre() {
        start(3);
        List<String> ids = IntStream.range(0, 40).mapToObj((i) -> "stay-" + i).toList();
        for (String id : ids) {
            this.cluster.silo(0).get(Homebody.class, id).add(1);
        }
        this.cluster.addSilo();
        for (TestSilo silo : this.cluster.cluster().silos()) {
            await().atMost(TallyEnvironment.timeout()).until(() -> silo.routing().view().ring().silos().size() == 4);
        }
        for (String id : ids) {
            for (TestSilo silo : this.cluster.cluster().silos()) {
                assertThat(silo.get(Homebody.class, id).where()).as(id + " from " + silo.siloId()).isEqualTo("silo-0");
                silo.get(Homebody.class, id).add(1);
            }
            assertThat(this.environment.activations("Homebody:" + id)).as(id).isEqualTo(1);
            assertThat(this.environment.load("Homebody:" + id)).as(id).isEqualTo(5);
        }
        assertThat(this.environment.duplicates()).isEmpty();
    }

    @Test
    void statelessWorkersServeCallsOnTheCallersSiloAndScaleThereUpToTheirPool() {
        start(3);
        for (TestSilo silo : this.cluster.cluster().silos()) {
            assertThat(silo.get(Worker.class, "w").where()).isEqualTo(silo.siloId());
        }
        Worker worker = this.cluster.silo(1).get(Worker.class, "busy");
        List<CompletableFuture<String>> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            held.add(CompletableFuture.supplyAsync(() -> worker.hold("workers")));
        }
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.alive("Worker:busy@silo-1") == 2);
        assertThat(this.environment.activations("Worker:busy@silo-0")).isZero();
        assertThat(this.environment.activations("Worker:busy@silo-2")).isZero();
        this.environment.open("workers");
        assertThat(held).allSatisfy((call) -> assertThat(call.join()).isEqualTo("silo-1"));
        assertThat(this.environment.activations("Worker:busy@silo-1")).isEqualTo(2);
    }

    /**
     * The partition owner of an actor placed by the directory dies while the actor lives on another silo that
     * does not see the death yet: the new partition owner, whose partition is empty, holds a first registration
     * there until that silo has registered its activation again, so the call reaches the one activation.
     */
    @Test
    void aNewPartitionOwnerWaitsForTheLateSilosReRegistrationBeforeAFirstActivation() {
        start(3);
        String id = idMovingFromSiloTwoToSiloOne();
        assertThat(this.cluster.silo(0).get(Homebody.class, id).add(5)).isEqualTo(5);
        assertThat(this.cluster.silo(2).routing().directoryEntries()).isEqualTo(1);
        TestSilo late = this.cluster.silo(0);
        late.holdViews();
        this.cluster.cluster().killSilo(2);
        this.cluster.cluster().declareDead(2);
        TestSilo owner = this.cluster.silo(1);
        await().atMost(TallyEnvironment.timeout()).until(() -> owner.routing().view().ring().silos().size() == 2);
        CompletableFuture<Long> call = CompletableFuture.supplyAsync(() -> owner.get(Homebody.class, id).add(1));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> !call.isDone());
        late.releaseViews();
        assertThat(call.join()).isEqualTo(6);
        assertThat(owner.get(Homebody.class, id).where()).isEqualTo("silo-0");
        assertThat(this.environment.activations("Homebody:" + id)).isEqualTo(1);
        assertThat(this.environment.duplicates()).isEmpty();
    }

    /**
     * A silo joins while another reads membership late, and nobody died: the joiner, new owner of a partition,
     * does not hold a first activation there for the late silo's round (the previous owners are alive and were
     * asked for their entries), so the call does not wait for the bound, and no warning is logged.
     */
    @Test
    void aFirstActivationAtAJoinerIsNotHeldWhenNoOwnerDied() {
        start(2);
        int vnodes = this.cluster.silo(0).routing().view().ring().virtualNodes();
        HashRing three = HashRing.of(List.of("silo-0", "silo-1", "silo-2"), vnodes);
        String id = TallyCluster.idWhere((candidate) ->
                "silo-2".equals(three.ownerOf(RingHash.of(new ActorAddress("Homebody", candidate)))));
        LogCapture logged = LogCapture.of("dev.quark.cluster.routing.RegistrationRounds");
        TestSilo late = this.cluster.silo(0);
        late.holdViews();
        try {
            TestSilo joiner = this.cluster.cluster().addSilo();
            await().atMost(TallyEnvironment.timeout()).until(() -> joiner.routing().view().ring().silos().size() == 3);
            long start = System.nanoTime();
            assertThat(joiner.get(Homebody.class, id).add(1)).isEqualTo(1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            assertThat(logged.events()).noneMatch((event) -> event.getLevel() == Level.WARN);
        }
        finally {
            late.releaseViews();
            logged.close();
        }
        assertThat(this.environment.activations("Homebody:" + id)).isEqualTo(1);
    }

    /**
     * A silo cut off from the new partition owner cannot report its re-registrations: the owner holds the first
     * registration for half the directory's timeout at most, then lets it go on (with a warning) rather than
     * failing calls for as long as the link is down.
     */
    @Test
    void aFirstRegistrationGoesOnAfterTheBoundWhenASiloDoesNotReport() {
        this.cluster = new TallyCluster(this.environment, TestCluster.builder()
            .silos(3)
            .routing((routing) -> routing.handoffTimeout(Duration.ofSeconds(2)))
            .runtime((siloId, runtime) -> runtime.actor(HomebodyActor.class,
                    () -> new HomebodyActor(this.environment, siloId))));
        String id = idMovingFromSiloTwoToSiloOne();
        assertThat(this.cluster.silo(0).get(Homebody.class, id).add(5)).isEqualTo(5);
        this.cluster.cluster().network().cut("silo-0", "silo-1");
        this.cluster.cluster().killSilo(2);
        this.cluster.cluster().declareDead(2);
        TestSilo owner = this.cluster.silo(1);
        await().atMost(TallyEnvironment.timeout()).until(() -> owner.routing().view().ring().silos().size() == 2);
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> owner.get(Homebody.class, id).where());
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> !call.isDone());
        assertThat(call.join()).isEqualTo("silo-1");
    }

    /** An id whose directory partition is on silo-2 with three silos, and on silo-1 once silo-2 is gone. */
    private String idMovingFromSiloTwoToSiloOne() {
        HashRing twoSilos = HashRing.of(List.of("silo-0", "silo-1"),
                this.cluster.silo(0).routing().view().ring().virtualNodes());
        return TallyCluster.idWhere((candidate) -> {
            ActorAddress address = new ActorAddress("Homebody", candidate);
            return "silo-2".equals(this.cluster.silo(0).routing().view().ring().ownerOf(RingHash.of(address)))
                    && "silo-1".equals(twoSilos.ownerOf(RingHash.of(address)));
        });
    }

    @Test
    void anActorMovesToASurvivorWithItsStateWhenItsSiloDies() {
        start(3);
        Homebody onOne = this.cluster.silo(1).get(Homebody.class, "survivor");
        assertThat(onOne.add(5)).isEqualTo(5);
        assertThat(onOne.where()).isEqualTo("silo-1");
        this.cluster.cluster().killSilo(1);
        this.cluster.cluster().declareDead(1);
        Homebody fromZero = this.cluster.silo(0).get(Homebody.class, "survivor");
        await().atMost(TallyEnvironment.timeout()).ignoreExceptions().until(() -> !fromZero.where().equals("silo-1"));
        assertThat(fromZero.where()).isEqualTo("silo-0");
        assertThat(fromZero.add(1)).isEqualTo(6);
        assertThat(this.cluster.silo(2).get(Homebody.class, "survivor").where()).isEqualTo("silo-0");
    }
}
