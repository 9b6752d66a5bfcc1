package dev.quark.benchmarks.outbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;

import dev.quark.benchmarks.Workloads;
import dev.quark.benchmarks.harness.BenchServers;
import dev.quark.benchmarks.harness.BenchServers.PostgresSchema;
import dev.quark.benchmarks.harness.BenchServers.RedisKeys;
import dev.quark.benchmarks.harness.Figure;
import dev.quark.benchmarks.harness.RunMode;
import dev.quark.benchmarks.harness.Stats;
import dev.quark.benchmarks.outbox.DispatcherDrain.Drained;
import dev.quark.jdbc.TablePrefix;
import dev.quark.messaging.runtime.OutboxDispatcher;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.jdbc.JdbcOutboxStore;
import dev.quark.messaging.store.redis.RedisOutboxStore;

/**
 * Outbox deliveries: how fast a running {@link OutboxDispatcher} drains a backlog, on PostgreSQL
 * ({@link JdbcOutboxStore}, against a {@linkplain RawJdbcDrain raw JDBC drain} of the same rows) and on Redis
 * ({@link RedisOutboxStore}). Each drain starts with a {@linkplain Backlog backlog} of messages pending, spread evenly
 * over the {@value #PARTITIONS} partitions, starts one dispatcher ({@link OutboxDispatcher#start()} with its defaults,
 * the batch size and the poll interval set to the defaults, {@value #BATCH_SIZE} and {@value #POLL_INTERVAL_MILLIS} ms,
 * so that the raw drain reads the same batches; one node, so an in-memory lease store) and measures the messages over the time from its start until the store recorded the last
 * one delivered ({@link DispatcherDrain}). Each round drains a backlog with a receiver that answers at once, then one
 * with a receiver that takes {@link #LATENCY} per message (a broker's round trip, parked: {@link Receiver}). With the
 * partitions delivered apart, the second can reach {@value #PARTITIONS} partitions × 1 s / latency, unless the store
 * is slower than that: its ratio to that ideal capped by the same round's first rate, and the receivers busy at once
 * on average (the rate × the receiver's measured time a message, {@value #PARTITIONS} at best), show how far the
 * partitions run apart; {@link PartitionWaits} measures the share of the drain a partition with messages due had no
 * delivery running. On PostgreSQL the sides take turns (the dispatcher first in even rounds, the raw drain in odd
 * ones), each on a table of its own, in one schema for the whole run, so that the warm-up round also warms the pool's
 * connections. One warm-up round of as many messages as the measured ones, then the measured rounds.
 * {@code QUARK_BENCH_OUTBOX_DELIVERY_MESSAGES} sets the messages per drain, {@code
 * QUARK_BENCH_OUTBOX_DELIVERY_STORES=postgres} or {@code redis} picks one store, {@code
 * QUARK_BENCH_OUTBOX_DELIVERY_POLL_MS} another poll interval. A drain that does not end within
 * {@link #DRAIN_LIMIT} fails the workload.
 */
public final class OutboxDeliveryWorkload {

    /** The outbox's partitions, the default. */
    public static final int PARTITIONS = 16;

    /** Messages a delivery reads at once, the dispatcher's default. */
    static final int BATCH_SIZE = 100;

    /** The dispatcher's poll interval, its default. */
    static final long POLL_INTERVAL_MILLIS = 500;

    /** How long the slow receiver takes per message. */
    public static final Duration LATENCY = Duration.ofMillis(2);

    /** The stores measured unless {@code QUARK_BENCH_OUTBOX_DELIVERY_STORES} says otherwise. */
    public static final String STORES = "postgres,redis";

    /** The longest a drain may take. */
    static final Duration DRAIN_LIMIT = Duration.ofMinutes(2);

    private OutboxDeliveryWorkload() {
    }

    /**
     * Returns the messages of each drain on a store: 8,000 on PostgreSQL in quick runs, 40,000 in full ones, twice as
     * many on Redis (faster, so that its drains too last several poll intervals).
     * @param store {@code postgres} or {@code redis}
     * @param mode the run mode
     * @return the messages
     */
    public static int messages(String store, RunMode mode) {
        String configured = System.getenv("QUARK_BENCH_OUTBOX_DELIVERY_MESSAGES");
        if (configured != null && !configured.isBlank()) {
            int messages = Integer.parseInt(configured.strip());
            if (messages < PARTITIONS) {
                throw new IllegalArgumentException("QUARK_BENCH_OUTBOX_DELIVERY_MESSAGES must be at least "
                        + PARTITIONS + ", was " + configured);
            }
            return messages;
        }
        return (mode.name().equals("full") ? 40_000 : 8_000) * (store.equals("redis") ? 2 : 1);
    }

    /**
     * Returns the dispatcher's poll interval: its default, {@value #POLL_INTERVAL_MILLIS} ms, unless {@code
     * QUARK_BENCH_OUTBOX_DELIVERY_POLL_MS} sets another.
     * @return the interval
     */
    public static Duration pollInterval() {
        String configured = System.getenv("QUARK_BENCH_OUTBOX_DELIVERY_POLL_MS");
        return Duration.ofMillis((configured != null && !configured.isBlank()) ? Long.parseLong(configured.strip())
                : POLL_INTERVAL_MILLIS);
    }

