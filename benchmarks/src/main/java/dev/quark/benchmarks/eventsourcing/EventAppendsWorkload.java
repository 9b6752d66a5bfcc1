package dev.quark.benchmarks.eventsourcing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import io.lettuce.core.RedisClient;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import dev.quark.benchmarks.Workloads;
import dev.quark.benchmarks.harness.BenchServers;
import dev.quark.benchmarks.harness.BenchServers.PostgresSchema;
import dev.quark.benchmarks.harness.BenchServers.RedisKeys;
import dev.quark.benchmarks.harness.Figure;
import dev.quark.benchmarks.harness.RunMode;
import dev.quark.benchmarks.harness.Stats;
import dev.quark.eventsourcing.AppendResult;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.jdbc.JdbcEventStore;
import dev.quark.eventsourcing.redis.RedisEventStore;
import dev.quark.jdbc.TablePrefix;

/**
 * Event appends through Quark's {@link EventStore} on PostgreSQL ({@link JdbcEventStore}) and on Redis Streams
 * ({@link RedisEventStore}), against the same rows and entries written raw. Each round, on a fresh schema or key
 * prefix, {@value #THREADS} threads append one event each time (a small JSON payload, a new event id) to
 * {@value #STREAMS} streams; each stream belongs to one thread, which keeps its version and appends with it as the
 * expected version, as an {@code EventSourcedActor}'s activation does, so every append passes the store's
 * optimistic check, its id check and (PostgreSQL) its stream lock. As many events go the raw way from as many
 * threads: on PostgreSQL a plain JDBC insert of the same row into a table of the same DDL (the store's changelog
 * under the prefix {@code raw_}), one transaction per event, and again in auto-commit mode (one statement that
 * commits on its own, under the prefix {@code raw_ac_}); on Redis a plain Lettuce {@code XADD} of the same fields
 * with the version as the entry id. The two sides take turns within a round, in {@value #SLICES} slices each (a
 * slice of the store's events, then one of the raw ones, then the raw side first), and each side's rate is its events
 * over its own time: on a machine whose load drifts, both sides meet the same load. {@code QUARK_BENCH_EVENT_APPENDS} sets the events
 * per round, {@code QUARK_BENCH_EVENT_STORES=postgres} or {@code redis} picks one store. Every phase stops after
 * {@value #PHASE_LIMIT_SECONDS} s even if its events are not all written (the rate counts those that were).
 */
public final class EventAppendsWorkload {

    /** Threads appending at once. */
    static final int THREADS = 8;

    /** How the table names the threads. */
    public static final String THREADS_LABEL = THREADS + " threads";

    /** Streams the events spread over; a multiple of {@link #THREADS}, so that each belongs to one thread. */
    static final int STREAMS = 1_000;

    /** The stores measured unless {@code QUARK_BENCH_EVENT_STORES} says otherwise. */
    public static final String STORES = "postgres,redis";

    /** The slices each side's events of a round are written in, the sides taking turns. */
    static final int SLICES = 10;

    /** The longest a slice of one side runs. */
    static final long PHASE_LIMIT_SECONDS = 60;

    static final String TYPE = "Deposited";

    static final String PAYLOAD = "{\"account\":\"account-42\",\"amount\":1250,\"currency\":\"EUR\"}";

    private EventAppendsWorkload() {
    }

    /**
     * Returns the events of one measured round on a store: 10,000 on PostgreSQL in quick runs, 50,000 in full ones,
     * five times as many on Redis (faster, so noisier in short rounds).
     * @param store {@code postgres} or {@code redis}
     * @param mode the run mode
     * @return the events
     */
    public static int events(String store, RunMode mode) {
        String configured = System.getenv("QUARK_BENCH_EVENT_APPENDS");
        if (configured != null && !configured.isBlank()) {
            int events = Integer.parseInt(configured.strip());
            if (events < THREADS) {
                throw new IllegalArgumentException("QUARK_BENCH_EVENT_APPENDS must be at least " + THREADS + ", was "
                        + configured);
            }
            return events;
        }
        return (mode.name().equals("full") ? 50_000 : 10_000) * (store.equals("redis") ? 5 : 1);
    }

    private static List<String> stores() {
        String configured = System.getenv("QUARK_BENCH_EVENT_STORES");
        List<String> stores = Arrays.asList(((configured == null || configured.isBlank()) ? STORES : configured.strip())
            .split("\\s*,\\s*"));
        for (String store : stores) {
            if (!List.of(STORES.split(",")).contains(store)) {
                throw new IllegalArgumentException("QUARK_BENCH_EVENT_STORES names '" + store + "': use " + STORES);
            }
        }
        return stores;
    }

    private static int rounds(RunMode mode) {
        return mode.name().equals("full") ? 3 : 2;
    }

    public static List<Figure> run(RunMode mode) throws Exception {
        List<Figure> figures = new ArrayList<>();
        for (String store : stores()) {
            figures.addAll(run(store, mode));
        }
        return figures;
    }

