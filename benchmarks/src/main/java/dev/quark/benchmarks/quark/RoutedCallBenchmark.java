package dev.quark.benchmarks.quark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.quark.benchmarks.OneWayRound;
import dev.quark.cluster.ring.HashRing;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.routing.ActorLocation;
import dev.quark.runtime.routing.ActorLocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Quark only: what the placement lookup of a routed call costs, and what keeping the owner in the reference
 * saves. Both runtimes route every call through a locator that looks its actor up on a hash ring of
 * {@value #SILOS} silos × 150 points (six probes, as a cluster's hash placement does) and finds it here; one
 * locator stamps nothing, so it is asked on every call (as before references kept owners), the other stamps
 * every answer with one membership version, so each reference asks once. Turns run on the sending thread
 * (one-way sends to {@value #COUNTERS} active actors, references kept by the sender), so what differs is the
 * lookup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = { "-Xms2g", "-Xmx2g" })
public class RoutedCallBenchmark {

    static final int SILOS = 100;

    static final int COUNTERS = 100;

    static final int BATCH = 1_000;

    private ActorRuntime everyCall;

    private ActorRuntime keptOwner;

    private Counter[] everyCallCounters;

    private Counter[] keptOwnerCounters;

    @Setup(Level.Trial)
    public void start() throws Exception {
        List<String> silos = new ArrayList<>(SILOS);
        for (int i = 0; i < SILOS; i++) {
            silos.add("silo-" + i);
        }
        HashRing ring = HashRing.of(silos, 150);
        this.everyCall = runtime((address) -> lookedUp(ring, address));
        this.keptOwner = runtime(new ActorLocator() {

            @Override
            public ActorLocation locate(ActorAddress address) {
                return lookedUp(ring, address);
            }

            @Override
            public long locationStamp(ActorAddress address) {
                return 1;
            }
        });
        this.everyCallCounters = counters(this.everyCall);
        this.keptOwnerCounters = counters(this.keptOwner);
    }

    private static ActorLocation lookedUp(HashRing ring, ActorAddress address) {
        return (ring.ownerOf(address) != null) ? ActorLocation.LOCAL : ActorLocation.remote("nobody");
    }

    private static ActorRuntime runtime(ActorLocator locator) {
        return ActorRuntime.builder()
            .actor(CounterActor.class)
            .idleTimeout(Duration.ofHours(1))
            .turnExecutor(Runnable::run)
            .actorLocator(locator)
            .build();
    }

    private static Counter[] counters(ActorRuntime runtime) throws Exception {
        Counter[] started = new Counter[COUNTERS];
        OneWayRound round = new OneWayRound(COUNTERS, 1);
        for (int i = 0; i < COUNTERS; i++) {
            started[i] = runtime.get(Counter.class, "counter-" + i);
            started[i].add(round);
        }
        round.await(Duration.ofMinutes(1));
        return started;
    }

    @TearDown(Level.Trial)
    public void stop() {
        this.everyCall.close();
        this.keptOwner.close();
    }

    /** A routed one-way send whose owner is looked up on the ring each time. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void ownerLookedUpEveryCall() throws Exception {
        send(this.everyCallCounters);
    }

    /** The same send, the owner kept in the reference for the view version. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void ownerKeptInReference() throws Exception {
        send(this.keptOwnerCounters);
    }

    private static void send(Counter[] all) throws Exception {
        OneWayRound round = new OneWayRound(COUNTERS, BATCH / COUNTERS);
        for (int i = 0; i < BATCH; i++) {
            all[i % COUNTERS].add(round);
        }
        round.await(Duration.ofMinutes(1));
    }
}
