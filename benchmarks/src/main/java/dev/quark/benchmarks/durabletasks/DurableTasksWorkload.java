package dev.quark.benchmarks.durabletasks;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

import dev.quark.benchmarks.Workloads;
import dev.quark.benchmarks.harness.BenchServers;
import dev.quark.benchmarks.harness.BenchServers.PostgresSchema;
import dev.quark.benchmarks.harness.Figure;
import dev.quark.benchmarks.harness.RunMode;
import dev.quark.benchmarks.harness.Stats;
import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.client.InstanceUpdates;
import dev.quark.durabletasks.client.StoreDurableTaskClient;
import dev.quark.durabletasks.payload.JacksonPayloadConverter;
import dev.quark.durabletasks.payload.PayloadConverter;
import dev.quark.durabletasks.store.jdbc.JdbcDurableTaskStore;
import dev.quark.durabletasks.worker.DurableTaskWorker;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.jdbc.JdbcLeaseStore;

/**
 * Durable tasks on PostgreSQL: orchestrations/s and activities/s of a {@linkplain SequenceOrchestration 5-activity
 * sequence} and a {@linkplain FanOutOrchestration 100-wide fan-out} of no-op activities, against the {@linkplain
 * RawInsertReference raw JDBC insert rate} of the rows the store inserts for the same instances.
 * <p>
 * Each round, on a fresh schema: schedules the instances through the {@code DurableTaskClient} ({@value #SCHEDULERS}
 * threads, the worker not started), starts one {@code DurableTaskWorker} with the default settings (16 steps and 64
 * activity attempts at once, polling every second, leases in the same database) and measures the time until the
 * store counts every instance completed. Then it reads one completed instance's rows and inserts those of as many
 * instances with plain JDBC. {@code QUARK_BENCH_DURABLE_TASKS} picks some of the shapes ({@value #SHAPES}).
 */
public final class DurableTasksWorkload {

    /** The orchestrations measured. */
    public static final String SHAPES = "sequence,fan-out";

    /** Threads scheduling at once. */
    static final int SCHEDULERS = 16;

    /** How long one round may take to complete its instances. */
    private static final Duration ROUND_TIMEOUT = Duration.ofMinutes(5);

    private DurableTasksWorkload() {
    }

    /**
     * Returns the instances of one measured round.
     * @param shape {@code sequence} or {@code fan-out}
     * @param mode the run mode
     * @return the instances
     */
    public static int instances(String shape, RunMode mode) {
        boolean full = mode.name().equals("full");
        return shape.equals("sequence") ? (full ? 2_000 : 500) : (full ? 100 : 30);
    }

    /** Measured rounds per shape, after a warm-up round of a fifth of the instances. */
    private static int rounds(RunMode mode) {
        return mode.name().equals("full") ? 3 : 2;
    }

    public static List<Figure> run(RunMode mode) throws Exception {
        String chosen = System.getenv("QUARK_BENCH_DURABLE_TASKS");
        List<Figure> figures = new ArrayList<>();
        for (String shape : ((chosen != null && !chosen.isBlank()) ? chosen : SHAPES).split(",")) {
            try {
                figures.addAll(run(mode, shape.strip()));
            }
            catch (InterruptedException ex) {
                throw ex;
            }
            catch (Exception ex) {
                Throwable cause = ex;
                while (cause.getCause() != null) {
                    cause = cause.getCause();
                }
                Workloads.progress("quark", "durable-tasks, %s: not measured: %s (%s)", shape, ex, cause);
            }
        }
        return figures;
    }

