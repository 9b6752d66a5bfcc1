package dev.quark.benchmarks.quark;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

import dev.quark.benchmarks.Completion;
import dev.quark.benchmarks.Producers;
import dev.quark.benchmarks.Workloads;
import dev.quark.benchmarks.harness.Figure;
import dev.quark.benchmarks.harness.RunMode;
import dev.quark.benchmarks.harness.Stats;
import dev.quark.runtime.ActorRuntime;

/**
 * Quark only: activations per second while idle collection deactivates the actors activated a moment
 * before (idle timeout 100 ms, collection every 50 ms), so activation and deactivation run side by side.
 */
public final class ChurnWorkload {

    private static final Duration WAIT = Duration.ofMinutes(5);

    private ChurnWorkload() {
    }

    public static List<Figure> run(RunMode mode) throws Exception {
        LongAdder deactivations = new LongAdder();
        double[] rates = new double[mode.iterations()];
        double[] collected = new double[mode.iterations()];
        try (ActorRuntime runtime = ActorRuntime.builder()
            .actor(EphemeralActor.class, () -> new EphemeralActor(deactivations))
            .idleTimeout(Duration.ofMillis(100))
            .collectionInterval(Duration.ofMillis(50))
            .build()) {
            for (int i = -mode.warmups(); i < mode.iterations(); i++) {
                int count = mode.churnActivations();
                Completion started = new Completion(count, "ephemeral actors");
                String prefix = "ephemeral-" + i + "-";
                long deactivatedBefore = deactivations.sum();
                long start = System.nanoTime();
                Producers.send(2, count, (n) -> runtime.get(Ephemeral.class, prefix + n).touch(started));
                started.await(WAIT);
                double seconds = (System.nanoTime() - start) / 1e9;
                double rate = count / seconds;
                double deactivated = (deactivations.sum() - deactivatedBefore) / seconds;
                if (i >= 0) {
                    rates[i] = rate;
                    collected[i] = deactivated;
                }
                Workloads.progress("quark", "churn: %,.0f activations/s, %,.0f deactivations/s, %,d active%s", rate,
                        deactivated, runtime.activationCount(), (i < 0) ? " (warm-up)" : "");
            }
        }
        return List.of(new Figure("churn.rate", "quark", Stats.of(rates)),
                new Figure("churn.deactivations", "quark", Stats.of(collected)));
    }
}
