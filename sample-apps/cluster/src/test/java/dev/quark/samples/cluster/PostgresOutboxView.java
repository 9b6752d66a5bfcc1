package dev.quark.samples.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The silos' outbox as it lies in PostgreSQL: the table {@code quark_outbox_message} of the silos' schema
 * (docs/messaging.md), named with the default table prefix {@code quark_} (the silos set no other), read on a
 * connection of the test's own, with auto-commit, so each read sees what the silos committed before it. The methods
 * are synchronized: Awaitility polls from threads of its own.
 */
final class PostgresOutboxView implements OutboxView {

    private static final String TABLE = "quark_outbox_message";

    private final Connection connection;

    /**
     * Connects to the silos' database.
     * @param jdbcUrl the silos' {@code spring.datasource.url}, its schema and user included
     * @throws SQLException when it cannot connect
     */
    PostgresOutboxView(String jdbcUrl) throws SQLException {
        this.connection = DriverManager.getConnection(jdbcUrl);
        this.connection.setAutoCommit(true);
    }

    @Override
    public synchronized Map<Integer, List<PendingMessage>> pendingByPartition(Collection<Integer> partitions) {
        Map<Integer, List<PendingMessage>> pending = new TreeMap<>();
        try (PreparedStatement select = this.connection.prepareStatement("select partition_no, id::text, destination, "
                + "msg_key, payload, attempts, last_error from " + TABLE + " where status = 'PENDING' and partition_no = any(?)")) {
            select.setArray(1, this.connection.createArrayOf("int4", partitions.toArray()));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    pending.computeIfAbsent(rows.getInt(1), (partition) -> new ArrayList<>())
                        .add(new PendingMessage(rows.getString(2), rows.getString(3), rows.getString(4),
                                rows.getString(5), rows.getInt(6), rows.getString(7)));
                }
            }
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not read the pending messages of partitions " + partitions, ex);
        }
        return pending;
    }

    @Override
    public long pendingCount() {
        return count("PENDING");
    }

    @Override
    public long deadCount() {
        return count("DEAD");
    }

    @Override
    public synchronized boolean delivered(String messageId) {
        try (PreparedStatement select = this.connection
            .prepareStatement("select status from " + TABLE + " where id = ?::uuid")) {
            select.setString(1, messageId);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() && "DELIVERED".equals(rows.getString(1));
            }
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not read the status of message " + messageId, ex);
        }
    }

    private synchronized long count(String status) {
        try (PreparedStatement select = this.connection
            .prepareStatement("select count(*) from " + TABLE + " where status = ?")) {
            select.setString(1, status);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not count the messages of status " + status, ex);
        }
    }

    @Override
    public synchronized void close() {
        try {
            this.connection.close();
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not close the connection to the silos' database", ex);
        }
    }
}
