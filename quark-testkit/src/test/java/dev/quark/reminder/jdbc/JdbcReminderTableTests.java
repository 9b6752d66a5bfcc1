package dev.quark.reminder.jdbc;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.actor.ReminderSchedule;
import dev.quark.jdbc.TablePrefix;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.runtime.ActorAddress;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.reminder.ReminderTableContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

class JdbcReminderTableTests extends ReminderTableContractTests {

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcReminderTable table;

    private static final ManualClock changeClock = new ManualClock();

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcReminderTableTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(10);
        JdbcReminderTable.migration(new TablePrefix(TablePrefix.DEFAULT)).apply(dataSource);
        table = new JdbcReminderTable(dataSource, new TablePrefix(TablePrefix.DEFAULT), changeClock);
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

    @Override
    protected ReminderTable table() {
        return table;
    }

    @Override
    protected ManualClock changeClock() {
        return changeClock;
    }

    @Test
    void theChangeRowsOfOneShotRemindersRemovedByTheirLastTickAreTrimmed() {
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        List<ReminderEntry> oneShots = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Instant at = Instant.parse("2026-01-01T00:00:01Z").plusSeconds(i);
            oneShots.add(new ReminderEntry(new ReminderKey(actor, "once-" + i), 100 + i, ReminderSchedule.onceAt(at),
                    new byte[0], ReminderTick.first(at, 1)));
        }
        oneShots.forEach(table::save);
        table.apply(oneShots.stream().map((entry) -> ReminderUpdate.remove(entry.key(), entry.registration())).toList());
        assertThat(changeRows(actor)).isEqualTo(3);
        changeClock.advance(ReminderTable.CHANGE_RETENTION.plusSeconds(1));
        Instant later = changeClock.instant().plusSeconds(60);
        ReminderEntry young = new ReminderEntry(new ReminderKey(actor, "young"), 200, ReminderSchedule.onceAt(later),
                new byte[0], ReminderTick.first(later, 1));
        for (int i = 0; i < 20 && changeRows(actor) > 1; i++) {
            // Each registration trims a bounded number: other tests of the class may have left older rows here.
            table.save(young);
        }
        assertThat(changeRows(actor)).as("only the young one's row").isEqualTo(1);
        Long trimmed = JdbcClient.create(dataSource)
            .sql("select trimmed_version from quark_reminder_versions where bucket = ?")
            .param(ReminderBuckets.of(actor))
            .query(Long.class)
            .single();
        assertThat(trimmed).isGreaterThanOrEqualTo(3);
    }

    private static long changeRows(ActorAddress actor) {
        return JdbcClient.create(dataSource)
            .sql("select count(*) from quark_reminder_changes where actor_type = ? and actor_id = ?")
            .params(actor.typeName(), actor.id())
            .query(Long.class)
            .single();
    }

    @Test
    void theChangelogCreatesTheDocumentedTableAndIndex() {
        assertThat(table.table()).isEqualTo("quark_reminders");
        List<String> columns = JdbcClient.create(dataSource)
            .sql("select column_name || ' ' || data_type || ' ' || is_nullable from information_schema.columns "
                    + "where table_schema = current_schema() and table_name = 'quark_reminders' order by ordinal_position")
            .query(String.class)
            .list();
        assertThat(columns).containsExactly("actor_type character varying NO", "actor_id text NO",
                "name character varying NO", "bucket smallint NO", "registration bigint NO",
                "due_at timestamp with time zone NO", "period_ms bigint YES", "cron character varying YES",
                "cron_zone character varying YES", "max_ticks bigint YES", "end_at timestamp with time zone YES",
                "payload bytea NO", "tick_at timestamp with time zone NO", "tick_number bigint NO", "attempt integer NO",
                "fire_at timestamp with time zone NO", "updated_at timestamp with time zone NO");
        String index = JdbcClient.create(dataSource)
            .sql("select indexdef from pg_indexes where schemaname = current_schema() and indexname = 'quark_reminders_due'")
            .query(String.class)
            .single();
        assertThat(index).endsWith("USING btree (bucket, fire_at)");
    }

    @Test
    void eachReminderIsOneRowWithItsBucket() {
        ReminderKey key = new ReminderKey(newActor(TABLE_ACTOR_TYPE), "fee");
        Instant due = Instant.parse("2026-01-01T00:00:01.250Z");
        table.save(new ReminderEntry(key, 42, ReminderSchedule.every(Duration.ofMillis(500)).startingAt(due),
                new byte[] { 1, 2 }, ReminderTick.first(due, 1)));
        String row = JdbcClient.create(dataSource)
            .sql("select bucket || '|' || registration || '|' || period_ms || '|' || encode(payload, 'hex') || '|' "
                    + "|| tick_number || '|' || (fire_at = timestamptz '2026-01-01 00:00:01.25+00') "
                    + "from quark_reminders where actor_id = ? and name = 'fee'")
            .param(key.actor().id())
            .query(String.class)
            .single();
        assertThat(row).isEqualTo(key.bucket() + "|42|500|0102|1|true");
    }

    @Test
    void applyingTheChangelogAgainChangesNothingAndAnotherPrefixGetsItsOwnTable() {
        ReminderKey key = new ReminderKey(newActor(TABLE_ACTOR_TYPE), "kept");
        Instant due = Instant.parse("2026-01-01T00:00:00Z");
        ReminderEntry entry = new ReminderEntry(key, 1, ReminderSchedule.onceAt(due), new byte[0], ReminderTick.first(due, 1));
        table.save(entry);
        TablePrefix other = new TablePrefix("other_");
        JdbcReminderTable.migration(other).apply(dataSource);
        JdbcReminderTable.migration(new TablePrefix(TablePrefix.DEFAULT)).apply(dataSource);
        assertThat(table.find(key)).contains(entry);
        JdbcReminderTable otherTable = new JdbcReminderTable(dataSource, other);
        assertThat(otherTable.table()).isEqualTo("other_reminders");
        assertThat(otherTable.find(key)).isEmpty();
        List<String> changesets = JdbcClient.create(dataSource)
            .sql("select id from databasechangelog where filename = 'db/changelog/quark/reminders.xml' order by id")
            .query(String.class)
            .list();
        assertThat(changesets).containsExactly("other_reminders-1", "other_reminders-2", "other_reminders-3",
                "other_reminders-4", "quark_reminders-1", "quark_reminders-2", "quark_reminders-3", "quark_reminders-4");
    }

    @Test
    void anOlderAdvanceLeavesItsRowUntouched() {
        ReminderKey key = new ReminderKey(newActor(TABLE_ACTOR_TYPE), "late");
        Instant due = Instant.parse("2026-01-01T00:00:00Z");
        table.save(new ReminderEntry(key, 7, ReminderSchedule.every(Duration.ofSeconds(1)).startingAt(due),
                new byte[0], ReminderTick.first(due, 1)));
        assertThat(table.apply(List.of(ReminderUpdate.advance(key, 7, ReminderTick.first(due.plusSeconds(5), 6)))))
            .isEqualTo(1);
        String before = rowVersion(key);

        assertThat(table.apply(List.of(ReminderUpdate.advance(key, 7, ReminderTick.first(due.plusSeconds(2), 3)))))
            .as("a stale advance counts as applied").isEqualTo(1);

        assertThat(rowVersion(key)).as("no new row version, updated_at kept").isEqualTo(before);
    }

    /** The row's version (the transaction that wrote it) and its updated_at. */
    private static String rowVersion(ReminderKey key) {
        return JdbcClient.create(dataSource)
            .sql("select xmin::text || '|' || updated_at::text from quark_reminders where actor_id = ? and name = ?")
            .param(key.actor().id())
            .param(key.name())
            .query(String.class)
            .single();
    }
}
