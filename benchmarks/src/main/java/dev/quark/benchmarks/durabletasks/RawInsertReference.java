package dev.quark.benchmarks.durabletasks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import dev.quark.jdbc.TablePrefix;
import dev.quark.durabletasks.store.jdbc.JdbcDurableTaskStore;

/**
 * The physical reference: the rows the store inserts for {@code instances} orchestrations ({@link OrchestrationRows}),
 * inserted with plain JDBC into tables created by the store's own migration under the prefix {@value #PREFIX} in the
 * same schema (same columns, keys and indexes), from {@value #THREADS} connections, one transaction per instance
 * with one JDBC batch per table ({@code addBatch} / {@code executeBatch}). No reads, updates or deletes: what the
 * database costs to take in the data of the workload, and nothing else.
 */
final class RawInsertReference {

    static final String PREFIX = "raw_";

    static final int THREADS = 4;

    private RawInsertReference() {
    }

    /**
     * Creates the tables and inserts the rows.
     * @param dataSource the database
     * @param rows the rows of one instance
     * @param instances how many instances' rows to insert
     * @param round distinguishes the instance ids of successive calls
     * @return instances per second
     */
    static double run(DataSource dataSource, OrchestrationRows rows, int instances, int round) throws Exception {
        JdbcDurableTaskStore.migration(new TablePrefix(PREFIX)).apply(dataSource);
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> inserters = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                inserters.add(threads.submit(() -> {
                    try (Connection connection = dataSource.getConnection()) {
                        connection.setAutoCommit(false);
                        for (int i = next.getAndIncrement(); i < instances; i = next.getAndIncrement()) {
                            insert(connection, rows, "raw-" + round + "-" + i);
                            connection.commit();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> inserter : inserters) {
                inserter.get();
            }
        }
        return instances / ((System.nanoTime() - start) / 1e9);
    }

    private static void insert(Connection connection, OrchestrationRows rows, String instanceId) throws SQLException {
        Timestamp now = Timestamp.from(Instant.now());
        try (PreparedStatement instance = connection.prepareStatement("insert into " + PREFIX + "durable_instance "
                + "(instance_id, name, status, execution, history_length, input, output, created_at, updated_at, start_at) "
                + "values (?, ?, 'COMPLETED', 1, ?, ?, ?, ?, ?, ?)")) {
            instance.setString(1, instanceId);
            instance.setString(2, rows.name());
            instance.setInt(3, rows.history().size());
            instance.setString(4, rows.input());
            instance.setString(5, rows.output());
            instance.setTimestamp(6, now);
            instance.setTimestamp(7, now);
            instance.setTimestamp(8, now);
            instance.executeUpdate();
        }
        try (PreparedStatement history = connection.prepareStatement("insert into " + PREFIX + "durable_history "
                + "(instance_id, sequence, event_type, event) values (?, ?, ?, ?)")) {
            int sequence = 0;
            for (OrchestrationRows.Event event : rows.history()) {
                history.setString(1, instanceId);
                history.setInt(2, sequence++);
                history.setString(3, event.type());
                history.setString(4, event.json());
                history.addBatch();
            }
            history.executeBatch();
        }
        try (PreparedStatement messages = connection.prepareStatement("insert into " + PREFIX + "durable_message "
                + "(instance_id, execution, event_type, event, visible_at) values (?, 1, ?, ?, ?)")) {
            for (OrchestrationRows.Event event : rows.messages()) {
                messages.setString(1, instanceId);
                messages.setString(2, event.type());
                messages.setString(3, event.json());
                messages.setTimestamp(4, now);
                messages.addBatch();
            }
            messages.executeBatch();
        }
        try (PreparedStatement activities = connection.prepareStatement("insert into " + PREFIX + "durable_activity "
                + "(id, instance_id, execution, task_id, name, input, options, attempt, scheduled_at, visible_at) "
                + "values (?, ?, 1, ?, 'bench-noop', ?, ?, 1, ?, ?)")) {
            int task = 1;
            for (String input : rows.activityInputs()) {
                activities.setString(1, instanceId + "#1#" + task);
                activities.setString(2, instanceId);
                activities.setInt(3, task++);
                activities.setString(4, input);
                activities.setString(5, rows.activityOptions());
                activities.setTimestamp(6, now);
                activities.setTimestamp(7, now);
                activities.addBatch();
            }
            activities.executeBatch();
        }
    }
}
