package dev.quark.benchmarks.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

import dev.quark.benchmarks.Workloads;
import dev.quark.benchmarks.harness.BenchServers;
import dev.quark.benchmarks.harness.BenchServers.PostgresSchema;
import dev.quark.benchmarks.harness.BenchServers.RedisKeys;
import dev.quark.benchmarks.harness.Figure;
import dev.quark.benchmarks.harness.RunMode;
import dev.quark.benchmarks.harness.Stats;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.store.jdbc.JdbcJobStore;
import dev.quark.jobs.store.memory.InMemoryJobStore;
import dev.quark.jobs.store.redis.RedisJobStore;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.lease.redis.RedisLeaseStore;
import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Durable jobs end to end: each round enqueues {@link #jobs(RunMode)} no-op jobs (from {@value #ENQUEUERS} threads,
 * one enqueue call per job, the workers not started), then starts {@link #WORKERS} workers and measures the time
 * until the store records every job done — claimed, run and its completion written. quark-jobs runs on the
 * in-memory, Redis and PostgreSQL stores, db-scheduler on the same PostgreSQL with the same no-op task, worker count
 * and polling interval (see {@link DbSchedulerJobs}). Both PostgreSQL tables are analyzed once the jobs are enqueued,
 * before the workers start ({@link JobContender#enqueued()}). Every round runs on a fresh store (a schema or key prefix of
 * its own, removed afterwards).
 * <p>
 * {@code QUARK_BENCH_JOBS} picks some of the configurations ({@value #CONFIGURATIONS}); {@code QUARK_BENCH_JOB_WORKERS}
 * sets the worker count (default {@value #DEFAULT_WORKERS}). A configuration whose server cannot be reached is
 * reported and left out of the table.
 */
public final class JobsWorkload {

    /** The configurations, in the order they run. */
    public static final String CONFIGURATIONS = "memory,redis,postgres,db-scheduler";

    static final int DEFAULT_WORKERS = 8;

    /** Workers of quark-jobs' orchestrator and threads of db-scheduler, the same for both. */
    public static final int WORKERS = workers();

    /** How often both poll when they are not told of work: quark-jobs' default. */
    public static final Duration POLL_INTERVAL = Duration.ofSeconds(1);

    /**
     * Whether the PostgreSQL tables are analyzed between the enqueue and the start of the workers: yes, unless
     * {@code QUARK_BENCH_JOBS_ANALYZE=false} (to see what a burst into a table without statistics costs).
     */
    static final boolean ANALYZE = !"false".equalsIgnoreCase(System.getenv("QUARK_BENCH_JOBS_ANALYZE"));

    /**
     * Whether the PostgreSQL configurations count what they send to the server ({@link StatementCountingDataSource}):
     * {@code QUARK_BENCH_JOBS_COUNT=true}. The counting goes through a proxy on every JDBC call, so its jobs/s are not
     * those of the plain runs; the statements, commits and rows per job do not depend on the machine's load.
     */
    static final boolean COUNT = "true".equalsIgnoreCase(System.getenv("QUARK_BENCH_JOBS_COUNT"));

    /** Threads enqueueing at once. */
    public static final int ENQUEUERS = 16;

    /** How long one round may take to run its jobs. */
    private static final Duration ROUND_TIMEOUT = Duration.ofMinutes(5);

    private JobsWorkload() {
    }

    private static int workers() {
        String workers = System.getenv("QUARK_BENCH_JOB_WORKERS");
        return (workers == null || workers.isBlank()) ? DEFAULT_WORKERS : Integer.parseInt(workers.strip());
    }

    /**
     * Returns the prefetch of quark-jobs' orchestrator that {@code QUARK_BENCH_JOB_PREFETCH} sets, for trying other
     * claim sizes.
     * @return the prefetch, or {@code null} for the orchestrator's default (adaptive, up to 4× the workers)
     */
    static @Nullable Integer prefetch() {
        String prefetch = System.getenv("QUARK_BENCH_JOB_PREFETCH");
        return (prefetch == null || prefetch.isBlank()) ? null : Integer.valueOf(prefetch.strip());
    }

    /**
     * Returns the jobs of one measured round.
     * @param mode the run mode
     * @return 10,000 in a quick run (so that it lasts about three minutes on a loaded machine), 50,000 in a full one
     */
    public static int jobs(RunMode mode) {
        return mode.name().equals("full") ? 50_000 : 10_000;
    }

    /**
     * Measured rounds per configuration: 2 in a quick run, 3 in a full one, after one warm-up round of as many jobs as
     * a measured round (a warm-up of a tenth left most of the JIT's work to the first measured round).
     */
    private static int rounds(RunMode mode) {
        return mode.name().equals("full") ? 3 : 2;
    }

    public static List<Figure> run(RunMode mode) throws Exception {
        String chosen = System.getenv("QUARK_BENCH_JOBS");
        List<String> configurations = List.of(((chosen != null && !chosen.isBlank()) ? chosen : CONFIGURATIONS).split(","));
        List<Figure> figures = new ArrayList<>();
        for (String configuration : configurations) {
            try {
                figures.addAll(run(mode, configuration.strip()));
            }
            catch (InterruptedException ex) {
                throw ex;
            }
            catch (Exception ex) {
                Throwable cause = ex;
                while (cause.getCause() != null) {
                    cause = cause.getCause();
                }
                Workloads.progress("quark", "jobs, %s: not measured: %s (%s)", configuration, ex, cause);
            }
        }
        Stats quark = find(figures, "jobs.postgres.rate");
        Stats peer = find(figures, "jobs.db-scheduler.rate");
        if (quark != null && peer != null) {
            double ratio = quark.median() / peer.median();
            figures.add(new Figure("jobs.postgres.vs-db-scheduler", "quark", new Stats(ratio, ratio, ratio)));
        }
        return figures;
    }

    private static List<Figure> run(RunMode mode, String configuration) throws Exception {
        int jobs = jobs(mode);
        double[] rates = new double[rounds(mode)];
        double[] enqueueRates = new double[rounds(mode)];
        double[] perClaim = new double[rounds(mode)];
        double[] claimMillis = new double[rounds(mode)];
        for (int round = -1; round < rounds(mode); round++) {
            LongAdder executed = new LongAdder();
            try (JobContender contender = open(configuration, executed)) {
                double enqueued = enqueue(contender, jobs);
                if (ANALYZE) {
                    contender.enqueued();
                }
                RunCost cost = RunCost.start(contender);
                long start = System.nanoTime();
                contender.start();
                awaitDone(contender, executed, jobs, configuration);
                double rate = jobs / ((System.nanoTime() - start) / 1e9);
                String costs = cost.end(contender, jobs);
                String claims = "";
                if (contender instanceof QuarkJobs quark) {
                    ClaimCountingJobStore store = quark.claims();
                    double jobsPerClaim = store.claimed() / (double) Math.max(1, store.claims());
                    double millisPerClaim = store.claimNanos() / 1e6 / Math.max(1, store.claims());
                    claims = String.format(Locale.ROOT, "; %,d claims, %.2f jobs and %.2f ms each; %,d outcome writes, "
                            + "%.2f outcomes each", store.claims(), jobsPerClaim, millisPerClaim, store.outcomeWrites(),
                            store.outcomes() / (double) Math.max(1, store.outcomeWrites()));
                    if (round >= 0) {
                        perClaim[round] = jobsPerClaim;
                        claimMillis[round] = millisPerClaim;
                    }
                }
                if (round >= 0) {
                    rates[round] = rate;
                    enqueueRates[round] = enqueued;
                }
                Workloads.progress("quark", "jobs, %s, %d workers: %,d jobs enqueued at %,.0f/s, run at %,.0f/s%s%s%s",
                        configuration, WORKERS, jobs, enqueued, rate, claims, (round < 0) ? " (warm-up)" : "", costs);
            }
        }
        String key = "jobs." + configuration;
        List<Figure> figures = new ArrayList<>(List.of(new Figure(key + ".rate", "quark", Stats.of(rates)),
                new Figure(key + ".enqueue", "quark", Stats.of(enqueueRates))));
        if (!configuration.equals("db-scheduler")) {
            figures.add(new Figure(key + ".per-claim", "quark", Stats.of(perClaim)));
            figures.add(new Figure(key + ".claim-ms", "quark", Stats.of(claimMillis)));
        }
        return figures;
    }

    private static JobContender open(String configuration, LongAdder executed) {
        TablePrefix prefix = new TablePrefix(TablePrefix.DEFAULT);
        return switch (configuration) {
            case "memory" -> new QuarkJobs(new InMemoryJobStore(), new InMemoryLeaseStore(Clock.systemUTC()), () -> {
            }, () -> {
            }, WORKERS, executed);
            case "redis" -> {
                RedisKeys redis = BenchServers.redisKeys("jobs");
                yield new QuarkJobs(new RedisJobStore(redis.connections(), redis.prefix()),
                        new RedisLeaseStore(redis.connections(), redis.prefix(), Clock.systemUTC()), redis, () -> {
                        }, WORKERS, executed);
            }
            case "postgres" -> {
                PostgresSchema schema = BenchServers.postgresSchema("jobs", poolSize());
                JdbcLeaseStore.migration(prefix).apply(schema.dataSource());
                JdbcJobStore.migration(prefix).apply(schema.dataSource());
                DataSource dataSource = COUNT ? new StatementCountingDataSource(schema.dataSource()) : schema.dataSource();
                yield new QuarkJobs(new JdbcJobStore(dataSource, prefix),
                        new JdbcLeaseStore(dataSource, prefix, Clock.systemUTC()), schema,
                        () -> JdbcClient.create(schema.dataSource()).sql("analyze " + prefix.table("job")).update(),
                        WORKERS, executed)
                    .measured(schema, prefix.table("job"), dataSource);
            }
            case "db-scheduler" -> new DbSchedulerJobs(BenchServers.postgresSchema("dbscheduler", poolSize()), WORKERS,
                    executed, COUNT);
            default -> throw new IllegalArgumentException("Unknown jobs configuration '" + configuration + "': use "
                    + CONFIGURATIONS);
        };
    }

    /** Connections: one per worker and enqueuer, and a few for polls, leases and the completion checks. */
    static int poolSize() {
        return Math.max(WORKERS, ENQUEUERS) + 4;
    }

    /** Enqueues the jobs from {@value #ENQUEUERS} threads; returns the rate. */
    private static double enqueue(JobContender contender, int count) throws Exception {
        long start = System.nanoTime();
        Semaphore inFlight = new Semaphore(ENQUEUERS);
        List<Future<?>> calls = new ArrayList<>(count);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < count; i++) {
                int number = i;
                inFlight.acquire();
                calls.add(threads.submit(() -> {
                    try {
                        contender.enqueue(number);
                    }
                    finally {
                        inFlight.release();
                    }
                }));
            }
            for (Future<?> call : calls) {
                call.get();
            }
        }
        return count / ((System.nanoTime() - start) / 1e9);
    }

    /** Waits until the handler ran every job (counted in this JVM), then until the store records them all done. */
    private static void awaitDone(JobContender contender, LongAdder executed, int count, String configuration)
            throws InterruptedException {
        long deadline = System.nanoTime() + ROUND_TIMEOUT.toNanos();
        while (executed.sum() < count || !contender.allDone(count)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "%s ran %,d of %,d jobs within %s", configuration, executed.sum(), count, ROUND_TIMEOUT));
            }
            Thread.sleep((executed.sum() < count) ? 10 : 5);
        }
    }

    private static @Nullable Stats find(List<Figure> figures, String key) {
        return figures.stream().filter((figure) -> figure.key().equals(key)).map(Figure::stats).findFirst().orElse(null);
    }
}