    private static List<Figure> run(String store, RunMode mode) throws Exception {
        int events = events(store, mode);
        int rounds = rounds(mode);
        boolean postgres = store.equals("postgres");
        double[] rates = new double[rounds];
        double[] rawRates = new double[rounds];
        double[] ratios = new double[rounds];
        double[] autoCommitRates = new double[rounds];
        double[] autoCommitRatios = new double[rounds];
        for (int round = -1; round < rounds; round++) {
            int count = (round < 0) ? Math.max(THREADS, events / 5) : events;
            double[] measured = postgres ? postgresRound(count) : redisRound(count);
            if (round >= 0) {
                rates[round] = measured[0];
                rawRates[round] = measured[1];
                ratios[round] = measured[0] / measured[1];
                if (postgres) {
                    autoCommitRates[round] = measured[2];
                    autoCommitRatios[round] = measured[0] / measured[2];
                }
            }
            Workloads.progress("quark", "event-appends, %s: %,d events appended at %,.0f/s, one per append, %d "
                    + "threads, %,d streams; raw %s of the same: %,.0f/s; ratio %.3f%s%s", store, count, measured[0],
                    THREADS, STREAMS, postgres ? "JDBC insert in a transaction" : "XADD", measured[1],
                    measured[0] / measured[1], postgres ? String.format("; raw JDBC insert in auto-commit mode: "
                            + "%,.0f/s; ratio %.3f", measured[2], measured[0] / measured[2]) : "",
                    (round < 0) ? " (warm-up)" : "");
        }
        String key = "eventappends." + store;
        List<Figure> figures = new ArrayList<>(List.of(new Figure(key + ".rate", "quark", Stats.of(rates)),
                new Figure(key + ".raw", "quark", Stats.of(rawRates)),
                new Figure(key + ".vs-raw", "quark", Stats.of(ratios))));
        if (postgres) {
            figures.add(new Figure(key + ".raw-autocommit", "quark", Stats.of(autoCommitRates)));
            figures.add(new Figure(key + ".vs-raw-autocommit", "quark", Stats.of(autoCommitRatios)));
        }
        return figures;
    }

    /** Measures the store and the raw side on one fresh schema. */
    private static double[] postgresRound(int count) throws Exception {
        try (PostgresSchema schema = BenchServers.postgresSchema("event_appends", THREADS + 4)) {
            DataSource dataSource = schema.dataSource();
            TablePrefix prefix = new TablePrefix(TablePrefix.DEFAULT);
            JdbcEventStore.migration(prefix).apply(dataSource);
            try (RawInsert raw = new RawInsert(dataSource, "raw_", false);
                    RawInsert autoCommitted = new RawInsert(dataSource, "raw_ac_", true)) {
                return takingTurns(count, new StoreAppends(new JdbcEventStore(dataSource, prefix)), raw,
                        autoCommitted);
            }
        }
    }

    /** Measures the store and the raw side under one fresh key prefix. */
    private static double[] redisRound(int count) throws Exception {
        try (RedisKeys keys = BenchServers.redisKeys("event_appends");
                RedisRaw raw = new RedisRaw(keys.prefix() + "raw:")) {
            return takingTurns(count, new StoreAppends(new RedisEventStore(keys.connections(), keys.prefix())), raw);
        }
    }

    /**
     * Writes {@code count} events through the store and as many through each raw side, in {@link #SLICES} slices each,
     * the sides taking turns (the store first in even slices, the raw sides first in odd ones), then checks the
     * store's streams.
     * @return the store's events per second, then each raw side's, each over its own time
     */
    private static double[] takingTurns(int count, StoreAppends store, Operation... raws) throws Exception {
        int slice = Math.max(THREADS, (count / SLICES) / THREADS * THREADS);
        Timed stored = new Timed(0, 0);
        Timed[] written = new Timed[raws.length];
        Arrays.fill(written, new Timed(0, 0));
        for (int from = 0, n = 0; from < count; from += slice, n++) {
            int to = Math.min(count, from + slice);
            if (n % 2 == 0) {
                stored = stored.plus(timed(from, to, store));
            }
            for (int i = 0; i < raws.length; i++) {
                written[i] = written[i].plus(timed(from, to, raws[i]));
            }
            if (n % 2 != 0) {
                stored = stored.plus(timed(from, to, store));
            }
        }
        store.check();
        double[] rates = new double[1 + raws.length];
        rates[0] = stored.rate();
        for (int i = 0; i < raws.length; i++) {
            rates[1 + i] = written[i].rate();
        }
        return rates;
    }

    /**
     * Appends event {@code i} to stream {@code i % STREAMS}, with the stream's version as its thread last saw it as the
     * expected version.
     */
    private static final class StoreAppends implements Operation {

        private final EventStore store;

        private final long[] versions = new long[STREAMS];

        StoreAppends(EventStore store) {
            this.store = store;
        }

        @Override
        public void run(int thread, int index) {
            int stream = index % STREAMS;
            AppendResult result = this.store.append(stream(stream), List.of(new NewEvent(UUID.randomUUID(), TYPE, 1,
                    PAYLOAD)), this.versions[stream]);
            if (result.duplicate() || result.version() != this.versions[stream] + 1) {
                throw new IllegalStateException("Stream " + stream(stream) + " appended at version "
                        + this.versions[stream] + " returned " + result);
            }
            this.versions[stream] = result.version();
        }

