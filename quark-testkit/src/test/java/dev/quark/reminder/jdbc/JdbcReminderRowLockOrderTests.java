package dev.quark.reminder.jdbc;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.actor.ReminderSchedule;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.FencingToken;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.runtime.ActorAddress;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.server.StatementsTogether;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The batched writes of {@link JdbcReminderTable} lock bucket rows in bucket order and reminder rows in key order,
 * so that two of them over overlapping rows, given in opposite orders, never deadlock: advances and removals of the
 * same reminders, and fenced advances racing stamps of their buckets.
 */
class JdbcReminderRowLockOrderTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    private static final int ROWS = 200;

    private static final int ROUNDS = 10;

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcReminderTable table;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcReminderRowLockOrderTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(8);
        JdbcReminderTable.migration(PREFIX).apply(dataSource);
        table = new JdbcReminderTable(dataSource, PREFIX);
    }

    @AfterAll
    static void disconnect() {
        if (dataSource != null) {
            dataSource.close();
        }
        if (schema != null) {
            schema.close();
        }
    }

    @Test
    @Timeout(120)
    void advancesAndRemovalsOfTheSameRemindersInOppositeOrdersNeverDeadlock() throws Exception {
        for (int round = 1; round <= ROUNDS; round++) {
            List<ReminderEntry> entries = saved("advance-" + round);
            ReminderTick next = ReminderTick.first(START.plusSeconds(1), 2);
            List<ReminderUpdate> advances = entries.stream()
                .map((entry) -> ReminderUpdate.advance(entry.key(), entry.registration(), next))
                .toList();
            List<ReminderUpdate> removals = entries.subList(ROWS / 2, ROWS)
                .stream()
                .map((entry) -> ReminderUpdate.remove(entry.key(), entry.registration()))
                .toList();
            List<Integer> applied = StatementsTogether.run(() -> table.apply(advances), () -> table.apply(advances.reversed()),
                    () -> table.apply(removals.reversed()), () -> table.apply(removals));

            assertThat(applied.get(2) + applied.get(3)).as("each removal applied once").isEqualTo(ROWS / 2);
            for (ReminderEntry entry : entries.subList(0, ROWS / 2)) {
                assertThat(table.find(entry.key())).get().extracting(ReminderEntry::tick).isEqualTo(next);
            }
            for (ReminderEntry entry : entries.subList(ROWS / 2, ROWS)) {
                assertThat(table.find(entry.key())).isEmpty();
            }
        }
    }

    @Test
    @Timeout(120)
    void fencedAdvancesAndStampsOfTheirBucketsInOppositeOrdersNeverDeadlock() throws Exception {
        for (int round = 1; round <= ROUNDS; round++) {
            List<ReminderEntry> entries = new ArrayList<>(saved("stamp-" + round));
            entries.sort(Comparator.comparingInt(ReminderEntry::bucket));
            FencingToken token = new FencingToken(System.currentTimeMillis() * 1000 + round);
            Map<Integer, FencingToken> ascending = new LinkedHashMap<>();
            entries.forEach((entry) -> ascending.put(entry.bucket(), token));
            Map<Integer, FencingToken> descending = new LinkedHashMap<>();
            entries.reversed().forEach((entry) -> descending.put(entry.bucket(), token));
            assertThat(table.stamp(ascending)).isEqualTo(ReminderBucketSet.of(ascending.keySet()));
            ReminderTick next = ReminderTick.first(START.plusSeconds(1), 2);
            List<ReminderUpdate> advances = entries.stream()
                .map((entry) -> ReminderUpdate.advance(entry.key(), entry.registration(), next).fencedBy(token))
                .toList();

            List<Integer> applied = StatementsTogether.run(() -> table.apply(advances), () -> table.apply(advances.reversed()),
                    () -> table.stamp(descending).size(), () -> table.stamp(ascending).size());

            assertThat(applied).as("stamping again with the same token keeps the advances' fence valid")
                .containsExactly(ROWS, ROWS, ascending.size(), ascending.size());
            table.apply(entries.stream().map((entry) -> ReminderUpdate.remove(entry.key(), entry.registration())).toList());
        }
    }

    private static List<ReminderEntry> saved(String name) {
        String prefix = "lock-order-" + Long.toHexString(System.nanoTime()) + "-" + name + "-";
        List<ReminderEntry> entries = IntStream.range(0, ROWS)
            .mapToObj((i) -> new ReminderEntry(new ReminderKey(new ActorAddress("LockOrder", prefix + i), "r"), 7,
                    ReminderSchedule.every(Duration.ofSeconds(1)).startingAt(START), new byte[] { 1 },
                    ReminderTick.first(START, 1)))
            .toList();
        entries.forEach(table::save);
        return entries;
    }
}