    private static List<Figure> run(RunMode mode, String shape) throws Exception {
        String name = switch (shape) {
            case "sequence" -> "bench-sequence";
            case "fan-out" -> "bench-fan-out";
            default -> throw new IllegalArgumentException("Unknown durable-tasks shape '" + shape + "': use " + SHAPES);
        };
        int activities = shape.equals("sequence") ? SequenceOrchestration.ACTIVITIES : FanOutOrchestration.ACTIVITIES;
        int instances = instances(shape, mode);
        int rounds = rounds(mode);
        double[] rates = new double[rounds];
        double[] activityRates = new double[rounds];
        double[] rawRates = new double[rounds];
        double[] ratios = new double[rounds];
        for (int round = -1; round < rounds; round++) {
            int count = (round < 0) ? Math.max(1, instances / 5) : instances;
            try (PostgresSchema schema = BenchServers.postgresSchema("durabletasks", 24)) {
                Measured measured = measure(schema, name, count);
                double raw = RawInsertReference.run(schema.dataSource(), measured.rows(), count, round + 1);
                double rate = count / measured.seconds();
                if (round >= 0) {
                    rates[round] = rate;
                    activityRates[round] = rate * activities;
                    rawRates[round] = raw;
                    ratios[round] = rate / raw;
                }
                Workloads.progress("quark", "durable-tasks, %s: %,d instances scheduled at %,.0f/s, completed at "
                        + "%,.1f/s (%,.0f activities/s, %,d activity attempts); raw JDBC insert of their %,d rows "
                        + "each: %,.1f instances/s (%,.0f rows/s), ratio %.3f%s", shape, count, measured.scheduled(),
                        rate, rate * activities, measured.attempts(), measured.rows().count(), raw,
                        raw * measured.rows().count(), rate / raw, (round < 0) ? " (warm-up)" : "");
            }
        }
        String key = "durable." + shape;
        return List.of(new Figure(key + ".rate", "quark", Stats.of(rates)),
                new Figure(key + ".activities", "quark", Stats.of(activityRates)),
                new Figure(key + ".raw", "quark", Stats.of(rawRates)),
                new Figure(key + ".vs-raw", "quark", Stats.of(ratios)));
    }

    private record Measured(double seconds, double scheduled, long attempts, OrchestrationRows rows) {
    }

    private static Measured measure(PostgresSchema schema, String name, int count) throws Exception {
        TablePrefix prefix = new TablePrefix(TablePrefix.DEFAULT);
        JdbcLeaseStore.migration(prefix).apply(schema.dataSource());
        JdbcDurableTaskStore.migration(prefix).apply(schema.dataSource());
        JdbcDurableTaskStore store = new JdbcDurableTaskStore(schema.dataSource(), prefix);
        LongAdder attempts = new LongAdder();
        PayloadConverter converter = new JacksonPayloadConverter();
        DurableTaskRegistry registry = DurableTaskRegistry.builder(converter)
            .orchestration(SequenceOrchestration.class, SequenceOrchestration::new)
            .orchestration(FanOutOrchestration.class, FanOutOrchestration::new)
            .activity(new NoOpActivity(attempts))
            .build();
        InstanceUpdates updates = new InstanceUpdates();
        try (DurableTaskWorker worker = DurableTaskWorker
            .builder(store, new JdbcLeaseStore(schema.dataSource(), prefix, Clock.systemUTC()), registry)
            .payloadConverter(converter)
            .instanceListener(updates::changed)
            .build()) {
            StoreDurableTaskClient client = new StoreDurableTaskClient(store, converter, Clock.systemUTC(), registry,
                    worker::wake, updates);
            List<String> ids = new ArrayList<>(count);
            double scheduled = schedule(client, name, count, ids);
            long start = System.nanoTime();
            worker.start();
            long deadline = start + ROUND_TIMEOUT.toNanos();
            while (true) {
                Map<OrchestrationStatus, Long> counts = store.countByStatus();
                long completed = counts.getOrDefault(OrchestrationStatus.COMPLETED, 0L);
                if (completed >= count) {
                    break;
                }
                if (counts.getOrDefault(OrchestrationStatus.FAILED, 0L) > 0 || System.nanoTime() > deadline) {
                    throw new IllegalStateException(String.format(Locale.ROOT,
                            "%,d %s instances: %s after %.0f s", count, name, counts, (System.nanoTime() - start) / 1e9));
                }
                Thread.sleep(20);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Measured(seconds, scheduled, attempts.sum(), OrchestrationRows.of(schema.dataSource(), ids.get(0)));
        }
    }

    private static double schedule(StoreDurableTaskClient client, String name, int count, List<String> ids)
            throws Exception {
        long start = System.nanoTime();
        Semaphore inFlight = new Semaphore(SCHEDULERS);
        List<Future<String>> calls = new ArrayList<>(count);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < count; i++) {
                int input = i;
                inFlight.acquire();
                calls.add(threads.submit(() -> {
                    try {
                        return client.schedule(name, input);
                    }
                    finally {
                        inFlight.release();
                    }
                }));
            }
            for (Future<String> call : calls) {
                ids.add(call.get());
            }
        }
        return count / ((System.nanoTime() - start) / 1e9);
    }
}
