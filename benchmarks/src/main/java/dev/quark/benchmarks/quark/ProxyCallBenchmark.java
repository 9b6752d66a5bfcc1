package dev.quark.benchmarks.quark;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.runtime.ActorRuntime;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Quark only: what one uncontended call through an actor reference costs its caller, next to a direct
 * method call on the same class. The caller waits for the turn, which runs on a virtual thread of its own.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ProxyCallBenchmark {

    /** Calls made by one virtual caller per benchmark invocation, so starting it costs next to nothing. */
    static final int CALLS_PER_CALLER = 1_000;

    /** How many platform threads call at once in {@link #proxyCallsFrom16PlatformThreads}. */
    static final int PLATFORM_CALLERS = 16;

    private ActorRuntime runtime;

    private Counter counter;

    private CounterActor direct;

    @Setup(Level.Trial)
    public void start() {
        this.runtime = ActorRuntime.builder().actor(CounterActor.class).build();
        this.counter = this.runtime.get(Counter.class, "proxy");
        this.counter.incrementAndGet();
        this.direct = new CounterActor();
    }

    @TearDown(Level.Trial)
    public void stop() {
        this.runtime.close();
    }

    @Benchmark
    public int directCall() {
        return this.direct.incrementAndGet();
    }

    @Benchmark
    public int proxyCallFromPlatformThread() {
        return this.counter.incrementAndGet();
    }

    /**
     * Sixteen platform threads, each calling an actor of its own: a servlet pool's callers at once, where at most half
     * the processors' callers spin for their answers (the rest park at once).
     */
    @Benchmark
    @Threads(PLATFORM_CALLERS)
    public int proxyCallsFrom16PlatformThreads(Caller caller) {
        return caller.counter.incrementAndGet();
    }

    /** One caller's own actor, in the benchmark's runtime. */
    @State(Scope.Thread)
    public static class Caller {

        private static final AtomicInteger ids = new AtomicInteger();

        private Counter counter;

        @Setup(Level.Trial)
        public void start(ProxyCallBenchmark benchmark) {
            this.counter = benchmark.runtime.get(Counter.class, "caller-" + ids.incrementAndGet());
            this.counter.incrementAndGet();
        }
    }

    @Benchmark
    @OperationsPerInvocation(CALLS_PER_CALLER)
    public int proxyCallFromVirtualThread() throws InterruptedException {
        int[] last = new int[1];
        Thread.ofVirtual().start(() -> {
            for (int i = 0; i < CALLS_PER_CALLER; i++) {
                last[0] = this.counter.incrementAndGet();
            }
        }).join();
        return last[0];
    }
}
