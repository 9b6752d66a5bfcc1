package dev.quark.benchmarks.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.sql.DataSource;

import dev.quark.messaging.MessageId;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.OutboxStore;

/**
 * The pending messages a drain starts with: {@code count} messages spread evenly over the partitions (message
 * {@code i} in partition {@code i % partitions}) and, within a partition, over {@value #KEYS_PER_PARTITION} keys that
 * hash to it. An even spread makes every partition's share the same, so that a drain with the partitions running
 * apart ends when they all do, and the ideal rate is the partitions times one partition's.
 */
final class Backlog {

    /** Keys of each partition the messages cycle over. */
    static final int KEYS_PER_PARTITION = 64;

    static final String DESTINATION = "orders";

    static final String PAYLOAD_TYPE = "java.util.LinkedHashMap";

    static final String PAYLOAD = "{\"order\":\"order-42\",\"amount\":1250,\"currency\":\"EUR\"}";

    private final List<List<String>> keys;

    private final int partitions;

    Backlog(Partitioner partitioner) {
        this.partitions = partitioner.partitions();
        this.keys = new ArrayList<>();
        for (int p = 0; p < this.partitions; p++) {
            this.keys.add(new ArrayList<>());
        }
        int found = 0;
        for (int i = 0; found < this.partitions * KEYS_PER_PARTITION; i++) {
            String key = "order-" + i;
            List<String> ofPartition = this.keys.get(partitioner.partition(key));
            if (ofPartition.size() < KEYS_PER_PARTITION) {
                ofPartition.add(key);
                found++;
            }
        }
    }

    /**
     * Returns the messages, in enqueue order.
     * @param count how many
     * @return the messages
     */
    List<NewMessage> messages(int count) {
        Clock clock = Clock.systemUTC();
        Instant now = clock.instant();
        List<NewMessage> messages = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int partition = i % this.partitions;
            String key = this.keys.get(partition).get((i / this.partitions) % KEYS_PER_PARTITION);
            messages.add(new NewMessage(MessageId.next(clock), DESTINATION, key, partition, PAYLOAD_TYPE, PAYLOAD,
                    Map.of(), now));
        }
        return messages;
    }

    /**
     * Empties a message table made by {@code JdbcOutboxStore}'s changelog, inserts the messages into it in one JDBC
     * batch, in their order (so their sequences follow it), and analyzes it, as a table in steady use would be: the
     * setting up of a drain, not measured.
     * @param dataSource the database
     * @param table the message table
     * @param count how many messages
     */
    void insert(DataSource dataSource, String table, int count) throws SQLException {
        String insert = "insert into " + table + " (id, destination, msg_key, partition_no, payload_type, payload, "
                + "headers, created_at, status, attempts) values (?, ?, ?, ?, ?, ?, ?::jsonb, ?, 'PENDING', 0)";
        try (Connection connection = dataSource.getConnection()) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("truncate " + table);
            }
            connection.setAutoCommit(false);
            try (PreparedStatement statement = connection.prepareStatement(insert)) {
                for (NewMessage message : messages(count)) {
                    statement.setObject(1, message.id().value());
                    statement.setString(2, message.destination());
                    statement.setString(3, message.key());
                    statement.setInt(4, message.partition());
                    statement.setString(5, message.payloadType());
                    statement.setString(6, message.payload());
                    statement.setString(7, "{}");
                    statement.setTimestamp(8, Timestamp.from(message.createdAt()));
                    statement.addBatch();
                }
                statement.executeBatch();
            }
            connection.commit();
            connection.setAutoCommit(true);
            try (Statement statement = connection.createStatement()) {
                statement.execute("analyze " + table);
            }
        }
    }

    /**
     * Appends the messages to a store from a few threads, keeping each partition's messages in their order (a thread
     * per group of partitions): the setting up of a drain on a store written only through its API, not measured.
     * @param store the store
     * @param count how many messages
     */
    void append(OutboxStore store, int count) throws Exception {
        int threads = 4;
        List<NewMessage> messages = messages(count);
        try (ExecutorService appenders = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(appenders.submit(() -> {
                    for (NewMessage message : messages) {
                        if (message.partition() % threads == thread) {
                            store.append(message);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> appended : done) {
                appended.get();
            }
        }
    }
}
