package dev.quark.testkit.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import dev.quark.actor.Actor;
import dev.quark.actor.DeadlockException;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.ring.HashRing;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.ForwardingTransport;
import dev.quark.cluster.transport.injvm.InJvmNetwork;
import dev.quark.cluster.transport.injvm.InJvmTransport;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.CallMetrics;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Deadlocks of call chains across silos: a cycle whose actors live on different silos (also through several
 * activations of a stateless worker's pool) is found by probes that follow the waits from silo to silo, and broken
 * like a cycle in one silo, well before the call timeout; waits
 * that are no cycle (a chain back into its own actor, a long wait) are left alone.
 */
class ClusterDeadlockTests {

    /** Far beyond how long finding a cycle takes, so that a cycle left to the timeout fails the test. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    /** How soon a cycle must be broken: detection takes 300 to 600 ms, the rest is room for a loaded machine. */
    private static final Duration BROKEN_WITHIN = Duration.ofSeconds(3);

    private final TallyEnvironment environment = new TallyEnvironment();

    /** The deadlocks the silos of {@link #cluster(int)} reported broken, {@code true} for those across silos. */
    private final List<Boolean> deadlocksBroken = new CopyOnWriteArrayList<>();

    @AutoClose
    private TallyCluster cluster;

    @Test
    void cycleBetweenTwoSilosFailsOneChainWithDeadlockExceptionAndTheOtherCompletes() {
        this.cluster = cluster(2);
        String x = this.cluster.idOwnedBy("silo-0");
        String y = this.cluster.idOwnedBy("silo-1");
        List<String> ring = List.of(x, y);
        List<CompletableFuture<String>> chains = startRing(ring, "two");
        long started = System.nanoTime();
        CompletableFuture.allOf(chains.stream().map((chain) -> chain.exceptionally((failure) -> null))
            .toArray(CompletableFuture[]::new)).join();
        assertBrokenOnce(chains, ring, started);
    }

    @Test
    void cycleThroughThreeSilosFailsOneChainWithDeadlockExceptionAndTheOthersComplete() {
        this.cluster = cluster(3);
        List<String> ring = List.of(this.cluster.idOwnedBy("silo-0"), this.cluster.idOwnedBy("silo-1"),
                this.cluster.idOwnedBy("silo-2"));
        List<CompletableFuture<String>> chains = startRing(ring, "three");
        long started = System.nanoTime();
        CompletableFuture.allOf(chains.stream().map((chain) -> chain.exceptionally((failure) -> null))
            .toArray(CompletableFuture[]::new)).join();
        assertBrokenOnce(chains, ring, started);
    }

    @Test
    void cycleThroughTwoWorkersOfAStatelessWorkersPoolOnAnotherSiloIsBroken() {
        // Only silo-1 hosts the workers, so both chains' calls to worker "w" go there, to a pool of two.
        this.cluster = new TallyCluster(this.environment, TestCluster.builder().silos(2).runtime((siloId, runtime) -> {
            runtime.actor(TallyActor.class, () -> new TallyActor(this.environment, siloId));
            if (siloId.equals("silo-1")) {
                runtime.actor(WorkerActor.class, () -> new WorkerActor(this.environment, siloId));
            }
            runtime.callTimeout(CALL_TIMEOUT);
        }));
        String a = this.cluster.idOwnedBy("silo-0");
        String b = TallyCluster.idWhere((id) -> !id.equals(a) && this.cluster.ownerOf(id).equals("silo-0"));
        // Chain 1 holds A and waits for one worker, chain 2 holds B and waits for the other; once both workers run,
        // the first calls B and the second A: each waits behind the other chain's turn.
        List<CompletableFuture<String>> chains = List.of(
                CompletableFuture.supplyAsync(() -> this.cluster.silo(0).get(Tally.class, a)
                    .callThroughWorker("w", b, "workers", 2)),
                CompletableFuture.supplyAsync(() -> this.cluster.silo(0).get(Tally.class, b)
                    .callThroughWorker("w", a, "workers", 2)));
        assertThat(brokenOnce(chains, System.nanoTime()).getActors())
            .containsExactlyInAnyOrder("Tally/" + a, "Tally/" + b, "Worker/w", "Worker/w#1");
        CompletableFuture<String> completed = chains.stream().filter((chain) -> !chain.isCompletedExceptionally())
            .findFirst().orElseThrow();
        String holder = (completed == chains.getFirst()) ? a : b;
        String other = holder.equals(a) ? b : a;
        assertThat(completed.join()).isEqualTo(holder + " -> w@silo-1 -> " + other + "@silo-0");
    }

    @Test
    void cycleThroughACallPassedOnToTheActorsNewOwnerIsBroken() {
        RecordedRoutingMetrics metrics = new RecordedRoutingMetrics();
        this.cluster = new TallyCluster(this.environment, 2, (runtime) -> runtime.callTimeout(CALL_TIMEOUT),
                (routing) -> routing.metrics(metrics));
        TestSilo stale = this.cluster.silo(0);
        TestSilo passer = this.cluster.silo(1);
        // X stays on silo-0 and W on silo-1 when silo-2 joins; Y moves from silo-1 to silo-2.
        String x = TallyCluster.idWhere((id) -> owner(id, 2).equals("silo-0") && owner(id, 3).equals("silo-0"));
        String w = TallyCluster.idWhere((id) -> owner(id, 2).equals("silo-1") && owner(id, 3).equals("silo-1"));
        String y = TallyCluster.idWhere((id) -> owner(id, 2).equals("silo-1") && owner(id, 3).equals("silo-2"));
        // Chain 2 holds W on silo-1 at a gate. Silo-2 joins while silo-0 keeps its old view. Chain 1 holds X on silo-0
        // and calls Y where that view says Y lives, silo-1, which passes the call on to silo-2, where Y calls W: it
        // waits behind chain 2. Then chain 2 calls X. Probes that reach silo-1 for the call to Y must go on to silo-2.
        CompletableFuture<String> second = CompletableFuture
            .supplyAsync(() -> passer.get(Tally.class, w).callBackAfter(x, "back"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("back"));
        stale.holdViews();
        TestSilo joined = this.cluster.addSilo();
        assertThat(this.cluster.ownerOf(y, joined)).isEqualTo("silo-2");
        assertThat(stale.routing().view().version()).as("silo-0 still routes with its old view")
            .isLessThan(joined.routing().view().version());
        CompletableFuture<String> first = CompletableFuture
            .supplyAsync(() -> stale.get(Tally.class, x).callThroughTo(y, w));
        await().atMost(TallyEnvironment.timeout())
            .until(() -> passer.runtime().queuedMessages(Tally.class, w) == 1);
        assertThat(metrics.forwarded()).as("the call to Y passed on by silo-1").containsExactly("silo-2");
        long started = System.nanoTime();
        this.environment.open("back");
        assertThat(brokenOnce(List.of(first, second), started).getActors())
            .containsExactlyInAnyOrder("Tally/" + x, "Tally/" + y, "Tally/" + w);
        if (first.isCompletedExceptionally()) {
            assertThat(second.join()).isEqualTo(w + "@silo-1 -> " + x + "@silo-0");
        }
        else {
            assertThat(first.join()).isEqualTo(x + " -> " + y + "@silo-2 -> " + w + "@silo-1");
        }
        stale.releaseViews();
    }

    /**
     * The victim of a cycle is the call of the highest chain among those waiting in a mailbox: a call passed on to
     * the actor's new owner, failed at the silo it was first sent to, must be failed where it waits. The chain that
     * makes that call comes from outside with the highest chain id, so that it is the victim.
     */
    @Test
    void cycleWhoseVictimIsACallPassedOnToTheActorsNewOwnerIsBrokenWhereTheCallWaits() throws Exception {
        String x = TallyCluster.idWhere((id) -> owner(id, 2).equals("silo-0") && owner(id, 3).equals("silo-0"));
        String y = TallyCluster.idWhere((id) -> owner(id, 2).equals("silo-1") && owner(id, 3).equals("silo-2"));
        InJvmNetwork network = new InJvmNetwork();
        CompletableFuture<Void> released = new CompletableFuture<>();
        AtomicInteger held = new AtomicInteger();
        // silo-1 passes the call for Y on to silo-2 only once the test lets it, after Y is busy there.
        this.cluster = new TallyCluster(this.environment, TallyCluster.builder(this.environment, 2,
                (runtime) -> runtime.callTimeout(CALL_TIMEOUT))
            .transport((siloId) -> !siloId.equals("silo-1") ? network.transport()
                    : new ForwardingTransport(network.transport()) {

                        @Override
                        public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
                            if (envelope.forwardCount() == 0 || !y.equals(envelope.actorId())) {
                                return super.send(target, envelope);
                            }
                            held.incrementAndGet();
                            return released.thenCompose((ignored) -> super.send(target, envelope));
                        }
                    }));
        TestSilo stale = this.cluster.silo(0);
        stale.holdViews();
        TestSilo joined = this.cluster.addSilo();
        InJvmTransport outsider = network.transport();
        BlockingQueue<Envelope> answers = new LinkedBlockingQueue<>();
        SiloAddress outsiderAddress = outsider.start("outsider", answers::add);
        try {
            this.environment.open("held");
            SiloEntry silo0 = stale.routing().view().silo("silo-0").orElseThrow();
            Envelope call = new Envelope(1, 1, Envelope.Kind.REQUEST, "outsider", 1, outsiderAddress, "silo-0",
                    silo0.epoch(), "Tally", x,
                    ClusterEnvelopeTests.methodId("holdThrough(java.lang.String,java.lang.String)"),
                    ("[\"" + y + "\",\"held\"]").getBytes(StandardCharsets.UTF_8), Long.MAX_VALUE, null, Map.of(),
                    System.currentTimeMillis() + CALL_TIMEOUT.toMillis(), 0, 0);
            // Chain 1 holds X on silo-0 and calls Y where silo-0's old view says Y lives: silo-1 passes it on.
            outsider.send(silo0.address(), call);
            await().atMost(TallyEnvironment.timeout()).until(() -> held.get() == 1);
            // Chain 2 holds Y on silo-2 at a gate; then the call passed on arrives and waits behind it.
            CompletableFuture<String> second = CompletableFuture
                .supplyAsync(() -> joined.get(Tally.class, y).callBackAfter(x, "back"));
            await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("back"));
            released.complete(null);
            await().atMost(TallyEnvironment.timeout())
                .until(() -> joined.runtime().queuedMessages(Tally.class, y) == 1);
            long started = System.nanoTime();
            this.environment.open("back");

            DeadlockException deadlock = outsidersChainBroken(answers, stale, started);
            assertThat(deadlock.getActors()).containsExactlyInAnyOrder("Tally/" + x, "Tally/" + y);
            assertThat(deadlock).hasMessageEndingWith("Failing the call to Tally/" + y
                    + ".hold() of chain " + Long.toHexString(Long.MAX_VALUE));
            assertThat(second).succeedsWithin(TallyEnvironment.timeout()).isEqualTo(y + "@silo-2 -> " + x + "@silo-0");
        }
        finally {
            released.complete(null);
            outsider.close();
            this.cluster.close();
            network.close();
        }
    }

    /**
     * A call that reaches a silo where its directory-placed actor no longer lives (the caller's silo remembers an
     * older activation) is sent on by that silo's activation gate to where the actor lives: probes and the victim
     * notice that reach the first silo must follow it. The chain that makes that call comes from outside with the
     * highest chain id, so that it is the victim.
     */
    @Test
    void cycleThroughACallTheActivationGateSentOnIsBrokenWhereTheCallWaits() throws Exception {
        InJvmNetwork network = new InJvmNetwork();
        RecordedRoutingMetrics metrics = new RecordedRoutingMetrics();
        this.cluster = new TallyCluster(this.environment, TestCluster.builder().silos(3).runtime((siloId, runtime) -> {
            runtime.actor(TallyActor.class, () -> new TallyActor(this.environment, siloId));
            runtime.actor(HomebodyActor.class, () -> new HomebodyActor(this.environment, siloId));
            runtime.callTimeout(CALL_TIMEOUT);
        })
            .routing((routing) -> routing.metrics(metrics))
            .transport((siloId) -> network.transport()));
        TestSilo oldHost = this.cluster.silo(0);
        TestSilo newHost = this.cluster.silo(1);
        TestSilo caller = this.cluster.silo(2);
        String x = this.cluster.idOwnedBy("silo-2");
        // Homebody H lives on silo-0, and silo-2 remembers it there; then it lives on silo-1.
        assertThat(oldHost.get(Homebody.class, "h").where()).isEqualTo("silo-0");
        assertThat(caller.get(Homebody.class, "h").where()).isEqualTo("silo-0");
        assertThat(oldHost.runtime().deactivate(Homebody.class, "h")).isTrue();
        await().atMost(TallyEnvironment.timeout()).until(() -> this.cluster.cluster().silos().stream()
            .mapToInt((silo) -> silo.routing().directoryEntries()).sum() == 0);
        InJvmTransport outsider = network.transport();
        BlockingQueue<Envelope> answers = new LinkedBlockingQueue<>();
        SiloAddress outsiderAddress = outsider.start("outsider", answers::add);
        try {
            // Chain 2 holds H on silo-1 at a gate.
            CompletableFuture<String> second = CompletableFuture
                .supplyAsync(() -> newHost.get(Homebody.class, "h").holdThenAskBack("back", x));
            await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("back"));
            // Chain 1 holds X on silo-2 and calls H where silo-2 remembers it, on silo-0, whose activation gate
            // finds H on silo-1 and sends the call there: it waits behind chain 2. Then chain 2 calls X.
            SiloEntry silo2 = caller.routing().view().silo("silo-2").orElseThrow();
            outsider.send(silo2.address(), new Envelope(1, 1, Envelope.Kind.REQUEST, "outsider", 1, outsiderAddress,
                    "silo-2", silo2.epoch(), "Tally", x,
                    ClusterEnvelopeTests.methodId("homebodyWhere(java.lang.String)"),
                    "[\"h\"]".getBytes(StandardCharsets.UTF_8), Long.MAX_VALUE, null, Map.of(),
                    System.currentTimeMillis() + CALL_TIMEOUT.toMillis(), 0, 0));
            await().atMost(TallyEnvironment.timeout())
                .until(() -> newHost.runtime().queuedMessages(Homebody.class, "h") == 1);
            assertThat(metrics.forwarded()).as("no routing passed the call on: the activation gate did").isEmpty();
            long started = System.nanoTime();
            this.environment.open("back");

            DeadlockException deadlock = outsidersChainBroken(answers, caller, started);
            assertThat(deadlock.getActors()).containsExactlyInAnyOrder("Tally/" + x, "Homebody/h");
            assertThat(deadlock).hasMessageEndingWith("Failing the call to Homebody/h.where() of chain "
                    + Long.toHexString(Long.MAX_VALUE));
            assertThat(second).succeedsWithin(TallyEnvironment.timeout()).isEqualTo("silo-1");
        }
        finally {
            outsider.close();
            this.cluster.close();
            network.close();
        }
    }

    @Test
    void chainBackIntoItsFirstActorAcrossSilosIsNoDeadlockHoweverLongItWaits() {
        this.cluster = cluster(2);
        String first = this.cluster.idOwnedBy("silo-0");
        String second = this.cluster.idOwnedBy("silo-1");
        CompletableFuture<String> chain = CompletableFuture
            .supplyAsync(() -> this.cluster.silo(1).get(Tally.class, first).callThroughHolding(second, "back"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("back"));
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> !chain.isDone());
        this.environment.open("back");
        assertThat(chain).succeedsWithin(TallyEnvironment.timeout())
            .isEqualTo(first + "@silo-0 -> " + second + "@silo-1 -> " + first + "@silo-0");
    }

    @Test
    void longWaitAcrossSilosThatIsNoCycleIsNotReported() {
        this.cluster = cluster(2);
        String x = this.cluster.idOwnedBy("silo-0");
        String y = this.cluster.idOwnedBy("silo-1");
        String w = TallyCluster.idWhere((id) -> !id.equals(y) && this.cluster.ownerOf(id).equals("silo-1"));
        // Chain 1 holds X on silo-0 and waits for Y on silo-1, which waits at a gate; chain 2 holds W on silo-1
        // and waits for X behind chain 1: a path of waits across both silos that closes no cycle.
        CompletableFuture<String> holding = CompletableFuture
            .supplyAsync(() -> this.cluster.silo(0).get(Tally.class, x).holdThrough(y, "long"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached("long"));
        CompletableFuture<String> behind = CompletableFuture
            .supplyAsync(() -> this.cluster.silo(1).get(Tally.class, w).callBack(x));
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
            .until(() -> !holding.isDone() && !behind.isDone());
        this.environment.open("long");
        assertThat(holding).succeedsWithin(TallyEnvironment.timeout()).isEqualTo(x + " -> silo-1");
        assertThat(behind).succeedsWithin(TallyEnvironment.timeout()).isEqualTo(w + "@silo-1 -> " + x + "@silo-0");
    }

    /** The owner of a tally in a cluster of the first {@code silos} silos, silo-0, silo-1, ... */
    private static String owner(String id, int silos) {
        return Objects.requireNonNull(HashRing.of(IntStream.range(0, silos).mapToObj((i) -> "silo-" + i).toList(), 150)
            .ownerOf(new ActorAddress("Tally", id)));
    }

    /**
     * Waits for every chain to end, then checks that exactly one failed, with a {@link DeadlockException}, well before
     * the call timeout.
     * @return that exception
     */
    private static DeadlockException brokenOnce(List<CompletableFuture<String>> chains, long started) {
        CompletableFuture.allOf(chains.stream().map((chain) -> chain.exceptionally((failure) -> null))
            .toArray(CompletableFuture[]::new)).join();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("broken well before the call timeout")
            .isLessThan(BROKEN_WITHIN);
        List<Throwable> failures = chains.stream().filter(CompletableFuture::isCompletedExceptionally)
            .map((chain) -> chain.handle((result, failure) -> (failure instanceof CompletionException)
                    ? failure.getCause() : failure).join())
            .toList();
        assertThat(failures).hasSize(1);
        assertThat(failures.getFirst()).isInstanceOf(DeadlockException.class);
        return (DeadlockException) failures.getFirst();
    }

    /**
     * Waits for the answer to an outsider's call whose chain was a cycle's victim, and checks that it came well before
     * the call timeout.
     * @return the {@link DeadlockException} it carries
     */
    private static DeadlockException outsidersChainBroken(BlockingQueue<Envelope> answers, TestSilo silo, long started)
            throws InterruptedException {
        Envelope answer = answers.poll(CALL_TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("broken well before the call timeout")
            .isLessThan(BROKEN_WITHIN);
        assertThat(answer).as("the outsider's answer").isNotNull();
        assertThat(answer.kind()).isEqualTo(Envelope.Kind.ERROR);
        Throwable failure = new JacksonPayloadCodec(JsonMapper.builder().build(), silo.runtime(), List.of())
            .decodeFailure(answer.payload());
        assertThat(failure).isInstanceOf(DeadlockException.class);
        return (DeadlockException) failure;
    }

    private TallyCluster cluster(int silos) {
        return new TallyCluster(this.environment, silos, (runtime) -> runtime.callTimeout(CALL_TIMEOUT)
            .metrics(new ActorMetrics() {

                @Override
                public CallMetrics forMethod(Class<? extends Actor> contract, String method) {
                    return CallMetrics.NONE;
                }

                @Override
                public void deadlockBroken(boolean acrossSilos) {
                    ClusterDeadlockTests.this.deadlocksBroken.add(acrossSilos);
                }
            }), (routing) -> {
            });
    }

    /** Starts one chain per tally of the ring, each from the silo after its tally's; each calls the next. */
    private List<CompletableFuture<String>> startRing(List<String> ring, String meeting) {
        List<CompletableFuture<String>> chains = new ArrayList<>();
        for (int i = 0; i < ring.size(); i++) {
            String holder = ring.get(i);
            String next = ring.get((i + 1) % ring.size());
            TestSilo caller = this.cluster.silo((i + 1) % ring.size());
            chains.add(CompletableFuture.supplyAsync(
                    () -> caller.get(Tally.class, holder).meetThenCall(next, meeting, ring.size())));
        }
        return chains;
    }

    private void assertBrokenOnce(List<CompletableFuture<String>> chains, List<String> ring, long started) {
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        List<Throwable> failures = new ArrayList<>();
        for (int i = 0; i < chains.size(); i++) {
            CompletableFuture<String> chain = chains.get(i);
            if (chain.isCompletedExceptionally()) {
                failures.add(chain.handle((result, failure) -> (failure instanceof CompletionException)
                        ? failure.getCause() : failure).join());
            }
            else {
                String holder = ring.get(i);
                assertThat(chain.join()).isEqualTo(holder + " -> " + this.cluster.ownerOf(ring.get((i + 1) % ring.size())));
            }
        }
        assertThat(failures).hasSize(1);
        assertThat(failures.getFirst()).isInstanceOf(DeadlockException.class)
            .hasMessageStartingWith("Deadlock between call chains: chain ")
            .hasMessageContaining("Failing the call to Tally/");
        DeadlockException deadlock = (DeadlockException) failures.getFirst();
        assertThat(deadlock.getActors())
            .containsExactlyInAnyOrderElementsOf(ring.stream().map((id) -> "Tally/" + id).toList());
        for (String id : ring) {
            assertThat(deadlock.getMessage()).contains("holds Tally/" + id + " and waits for");
        }
        assertThat(took).as("broken well before the call timeout").isLessThan(BROKEN_WITHIN);
        assertThat(this.deadlocksBroken).as("counted once, where the victim waited").containsExactly(true);
    }
}