    private static int rounds(RunMode mode) {
        return mode.name().equals("full") ? 3 : 2;
    }

    private static List<String> stores() {
        String configured = System.getenv("QUARK_BENCH_OUTBOX_DELIVERY_STORES");
        List<String> stores = Arrays.asList(((configured == null || configured.isBlank()) ? STORES : configured.strip())
            .split("\\s*,\\s*"));
        for (String store : stores) {
            if (!List.of(STORES.split(",")).contains(store)) {
                throw new IllegalArgumentException("QUARK_BENCH_OUTBOX_DELIVERY_STORES names '" + store + "': use "
                        + STORES);
            }
        }
        return stores;
    }

    /**
     * Returns the rate a drain with the slow receiver would reach with every partition always waiting on its receiver: the
     * partitions × 1 s / latency, or the rate with a receiver answering at once when the store is slower than that.
     * @param instantRate the rate with a receiver answering at once
     * @return the ideal messages per second
     */
    static double ideal(double instantRate) {
        return Math.min(PARTITIONS * 1e9 / LATENCY.toNanos(), instantRate);
    }

    public static List<Figure> run(RunMode mode) throws Exception {
        List<Figure> figures = new ArrayList<>();
        for (String store : stores()) {
            try (Rounds rounds = store.equals("postgres") ? new PostgresRounds() : new RedisRounds()) {
                figures.addAll(run(store, rounds, mode));
            }
        }
        return figures;
    }

    private static List<Figure> run(String store, Rounds rounds, RunMode mode) throws Exception {
        int messages = messages(store, mode);
        Measured[] measured = new Measured[rounds(mode)];
        for (int round = -1; round < measured.length; round++) {
            Measured result = rounds.run(messages, Math.floorMod(round, 2) == 0);
            if (round >= 0) {
                measured[round] = result;
            }
            Workloads.progress("quark", "%s%s", result.describe(store, messages), (round < 0) ? " (warm-up)" : "");
        }
        String key = "outboxdelivery." + store;
        boolean raw = measured[0].rawInstant() != null;
        List<Figure> figures = new ArrayList<>();
        figures.add(figure(key + ".instant.rate", measured, (m) -> m.instant().rate()));
        if (raw) {
            figures.add(figure(key + ".instant.raw", measured, (m) -> m.rawInstant().rate()));
            figures.add(figure(key + ".instant.vs-raw", measured, (m) -> m.instant().rate() / m.rawInstant().rate()));
        }
        figures.add(figure(key + ".instant.waiting", measured, (m) -> m.instant().waiting()));
        figures.add(figure(key + ".slow.rate", measured, (m) -> m.slow().rate()));
        figures.add(figure(key + ".slow.receiver-ms", measured, (m) -> m.slow().receiverMillis()));
        figures.add(figure(key + ".slow.busy", measured, (m) -> busyReceivers(m.slow())));
        figures.add(figure(key + ".slow.vs-ideal", measured, (m) -> m.slow().rate() / ideal(m.instant().rate())));
        if (raw) {
            figures.add(figure(key + ".slow.raw", measured, (m) -> m.rawSlow().rate()));
            figures.add(figure(key + ".slow.vs-raw", measured, (m) -> m.slow().rate() / m.rawSlow().rate()));
        }
        figures.add(figure(key + ".slow.waiting", measured, (m) -> m.slow().waiting()));
        return figures;
    }

    /**
     * Returns how many receivers were busy at once on average during a drain: {@link #PARTITIONS} when every partition
     * always had a message at its receiver, 1 when they took turns.
     */
    static double busyReceivers(Drained drained) {
        return drained.rate() * drained.receiverMillis() / 1000;
    }

    private static Figure figure(String key, Measured[] rounds, ToDoubleFunction<Measured> value) {
        return new Figure(key, "quark", Stats.of(Arrays.stream(rounds).mapToDouble(value).toArray()));
    }

    /** A store's rounds, on data of their own that closing removes. */
    private interface Rounds extends AutoCloseable {

        /**
         * Runs one round: a backlog drained with a receiver answering at once, then with the slow one.
         * @param count the messages of each drain
         * @param dispatcherFirst whether the dispatcher drains before the raw reference, if there is one
         * @return what it measured
         */
        Measured run(int count, boolean dispatcherFirst) throws Exception;

        @Override
        void close();
    }

    /**
     * The rounds on PostgreSQL, in one schema whose pool is filled and warmed by the warm-up round: the dispatcher on
     * the store's table, the raw drain on a table of the same DDL (the store's changelog under the prefix
     * {@code raw_}), the sides taking turns.
     */
    private static final class PostgresRounds implements Rounds {

        private final PostgresSchema schema = BenchServers.postgresSchema("outbox_delivery", PARTITIONS + 8);

        private final JdbcOutboxStore store;