        /** Checks that every stream holds what was appended to it. */
        void check() {
            for (int stream = 0; stream < STREAMS; stream++) {
                long version = this.store.version(stream(stream));
                if (version != this.versions[stream]) {
                    throw new IllegalStateException("Stream " + stream(stream) + " is at version " + version + " in "
                            + this.store + ", but " + this.versions[stream] + " events were appended to it");
                }
            }
        }
    }

    private static String stream(int stream) {
        return "Account/account-" + stream;
    }

    /**
     * Inserts the rows the store would, one plain JDBC transaction each (or, in auto-commit mode, one statement that
     * commits on its own: the cheapest way to write the row), on a connection borrowed from the pool for it, as the
     * store's transactions borrow theirs: a connection held per thread would leave the store's threads a third of the
     * pool while the sides take turns.
     */
    private static final class RawInsert implements Operation, AutoCloseable {

        private final DataSource dataSource;

        private final String insert;

        private final long[] versions = new long[STREAMS];

        private final boolean autoCommit;

        RawInsert(DataSource dataSource, String tablePrefix, boolean autoCommit) {
            this.dataSource = dataSource;
            this.autoCommit = autoCommit;
            TablePrefix prefix = new TablePrefix(tablePrefix);
            JdbcEventStore.migration(prefix).apply(dataSource);
            this.insert = "insert into " + prefix.table("event")
                    + " (stream, version, event_id, event_type, schema_version, payload) values (?, ?, ?, ?, ?, ?)";
        }

        @Override
        public void run(int thread, int index) throws Exception {
            int stream = index % STREAMS;
            try (Connection connection = this.dataSource.getConnection()) {
                connection.setAutoCommit(this.autoCommit);
                try (PreparedStatement statement = connection.prepareStatement(this.insert)) {
                    statement.setString(1, stream(stream));
                    statement.setLong(2, ++this.versions[stream]);
                    statement.setObject(3, UUID.randomUUID());
                    statement.setString(4, TYPE);
                    statement.setInt(5, 1);
                    statement.setString(6, PAYLOAD);
                    statement.executeUpdate();
                }
                if (!this.autoCommit) {
                    connection.commit();
                }
            }
        }

        @Override
        public void close() {
            // Every connection went back to the pool after its insert.
        }
    }

    /** {@code XADD}s the entries the store would, with plain Lettuce on one connection that the threads share. */
    private static final class RedisRaw implements Operation, AutoCloseable {

        private final RedisClient client = RedisClient.create(BenchServers.redisUri());

        private final StatefulRedisConnection<String, String> connection = this.client.connect();

        private final RedisCommands<String, String> redis = this.connection.sync();

        private final long[] versions = new long[STREAMS];

        private final String prefix;

        RedisRaw(String prefix) {
            this.prefix = prefix;
            this.connection.setTimeout(Duration.ofSeconds(30));
        }

        @Override
        public void run(int thread, int index) {
            int stream = index % STREAMS;
            long version = ++this.versions[stream];
            this.redis.xadd(this.prefix + "events:{" + stream(stream) + "}", new XAddArgs().id(version + "-0"),
                    Map.of("id", UUID.randomUUID().toString(), "type", TYPE, "schema", "1", "payload", PAYLOAD, "at",
                            Long.toString(System.currentTimeMillis())));
        }

        @Override
        public void close() {
            this.connection.close();
            this.client.shutdown();
        }
    }

    /**
     * Runs operations {@code from..to-1} ({@code from} a multiple of {@value #THREADS}) from {@value #THREADS}
     * threads, thread {@code t} running those with {@code i % THREADS == t} (so each stream is only ever written by
     * one thread), for at most {@value #PHASE_LIMIT_SECONDS} s.
     */
    private static Timed timed(int from, int to, Operation operation) throws Exception {
        AtomicInteger done = new AtomicInteger();
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(PHASE_LIMIT_SECONDS).toNanos();
        try (ExecutorService threads = Executors.newFixedThreadPool(THREADS)) {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                workers.add(threads.submit(() -> {
                    for (int i = from + thread; i < to && System.nanoTime() < deadline; i += THREADS) {
                        operation.run(thread, i);
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get();
            }
        }
        long nanos = System.nanoTime() - start;
        if (done.get() < to - from) {
            Workloads.progress("quark", "event-appends: a slice stopped after %d s with %,d of %,d events written; "
                    + "the rate counts those", PHASE_LIMIT_SECONDS, done.get(), to - from);
        }
        return new Timed(done.get(), nanos);
    }

    /** Operations done and the nanoseconds they took. */
    private record Timed(long operations, long nanos) {

        Timed plus(Timed other) {
            return new Timed(this.operations + other.operations, this.nanos + other.nanos);
        }

        double rate() {
            return this.operations / (this.nanos / 1e9);
        }
    }

    @FunctionalInterface
    private interface Operation {

        void run(int thread, int index) throws Exception;
    }
}
