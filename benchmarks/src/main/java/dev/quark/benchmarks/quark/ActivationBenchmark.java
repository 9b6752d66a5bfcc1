package dev.quark.benchmarks.quark;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.quark.benchmarks.Completion;
import dev.quark.benchmarks.OneWayRound;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.TurnScheduler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Quark only: what one first call to a new actor costs, what a reference alone costs, and what one one-way
 * message to an active actor costs, each from one platform thread. Meant to be run with JMH's {@code -prof gc}:
 * {@code gc.alloc.rate.norm} (bytes allocated per operation) does not depend on the machine's load, the times
 * do. {@link #ids} is the baseline: what making the ids alone allocates, included in the other figures.
 * <p>
 * Run alone with {@code java -cp benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)
 * org.openjdk.jmh.Main ActivationBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = { "-Xms4g", "-Xmx4g" })
public class ActivationBenchmark {

    /** First calls (or one-way messages) per benchmark invocation, so waiting for them is shared. */
    static final int BATCH = 1_000;

    /** Actors the one-way messages go round. */
    static final int COUNTERS = 100;

    static final Duration WAIT = Duration.ofMinutes(1);

    /** The turn scheduler of {@link #runtime} (the inline runtime has none): both, measured in the same run. */
    @Param({ "VIRTUAL_THREADS", "READY_QUEUE" })
    public String scheduler = "VIRTUAL_THREADS";

    private ActorRuntime runtime;

    private Counter[] counters;

    /**
     * A runtime whose turns run on the sending thread: without thread starts and hand-overs, whose number
     * depends on how busy the machine is, its bytes per operation are what Quark itself allocates.
     */
    private ActorRuntime inline;

    private Counter[] inlineCounters;

    private long next;

    @Setup(Level.Trial)
    public void start() throws Exception {
        this.runtime = ActorRuntime.builder()
            .actor(HolderActor.class)
            .actor(CounterActor.class)
            .idleTimeout(Duration.ofHours(1))
            .turnScheduler(TurnScheduler.valueOf(this.scheduler))
            .build();
        this.counters = startCounters(this.runtime);
        this.inline = ActorRuntime.builder()
            .actor(HolderActor.class)
            .actor(CounterActor.class)
            .idleTimeout(Duration.ofHours(1))
            .turnExecutor(Runnable::run)
            .build();
        this.inlineCounters = startCounters(this.inline);
    }

    private static Counter[] startCounters(ActorRuntime runtime) throws Exception {
        Counter[] started = new Counter[COUNTERS];
        OneWayRound round = new OneWayRound(COUNTERS, 1);
        for (int i = 0; i < COUNTERS; i++) {
            started[i] = runtime.get(Counter.class, "counter-" + i);
            started[i].add(round);
        }
        round.await(WAIT);
        return started;
    }

    @TearDown(Level.Trial)
    public void stop() {
        this.runtime.close();
        this.inline.close();
    }

    private String nextId() {
        return Long.toString(this.next++);
    }

    /** The baseline: making one id. */
    @Benchmark
    public String ids() {
        return nextId();
    }

    /** A reference to a new actor, never called. */
    @Benchmark
    public Holder reference() {
        return this.runtime.get(Holder.class, nextId());
    }

    /** A first call (one-way) to a new actor, until its turn has run. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void firstCall() throws Exception {
        Completion started = new Completion(BATCH, "holders");
        for (int i = 0; i < BATCH; i++) {
            this.runtime.get(Holder.class, nextId()).hold(i, started);
        }
        started.await(WAIT);
    }

    /** The same, its turns run on this thread. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void firstCallInline() throws Exception {
        Completion started = new Completion(BATCH, "holders");
        for (int i = 0; i < BATCH; i++) {
            this.inline.get(Holder.class, nextId()).hold(i, started);
        }
        started.await(WAIT);
    }

    /** A one-way message to an active actor, through a reference kept by the sender, until it has run. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void oneWay() throws Exception {
        sendOneWay(this.counters);
    }

    /** The same, its turns run on this thread. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void oneWayInline() throws Exception {
        sendOneWay(this.inlineCounters);
    }

    private static void sendOneWay(Counter[] all) throws Exception {
        OneWayRound round = new OneWayRound(COUNTERS, BATCH / COUNTERS);
        for (int i = 0; i < BATCH; i++) {
            all[i % COUNTERS].add(round);
        }
        round.await(WAIT);
    }
}
