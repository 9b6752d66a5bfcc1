package dev.quark.benchmarks.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.benchmarks.Workloads;
import dev.quark.benchmarks.harness.BenchServers;
import dev.quark.benchmarks.harness.BenchServers.PostgresSchema;
import dev.quark.benchmarks.harness.Figure;
import dev.quark.benchmarks.harness.RunMode;
import dev.quark.benchmarks.harness.Stats;
import dev.quark.jdbc.TablePrefix;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.runtime.DefaultOutbox;
import dev.quark.messaging.runtime.MessageCodec;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.jdbc.JdbcOutboxStore;

/**
 * Outbox enqueues on PostgreSQL against a raw JDBC insert of the same rows. Each round, on a fresh schema,
 * {@value #THREADS} threads enqueue messages, one per Spring transaction ({@code TransactionTemplate} over a
 * {@code DataSourceTransactionManager}, as a service enqueueing one message per business transaction does; the
 * transaction holds nothing else), through {@link DefaultOutbox} and {@link JdbcOutboxStore}: JSON encoding, the
 * message held until the commit, its key's advisory lock and the insert at commit. As many rows of the same shape
 * (same destination, keys, payload and headers) go into a table of the same DDL (the store's migration under the
 * prefix {@code raw_}) from as many threads, one plain JDBC transaction per row on a connection borrowed from the
 * same pool for it, as the Spring transaction borrows its own: the physical work of a user's plain transaction
 * inserting the row, with no advisory lock. The two sides take turns within a round, in {@value #SLICES} slices each
 * (a slice of enqueues, then one of raw inserts, then the raw side first), and each side's rate is its messages over
 * its own time: on a machine whose load drifts, both sides meet the same load. Keys cycle over {@value #KEYS}.
 * {@code QUARK_BENCH_OUTBOX_MESSAGES} sets the messages per round. Nothing is delivered: the dispatcher is not
 * started ({@link OutboxDeliveryWorkload} measures deliveries).
 */
public final class OutboxWorkload {

    /** Threads enqueueing at once. */
    static final int THREADS = 8;

    /** How the table names the threads. */
    public static final String THREADS_LABEL = THREADS + " threads";

    /** The slices each side's messages of a round are written in, the sides taking turns. */
    static final int SLICES = 10;

    /** Distinct keys the messages cycle over. */
    static final int KEYS = 1_000;

    private static final String PAYLOAD = "{\"order\":\"order-42\",\"amount\":1250,\"currency\":\"EUR\"}";

    private OutboxWorkload() {
    }

    /**
     * Returns the messages of one measured round.
     * @param mode the run mode
     * @return the messages
     */
    public static int messages(RunMode mode) {
        String configured = System.getenv("QUARK_BENCH_OUTBOX_MESSAGES");
        if (configured != null && !configured.isBlank()) {
            return Integer.parseInt(configured.strip());
        }
        return mode.name().equals("full") ? 50_000 : 10_000;
    }

    private static int rounds(RunMode mode) {
        return mode.name().equals("full") ? 3 : 2;
    }

    public static List<Figure> run(RunMode mode) throws Exception {
        int messages = messages(mode);
        int rounds = rounds(mode);
        double[] rates = new double[rounds];
        double[] rawRates = new double[rounds];
        double[] ratios = new double[rounds];
        for (int round = -1; round < rounds; round++) {
            int count = (round < 0) ? Math.max(1, messages / 5) : messages;
            try (PostgresSchema schema = BenchServers.postgresSchema("outbox", THREADS + 4)) {
                double[] measured = takingTurns(count, enqueue(schema.dataSource()), rawInsert(schema.dataSource()));
                double rate = measured[0];
                double raw = measured[1];
                if (round >= 0) {
                    rates[round] = rate;
                    rawRates[round] = raw;
                    ratios[round] = rate / raw;
                }
                Workloads.progress("quark", "outbox: %,d messages enqueued at %,.0f/s, one per transaction, %d "
                        + "threads; raw JDBC insert of the same rows: %,.0f/s; ratio %.3f%s", count, rate, THREADS,
                        raw, rate / raw, (round < 0) ? " (warm-up)" : "");
            }
        }
        return List.of(new Figure("outbox.postgres.rate", "quark", Stats.of(rates)),
                new Figure("outbox.postgres.raw", "quark", Stats.of(rawRates)),
                new Figure("outbox.postgres.vs-raw", "quark", Stats.of(ratios)));
    }