        private final String rawTable;

        private final DispatcherDrain dispatcher;

        private final RawJdbcDrain raw;

        private final Backlog backlog = new Backlog(new Partitioner(PARTITIONS));

        PostgresRounds() {
            DataSource dataSource = this.schema.dataSource();
            TablePrefix prefix = new TablePrefix(TablePrefix.DEFAULT);
            TablePrefix rawPrefix = new TablePrefix("raw_");
            try {
                JdbcOutboxStore.migration(prefix).apply(dataSource);
                JdbcOutboxStore.migration(rawPrefix).apply(dataSource);
            }
            catch (RuntimeException ex) {
                this.schema.close();
                throw ex;
            }
            this.store = new JdbcOutboxStore(dataSource, prefix);
            this.rawTable = rawPrefix.table("outbox_message");
            this.dispatcher = new DispatcherDrain(this.store, PARTITIONS, BATCH_SIZE, pollInterval());
            this.raw = new RawJdbcDrain(dataSource, this.rawTable, BATCH_SIZE);
        }

        @Override
        public Measured run(int count, boolean dispatcherFirst) throws Exception {
            Drained[][] drained = new Drained[2][2];
            Duration[] latencies = { Duration.ZERO, LATENCY };
            for (int phase = 0; phase < latencies.length; phase++) {
                for (boolean dispatcherTurn : dispatcherFirst ? List.of(true, false) : List.of(false, true)) {
                    Receiver receiver = new Receiver(latencies[phase]);
                    if (dispatcherTurn) {
                        this.backlog.insert(this.schema.dataSource(), this.store.table(), count);
                        drained[phase][0] = this.dispatcher.drain(count, receiver, DRAIN_LIMIT);
                    }
                    else {
                        this.backlog.insert(this.schema.dataSource(), this.rawTable, count);
                        drained[phase][1] = this.raw.drain(count, PARTITIONS, receiver, DRAIN_LIMIT);
                    }
                }
            }
            return new Measured(drained[0][0], drained[1][0], drained[0][1], drained[1][1]);
        }

        @Override
        public void close() {
            this.schema.close();
        }
    }

    /** The rounds on Redis, under one key prefix; no raw reference. */
    private static final class RedisRounds implements Rounds {

        private final RedisKeys keys = BenchServers.redisKeys("outbox_delivery");

        private final RedisOutboxStore store = new RedisOutboxStore(this.keys.connections(), this.keys.prefix());

        private final DispatcherDrain dispatcher = new DispatcherDrain(this.store, PARTITIONS, BATCH_SIZE, pollInterval());

        private final Backlog backlog = new Backlog(new Partitioner(PARTITIONS));

        @Override
        public Measured run(int count, boolean dispatcherFirst) throws Exception {
            this.backlog.append(this.store, count);
            Drained instant = this.dispatcher.drain(count, new Receiver(Duration.ZERO), DRAIN_LIMIT);
            this.backlog.append(this.store, count);
            Drained slow = this.dispatcher.drain(count, new Receiver(LATENCY), DRAIN_LIMIT);
            return new Measured(instant, slow, null, null);
        }

        @Override
        public void close() {
            this.keys.close();
        }
    }

    /**
     * What one round measured: the dispatcher with a receiver answering at once and with the slow one, and the raw
     * drain likewise where there is one.
     */
    private record Measured(Drained instant, Drained slow, @Nullable Drained rawInstant, @Nullable Drained rawSlow) {

        String describe(String store, int count) {
            StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "outbox-delivery, %s: %,d messages "
                    + "over %d partitions, poll interval %d ms; receiver at once: %,.0f/s, partitions waiting %.0f%%",
                    store, count, PARTITIONS, pollInterval().toMillis(), this.instant.rate(),
                    100 * this.instant.waiting()));
            if (this.rawInstant != null) {
                text.append(String.format(Locale.ROOT, " (raw JDBC drain %,.0f/s, ratio %.3f)", this.rawInstant.rate(),
                        this.instant.rate() / this.rawInstant.rate()));
            }
            text.append(String.format(Locale.ROOT, "; receiver taking %d ms (mean %.2f ms): %,.0f/s, %.1f receivers "
                    + "busy at once, partitions waiting %.0f%%, %.3f of the ideal %,.0f/s", LATENCY.toMillis(),
                    this.slow.receiverMillis(), this.slow.rate(), busyReceivers(this.slow), 100 * this.slow.waiting(),
                    this.slow.rate() / ideal(this.instant.rate()), ideal(this.instant.rate())));
            if (this.rawSlow != null) {
                text.append(String.format(Locale.ROOT, " (raw JDBC drain %,.0f/s, mean %.2f ms, %.1f busy at once, "
                        + "%.3f of its ideal; ratio %.3f)", this.rawSlow.rate(), this.rawSlow.receiverMillis(),
                        busyReceivers(this.rawSlow), this.rawSlow.rate() / ideal(this.rawInstant.rate()),
                        this.slow.rate() / this.rawSlow.rate()));
            }
            return text.toString();
        }
    }
}
