package dev.quark.benchmarks.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.sql.DataSource;

import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.benchmarks.outbox.DispatcherDrain.Drained;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.OutboxMessage;

/**
 * The physical reference of the delivery workload: what a hand-written drain of an outbox table does, with no leases,
 * no fencing and no retry bookkeeping. One platform thread per partition, each on a connection of its own in
 * auto-commit mode, reads a batch of the partition's pending rows in sequence order, calls the publisher for each row
 * and marks it delivered (one {@code update} per message, as the dispatcher records each message once its publisher
 * returned), until a batch comes back short. What it leaves out is what Quark's dispatcher adds per message: the
 * partition's fence checked in the update, the lease checked before each message, the retry filter in the read.
 */
final class RawJdbcDrain {

    private static final TypeReference<Map<String, String>> HEADERS = new TypeReference<>() {
    };

    private final DataSource dataSource;

    private final String select;

    private final String update;

    private final String countDelivered;

    private final int batchSize;

    RawJdbcDrain(DataSource dataSource, String table, int batchSize) {
        this.dataSource = dataSource;
        this.batchSize = batchSize;
        this.select = "select id, destination, msg_key, payload_type, payload, headers::text as headers, created_at, "
                + "attempts from " + table + " where partition_no = ? and status = 'PENDING' order by sequence limit ?";
        this.update = "update " + table + " set status = 'DELIVERED', attempts = attempts + 1, finished_at = ? "
                + "where id = ? and status = 'PENDING'";
        this.countDelivered = "select count(*) from " + table + " where status = 'DELIVERED'";
    }

    /**
     * Drains every partition, each on its own thread, then checks that each message was delivered once.
     * @param count the messages pending
     * @param partitions the partitions
     * @param receiver the receiver, as the dispatcher is measured with
     * @param limit how long the drain may take
     * @return the messages per second from the threads' start to the last partition drained, and the receiver's mean
     * time a message
     */
    Drained drain(int count, int partitions, Receiver receiver, Duration limit) throws Exception {
        MessagePublisher publisher = receiver.publisher();
        long[] ends = new long[partitions];
        ExecutorService threads = Executors.newFixedThreadPool(partitions,
                Thread.ofPlatform().name("raw-drain-", 0).factory());
        long nanos;
        try {
            long start = System.nanoTime();
            List<Future<?>> drains = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                int partition = p;
                drains.add(threads.submit(() -> {
                    drain(partition, publisher);
                    ends[partition] = System.nanoTime();
                    return null;
                }));
            }
            long deadline = start + limit.toNanos();
            for (Future<?> drained : drains) {
                drained.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            long end = start;
            for (long partitionEnd : ends) {
                end = Math.max(end, partitionEnd);
            }
            nanos = end - start;
        }
        catch (TimeoutException ex) {
            throw new IllegalStateException("The raw JDBC drain did not end within " + limit, ex);
        }
        finally {
            threads.shutdownNow();
            threads.awaitTermination(10, TimeUnit.SECONDS);
        }
        long delivered = delivered();
        if (delivered != count || receiver.calls() != count) {
            throw new IllegalStateException(String.format(Locale.ROOT, "The raw drain recorded %,d of %,d messages "
                    + "delivered, with %,d calls of the receiver", delivered, count, receiver.calls()));
        }
        return new Drained(count / (nanos / 1e9), receiver.meanMillis(), Double.NaN);
    }

    private long delivered() throws SQLException {
        try (Connection connection = this.dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(this.countDelivered)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private void drain(int partition, MessagePublisher publisher) throws Exception {
        try (Connection connection = this.dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(this.select);
                PreparedStatement update = connection.prepareStatement(this.update)) {
            connection.setAutoCommit(true);
            select.setInt(1, partition);
            select.setInt(2, this.batchSize);
            List<OutboxMessage> batch;
            do {
                batch = read(select);
                for (OutboxMessage message : batch) {
                    publisher.publish(message);
                    update.setTimestamp(1, Timestamp.from(Instant.now()));
                    update.setObject(2, message.id().value());
                    if (update.executeUpdate() != 1) {
                        throw new IllegalStateException("Message " + message.id() + " was not pending any more");
                    }
                }
            }
            while (batch.size() == this.batchSize);
        }
    }

    private static List<OutboxMessage> read(PreparedStatement select) throws SQLException {
        List<OutboxMessage> batch = new ArrayList<>();
        try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                batch.add(new OutboxMessage(new MessageId(rows.getObject("id", UUID.class)),
                        rows.getString("destination"), rows.getString("msg_key"), rows.getString("payload_type"),
                        rows.getString("payload"), JsonMapper.shared().readValue(rows.getString("headers"), HEADERS),
                        rows.getObject("created_at", OffsetDateTime.class).toInstant(), rows.getInt("attempts") + 1));
            }
        }
        return batch;
    }
}