    /**
     * Runs {@code count} enqueues and as many raw inserts in {@value #SLICES} slices each, the sides taking turns (the
     * outbox first in even slices, the raw side first in odd ones), so that on a machine whose load drifts both sides
     * meet the same load.
     * @return the outbox's messages per second and the raw side's, each over its own time
     */
    private static double[] takingTurns(int count, Operation outbox, Operation raw) throws Exception {
        int slice = Math.max(1, count / SLICES);
        double outboxSeconds = 0;
        double rawSeconds = 0;
        for (int from = 0, n = 0; from < count; from += slice, n++) {
            int to = Math.min(count, from + slice);
            if (n % 2 == 0) {
                outboxSeconds += seconds(from, to, outbox);
                rawSeconds += seconds(from, to, raw);
            }
            else {
                rawSeconds += seconds(from, to, raw);
                outboxSeconds += seconds(from, to, outbox);
            }
        }
        return new double[] { count / outboxSeconds, count / rawSeconds };
    }

    private static Operation enqueue(DataSource dataSource) throws Exception {
        TablePrefix prefix = new TablePrefix(TablePrefix.DEFAULT);
        JdbcOutboxStore.migration(prefix).apply(dataSource);
        DefaultOutbox outbox = new DefaultOutbox(new JdbcOutboxStore(dataSource, prefix),
                new Destinations(List.of(MessagePublisher.of("orders", (message) -> {
                }))), new MessageCodec(JsonMapper.shared()), new Partitioner(16), Clock.systemUTC());
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        Map<String, Object> payload = JsonMapper.shared().readValue(PAYLOAD, Map.class);
        return (i) -> transactions.executeWithoutResult(
                (status) -> outbox.enqueue("orders", "order-" + (i % KEYS), payload));
    }

    private static Operation rawInsert(DataSource dataSource) {
        String table = new TablePrefix("raw_").table("outbox_message");
        JdbcOutboxStore.migration(new TablePrefix("raw_")).apply(dataSource);
        String insert = "insert into " + table + " (id, destination, msg_key, partition_no, payload_type, payload, "
                + "headers, created_at, status, attempts) values (?, ?, ?, ?, ?, ?, ?::jsonb, ?, 'PENDING', 0)";
        Partitioner partitioner = new Partitioner(16);
        return (i) -> {
            String key = "order-" + (i % KEYS);
            try (Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(false);
                try (PreparedStatement statement = connection.prepareStatement(insert)) {
                    statement.setObject(1, UUID.randomUUID());
                    statement.setString(2, "orders");
                    statement.setString(3, key);
                    statement.setInt(4, partitioner.partition(key));
                    statement.setString(5, "java.util.LinkedHashMap");
                    statement.setString(6, PAYLOAD);
                    statement.setString(7, "{}");
                    statement.setTimestamp(8, Timestamp.from(Instant.now()));
                    statement.executeUpdate();
                }
                connection.commit();
            }
        };
    }

    /** Runs operations {@code from..to-1} from {@value #THREADS} threads and returns the seconds they took. */
    private static double seconds(int from, int to, Operation operation) throws Exception {
        AtomicInteger next = new AtomicInteger(from);
        long start = System.nanoTime();
        try (ExecutorService threads = Executors.newFixedThreadPool(THREADS)) {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                workers.add(threads.submit(() -> {
                    for (int i = next.getAndIncrement(); i < to; i = next.getAndIncrement()) {
                        operation.run(i);
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get();
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }

    @FunctionalInterface
    private interface Operation {

        void run(int index) throws Exception;
    }
}
