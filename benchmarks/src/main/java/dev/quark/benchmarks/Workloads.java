package dev.quark.benchmarks;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import dev.quark.benchmarks.harness.CallingStyle;
import dev.quark.benchmarks.harness.Figure;
import dev.quark.benchmarks.harness.RunMode;
import dev.quark.benchmarks.harness.Stats;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The workloads both contenders run, each in a JVM of its own: warm-up iterations, then measured ones
 * whose min, median and max become the figures.
 */
public final class Workloads {

    private Workloads() {
    }

    /** How long past a deadline the last answers of asynchronous callers may take. */
    private static final Duration GRACE = Duration.ofMinutes(5);

    /** Callers of one request/response measurement: how many calls they completed before the deadline. */
    @FunctionalInterface
    private interface Callers {

        long run(int inFlight, long deadlineNanos, Recorder latencies) throws Exception;
    }

    /**
     * Request/response throughput and latency at each number of calls in flight, over {@value
     * RunMode#COUNTERS} counters. The asynchronous style is measured twice: with each callback (and the
     * call it makes) where the runtime completes the future, and with the callers on {@value
     * RunMode#ASYNC_CALLER_THREADS} platform threads that every answer is handed to.
     */
    public static List<Figure> requestResponse(String name, Contender contender, CallingStyle style, RunMode mode)
            throws Exception {
        contender.startCounters(RunMode.COUNTERS);
        if (style == CallingStyle.BLOCKING) {
            return requestResponse(name, mode, "rr.", "request-response", contender::requestResponse);
        }
        List<Figure> figures = new ArrayList<>(requestResponse(name, mode, "async.rr.", "request-response-async",
                (inFlight, deadline, latencies) -> PipelinedCallers.run(inFlight, deadline, latencies, GRACE, null,
                        contender::incrementAndGetAsync)));
        try (ExecutorService platformThreads = Executors.newFixedThreadPool(RunMode.ASYNC_CALLER_THREADS,
                Thread.ofPlatform().name("async-caller-", 0).factory())) {
            figures.addAll(requestResponse(name, mode, "async.platform.rr.",
                    "request-response-async, callers on platform threads",
                    (inFlight, deadline, latencies) -> PipelinedCallers.run(inFlight, deadline, latencies, GRACE,
                            platformThreads, contender::incrementAndGetAsync)));
        }
        return figures;
    }

    private static List<Figure> requestResponse(String name, RunMode mode, String keyPrefix, String what,
            Callers callers) throws Exception {
        List<Figure> figures = new ArrayList<>();
        for (int inFlight : RunMode.IN_FLIGHT) {
            Recorder recorder = new Recorder(3);
            double[] rates = new double[mode.iterations()];
            double[] p50 = new double[mode.iterations()];
            double[] p99 = new double[mode.iterations()];
            for (int i = -mode.warmups(); i < mode.iterations(); i++) {
                long start = System.nanoTime();
                long calls = callers.run(inFlight, start + mode.requestResponseTime().toNanos(), recorder);
                double seconds = (System.nanoTime() - start) / 1e9;
                Histogram latencies = recorder.getIntervalHistogram();
                if (i >= 0) {
                    rates[i] = calls / seconds;
                    p50[i] = latencies.getValueAtPercentile(50) / 1000.0;
                    p99[i] = latencies.getValueAtPercentile(99) / 1000.0;
                }
                progress(name, "%s, %d in flight: %,.0f calls/s, p50 %.1f µs, p99 %.1f µs%s", what, inFlight,
                        calls / seconds, latencies.getValueAtPercentile(50) / 1000.0,
                        latencies.getValueAtPercentile(99) / 1000.0, (i < 0) ? " (warm-up)" : "");
            }
            figures.add(new Figure(keyPrefix + inFlight + ".rate", name, Stats.of(rates)));
            figures.add(new Figure(keyPrefix + inFlight + ".p50", name, Stats.of(p50)));
            figures.add(new Figure(keyPrefix + inFlight + ".p99", name, Stats.of(p99)));
        }
        return figures;
    }

    /**
     * One-way throughput: {@value RunMode#ONE_WAY_MESSAGES} messages to {@value RunMode#ONE_WAY_ACTORS}
     * counters from {@value RunMode#ONE_WAY_PRODUCERS} producers, until every one is handled.
     */
    public static List<Figure> oneWay(String name, Contender contender, CallingStyle style, RunMode mode)
            throws Exception {
        contender.startCounters(RunMode.ONE_WAY_ACTORS);
        int perActor = RunMode.ONE_WAY_MESSAGES / RunMode.ONE_WAY_ACTORS;
        double[] rates = new double[mode.iterations()];
        for (int i = -mode.warmups(); i < mode.iterations(); i++) {
            long start = System.nanoTime();
            contender.oneWay(style, RunMode.ONE_WAY_PRODUCERS, perActor);
            double rate = RunMode.ONE_WAY_MESSAGES / ((System.nanoTime() - start) / 1e9);
            if (i >= 0) {
                rates[i] = rate;
            }
            progress(name, "%s: %,.0f messages/s%s", style.workload("one-way"), rate, (i < 0) ? " (warm-up)" : "");
        }
        return List.of(new Figure(style.key("oneway.rate"), name, Stats.of(rates)));
    }

    /**
     * Memory per idle actor and activation rate: each iteration starts {@value RunMode#IDLE_ACTORS} actors
     * holding one {@code int} in a fresh system and measures the heap after a full collection. Their first
     * messages come from {@value RunMode#ACTIVATION_PRODUCERS} platform threads in the blocking style, from
     * {@value RunMode#ASYNC_ACTIVATION_PRODUCERS} in the asynchronous one.
     */
    public static List<Figure> idleMemory(String name, Supplier<Contender> contenders, CallingStyle style,
            RunMode mode) throws Exception {
        int producers = (style == CallingStyle.ASYNC) ? RunMode.ASYNC_ACTIVATION_PRODUCERS
                : RunMode.ACTIVATION_PRODUCERS;
        double[] bytes = new double[mode.iterations()];
        double[] rates = new double[mode.iterations()];
        for (int i = -mode.warmups(); i < mode.iterations(); i++) {
            try (Contender contender = contenders.get()) {
                long before = usedHeapAfterFullGc();
                long start = System.nanoTime();
                contender.activate(style, producers, RunMode.IDLE_ACTORS);
                double rate = RunMode.IDLE_ACTORS / ((System.nanoTime() - start) / 1e9);
                double perActor = (usedHeapAfterFullGc() - before) / (double) RunMode.IDLE_ACTORS;
                if (i >= 0) {
                    bytes[i] = perActor;
                    rates[i] = rate;
                }
                progress(name, "%s: %.0f bytes per idle actor, %,.0f activations/s%s", style.workload("idle-memory"),
                        perActor, rate, (i < 0) ? " (warm-up)" : "");
            }
        }
        return List.of(new Figure(style.key("idle.bytes"), name, Stats.of(bytes)),
                new Figure(style.key("idle.rate"), name, Stats.of(rates)));
    }

    /** The heap in use once a full collection has run; {@code System.gc()} is a full collection with G1. */
    static long usedHeapAfterFullGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    public static void progress(String contender, String format, Object... arguments) {
        System.err.printf("  [%s] %s%n", contender, String.format(format, arguments));
    }
}
