package dev.quark.benchmarks.crosssilo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

import dev.quark.benchmarks.PipelinedCallers;
import dev.quark.benchmarks.Workloads;
import dev.quark.benchmarks.harness.CallingStyle;
import dev.quark.benchmarks.harness.Figure;
import dev.quark.benchmarks.harness.RunMode;
import dev.quark.benchmarks.harness.Stats;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Cross-silo request/response on loopback: callers in one place, {@value #ACTORS} echo actors in another, a
 * {@value #PAYLOAD_BYTES}-byte payload there and back, at {@link #IN_FLIGHT} calls in flight, in both calling
 * styles. Quark's side is two silos over its gRPC transport ({@link QuarkSilos}), measured in the same JVM and the
 * same iterations as a raw gRPC bidirectional-stream echo of the same payload ({@link RawGrpcEcho}), whose rate is
 * the physical reference; Pekko's side, in a JVM of its own, is two ActorSystems over Artery TCP ({@link
 * PekkoRemote}). Every iteration checks that the far side served exactly the calls the callers completed.
 */
public final class CrossSiloWorkload {

    /** Calls in flight. */
    public static final int[] IN_FLIGHT = { 16, 256 };

    /** Echo actors the calls spread over (Quark and Pekko). */
    public static final int ACTORS = 1_000;

    /** The bytes of each call's payload (and of its answer). */
    public static final int PAYLOAD_BYTES = 128;

    private static final Duration GRACE = Duration.ofMinutes(2);

    private CrossSiloWorkload() {
    }

    /**
     * Runs the workload for one contender.
     * @param contender {@code quark} (with the raw gRPC reference) or {@code pekko}
     * @param mode the run mode
     * @return the figures
     */
    public static List<Figure> run(String contender, RunMode mode) throws Exception {
        byte[] payload = new byte[PAYLOAD_BYTES];
        ThreadLocalRandom.current().nextBytes(payload);
        List<Figure> figures = new ArrayList<>();
        if (contender.equals("pekko")) {
            try (PekkoRemote pekko = new PekkoRemote(ACTORS)) {
                for (CallingStyle style : CallingStyle.values()) {
                    for (int inFlight : IN_FLIGHT) {
                        Series series = new Series(mode);
                        for (int i = -mode.warmups(); i < mode.iterations(); i++) {
                            series.record(i, measure("pekko", pekko, style, inFlight, payload, mode));
                        }
                        figures.addAll(series.figures(style.key("crosssilo." + inFlight), "pekko"));
                    }
                }
            }
            return figures;
        }
        if (!contender.equals("quark")) {
            throw new IllegalArgumentException("Unknown contender '" + contender + "': use quark or pekko");
        }
        try (QuarkSilos quark = new QuarkSilos(ACTORS); RawGrpcEcho raw = new RawGrpcEcho()) {
            for (CallingStyle style : CallingStyle.values()) {
                for (int inFlight : IN_FLIGHT) {
                    Series quarkSeries = new Series(mode);
                    Series rawSeries = new Series(mode);
                    double[] ratios = new double[mode.iterations()];
                    for (int i = -mode.warmups(); i < mode.iterations(); i++) {
                        Result quarkResult = measure("quark", quark, style, inFlight, payload, mode);
                        Result rawResult = measure("raw gRPC", raw, style, inFlight, payload, mode);
                        quarkSeries.record(i, quarkResult);
                        rawSeries.record(i, rawResult);
                        if (i >= 0) {
                            ratios[i] = quarkResult.rate() / rawResult.rate();
                        }
                    }
                    String key = style.key("crosssilo." + inFlight);
                    figures.addAll(quarkSeries.figures(key, "quark"));
                    figures.addAll(rawSeries.figures(key + ".raw", "quark"));
                    figures.add(new Figure(key + ".vs-raw", "quark", Stats.of(ratios)));
                }
            }
        }
        return figures;
    }

    private static Result measure(String name, CrossSiloSide side, CallingStyle style, int inFlight, byte[] payload,
            RunMode mode) throws Exception {
        Recorder recorder = new Recorder(3);
        long servedBefore = side.served();
        long start = System.nanoTime();
        long deadline = start + mode.requestResponseTime().toNanos();
        long calls = (style == CallingStyle.ASYNC)
                ? PipelinedCallers.run(inFlight, deadline, recorder, GRACE, null, () -> side.callAsync(payload))
                : blocking(side, inFlight, deadline, recorder, payload);
        double seconds = (System.nanoTime() - start) / 1e9;
        long served = side.served() - servedBefore;
        if (served != calls) {
            throw new IllegalStateException(name + ": the far side served " + served + " calls, the callers completed "
                    + calls);
        }
        Histogram latencies = recorder.getIntervalHistogram();
        Result result = new Result(calls / seconds, latencies.getValueAtPercentile(50) / 1000.0,
                latencies.getValueAtPercentile(99) / 1000.0);
        Workloads.progress(name, "cross-silo, %s callers, %d in flight: %,.0f calls/s, p50 %.1f µs, p99 %.1f µs",
                (style == CallingStyle.ASYNC) ? "async" : "blocking", inFlight, result.rate(), result.p50(),
                result.p99());
        return result;
    }

    /** Callers on virtual threads, each waiting for its answer before its next call. */
    private static long blocking(CrossSiloSide side, int inFlight, long deadline, Recorder latencies, byte[] payload)
            throws Exception {
        LongAdder completed = new LongAdder();
        List<Thread> callers = new ArrayList<>(inFlight);
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < inFlight; i++) {
            callers.add(Thread.ofVirtual().name("caller-" + i).start(() -> {
                long calls = 0;
                long now = System.nanoTime();
                try {
                    while (now < deadline) {
                        side.call(payload);
                        long end = System.nanoTime();
                        latencies.recordValue(end - now);
                        now = end;
                        calls++;
                    }
                }
                catch (Exception ex) {
                    failures.add(ex);
                }
                completed.add(calls);
            }));
        }
        for (Thread caller : callers) {
            caller.join();
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("A call failed", failures.getFirst());
        }
        return completed.sum();
    }

    private record Result(double rate, double p50, double p99) {
    }

    /** The measured iterations of one side at one number of calls in flight. */
    private static final class Series {

        private final double[] rates;

        private final double[] p50;

        private final double[] p99;

        Series(RunMode mode) {
            this.rates = new double[mode.iterations()];
            this.p50 = new double[mode.iterations()];
            this.p99 = new double[mode.iterations()];
        }

        void record(int iteration, Result result) {
            if (iteration >= 0) {
                this.rates[iteration] = result.rate();
                this.p50[iteration] = result.p50();
                this.p99[iteration] = result.p99();
            }
        }

        List<Figure> figures(String key, String contender) {
            return List.of(new Figure(key + ".rate", contender, Stats.of(this.rates)),
                    new Figure(key + ".p50", contender, Stats.of(this.p50)),
                    new Figure(key + ".p99", contender, Stats.of(this.p99)));
        }
    }
}
