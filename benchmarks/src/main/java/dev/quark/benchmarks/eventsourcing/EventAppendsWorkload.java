package dev.quark.benchmarks.eventsourcing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * under the prefix {@code raw_}), one transaction per event; on Redis a plain Lettuce {@code XADD} of the same fields
 * with the version as the entry id. The side that goes first alternates from round to round (the store first in the
 * warm-up round), so that neither always meets the warmer server. {@code QUARK_BENCH_EVENT_APPENDS} sets the events
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

    /** The longest a phase (the store's or the raw one) of a round runs. */
    static final long PHASE_LIMIT_SECONDS = 120;

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
        double[] rates = new double[rounds];
        double[] rawRates = new double[rounds];
        double[] ratios = new double[rounds];
        for (int round = -1; round < rounds; round++) {
            int count = (round < 0) ? Math.max(THREADS, events / 5) : events;
            boolean rawFirst = (round % 2) == 1;
            double[] measured = store.equals("postgres") ? postgresRound(count, rawFirst) : redisRound(count, rawFirst);
            if (round >= 0) {
                rates[round] = measured[0];
                rawRates[round] = measured[1];
                ratios[round] = measured[0] / measured[1];
            }
            Workloads.progress("quark", "event-appends, %s: %,d events appended at %,.0f/s, one per append, %d "
                    + "threads, %,d streams; raw %s of the same: %,.0f/s; ratio %.3f%s", store, count, measured[0],
                    THREADS, STREAMS, store.equals("postgres") ? "JDBC insert" : "XADD", measured[1],
                    measured[0] / measured[1], (round < 0) ? " (warm-up)" : "");
        }
        String key = "eventappends." + store;
        return List.of(new Figure(key + ".rate", "quark", Stats.of(rates)),
                new Figure(key + ".raw", "quark", Stats.of(rawRates)),
                new Figure(key + ".vs-raw", "quark", Stats.of(ratios)));
    }

    /** Measures the store and the raw side on one fresh schema, the raw side first when asked. */
    private static double[] postgresRound(int count, boolean rawFirst) throws Exception {
        try (PostgresSchema schema = BenchServers.postgresSchema("event_appends", THREADS + 4)) {
            DataSource dataSource = schema.dataSource();
            TablePrefix prefix = new TablePrefix(TablePrefix.DEFAULT);
            JdbcEventStore.migration(prefix).apply(dataSource);
            JdbcEventStore store = new JdbcEventStore(dataSource, prefix);
            double raw = rawFirst ? rawInsert(dataSource, count) : 0;
            double rate = appendThroughStore(store, count);
            if (!rawFirst) {
                raw = rawInsert(dataSource, count);
            }
            return new double[] { rate, raw };
        }
    }

    /** Measures the store and the raw side under one fresh key prefix, the raw side first when asked. */
    private static double[] redisRound(int count, boolean rawFirst) throws Exception {
        try (RedisKeys keys = BenchServers.redisKeys("event_appends");
                RedisRaw raw = new RedisRaw(keys.prefix() + "raw:")) {
            RedisEventStore store = new RedisEventStore(keys.connections(), keys.prefix());
            double rawRate = rawFirst ? raw.xadd(count) : 0;
            double rate = appendThroughStore(store, count);
            if (!rawFirst) {
                rawRate = raw.xadd(count);
            }
            return new double[] { rate, rawRate };
        }
    }

    /**
     * Appends {@code count} events, event {@code i} to stream {@code i % STREAMS}, each with the stream's version
     * as its thread last saw it, then checks that every stream holds what was appended to it.
     */
    private static double appendThroughStore(EventStore store, int count) throws Exception {
        long[] versions = new long[STREAMS];
        Timed timed = timed(count, (i) -> {
            int stream = i % STREAMS;
            AppendResult result = store.append(stream(stream), List.of(new NewEvent(UUID.randomUUID(), TYPE, 1,
                    PAYLOAD)), versions[stream]);
            if (result.duplicate() || result.version() != versions[stream] + 1) {
                throw new IllegalStateException("Stream " + stream(stream) + " appended at version "
                        + versions[stream] + " returned " + result);
            }
            versions[stream] = result.version();
        });
        for (int stream = 0; stream < STREAMS; stream++) {
            long version = store.version(stream(stream));
            if (version != versions[stream]) {
                throw new IllegalStateException("Stream " + stream(stream) + " is at version " + version + " in "
                        + store + ", but " + versions[stream] + " events were appended to it");
            }
        }
        return timed.rate();
    }

    private static String stream(int stream) {
        return "Account/account-" + stream;
    }

    /** Inserts the rows the store would, one plain JDBC transaction each, on one connection per thread. */
    private static double rawInsert(DataSource dataSource, int count) throws Exception {
        TablePrefix prefix = new TablePrefix("raw_");
        JdbcEventStore.migration(prefix).apply(dataSource);
        String insert = "insert into " + prefix.table("event")
                + " (stream, version, event_id, event_type, schema_version, payload) values (?, ?, ?, ?, ?, ?)";
        long[] versions = new long[STREAMS];
        ThreadLocal<Connection> connections = new ThreadLocal<>();
        List<Connection> opened = new CopyOnWriteArrayList<>();
        try {
            return timed(count, (i) -> {
                Connection connection = connections.get();
                if (connection == null) {
                    connection = dataSource.getConnection();
                    connection.setAutoCommit(false);
                    connections.set(connection);
                    opened.add(connection);
                }
                int stream = i % STREAMS;
                try (PreparedStatement statement = connection.prepareStatement(insert)) {
                    statement.setString(1, stream(stream));
                    statement.setLong(2, ++versions[stream]);
                    statement.setObject(3, UUID.randomUUID());
                    statement.setString(4, TYPE);
                    statement.setInt(5, 1);
                    statement.setString(6, PAYLOAD);
                    statement.executeUpdate();
                }
                connection.commit();
            }).rate();
        }
        finally {
            for (Connection connection : opened) {
                connection.close();
            }
        }
    }

    /** {@code XADD}s the entries the store would, with plain Lettuce on one connection that the threads share. */
    private static final class RedisRaw implements AutoCloseable {

        private final RedisClient client = RedisClient.create(BenchServers.redisUri());

        private final StatefulRedisConnection<String, String> connection = this.client.connect();

        private final String prefix;

        RedisRaw(String prefix) {
            this.prefix = prefix;
            this.connection.setTimeout(Duration.ofSeconds(30));
        }

        double xadd(int count) throws Exception {
            RedisCommands<String, String> redis = this.connection.sync();
            long[] versions = new long[STREAMS];
            return timed(count, (i) -> {
                int stream = i % STREAMS;
                long version = ++versions[stream];
                redis.xadd(this.prefix + "events:{" + stream(stream) + "}", new XAddArgs().id(version + "-0"),
                        Map.of("id", UUID.randomUUID().toString(), "type", TYPE, "schema", "1", "payload", PAYLOAD,
                                "at", Long.toString(System.currentTimeMillis())));
            }).rate();
        }

        @Override
        public void close() {
            this.connection.close();
            this.client.shutdown();
        }
    }

    /**
     * Runs operations {@code 0..count-1} from {@value #THREADS} threads, thread {@code t} running those with
     * {@code i % THREADS == t} (so each stream is only ever written by one thread), for at most
     * {@value #PHASE_LIMIT_SECONDS} s.
     */
    private static Timed timed(int count, Operation operation) throws Exception {
        AtomicInteger done = new AtomicInteger();
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(PHASE_LIMIT_SECONDS).toNanos();
        try (ExecutorService threads = Executors.newFixedThreadPool(THREADS)) {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                workers.add(threads.submit(() -> {
                    for (int i = thread; i < count && System.nanoTime() < deadline; i += THREADS) {
                        operation.run(i);
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (done.get() < count) {
            Workloads.progress("quark", "event-appends: stopped after %d s with %,d of %,d events written; the rate "
                    + "counts those", PHASE_LIMIT_SECONDS, done.get(), count);
        }
        return new Timed(done.get(), seconds);
    }

    private record Timed(int operations, double seconds) {

        double rate() {
            return this.operations / this.seconds;
        }
    }

    @FunctionalInterface
    private interface Operation {

        void run(int index) throws Exception;
    }
}
