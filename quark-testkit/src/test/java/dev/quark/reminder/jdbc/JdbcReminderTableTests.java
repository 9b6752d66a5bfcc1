package dev.quark.reminder.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.actor.ReminderSchedule;
import dev.quark.jdbc.TablePrefix;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderNotices;
import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import dev.quark.testkit.reminder.ReminderTableContractTests;
import dev.quark.testkit.reminder.ReminderTableContractTests.ContractAlarm;
import dev.quark.testkit.reminder.ReminderTableContractTests.ContractAlarmActor;
import dev.quark.testkit.reminder.ReminderTableContractTests.Delivery;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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

    /**
     * A registration made in the caller's transaction is not fired before the transaction commits: fired from
     * memory before it, its tick's write found no row (the registration not visible yet), and once the registration
     * committed the next read of changes showed its first tick again, delivered a second time.
     */
    @Test
    void aRegistrationInATransactionIsFiredOnceAfterTheTransactionCommitsEvenWhenItsTickFellDueBefore() {
        ManualClock clock = new ManualClock();
        ManualScheduler scheduler = new ManualScheduler(clock);
        List<Delivery> deliveries = new CopyOnWriteArrayList<>();
        ReminderRegistry registry = new ReminderRegistry(table, clock);
        ActorRuntime runtime = alarmRuntime(registry, clock, scheduler, deliveries);
        ReminderTickManager ticks = ReminderTickManager.builder(table, runtime).registry(registry).build();
        try {
            ticks.start();
            scheduler.runDueTasks();
            ActorAddress actor = registerInATransaction(registry, "once", () -> {
                // The transaction stays open past the reminder's tick.
                scheduler.advance(Duration.ofSeconds(6));
            });
            scheduler.advance(Duration.ofMinutes(1));
            assertThat(deliveries).as("its tick, once, after the commit (reads of changes at 10 s, 20 s, ...)")
                .extracting(Delivery::scheduledAt)
                .containsExactly(ManualClock.DEFAULT_START.plusSeconds(5));
            assertThat(deliveries.getFirst().firedAt()).as("not before the commit")
                .isAfterOrEqualTo(ManualClock.DEFAULT_START.plusSeconds(6));
            assertThat(table.list(actor)).as("a one-shot reminder, removed after its tick").isEmpty();
        }
        finally {
            ticks.close();
            runtime.close();
        }
    }

    /**
     * A registration made in the caller's transaction on a silo that does not fire its bucket is told to the silo that
     * does once the transaction commits: told before, that silo read nothing (the registration not visible yet), and
     * the reminder waited for its next refresh (half an hour here) instead of firing on time.
     */
    @Test
    void aRegistrationInATransactionIsNoticedByTheSiloThatFiresItsBucketOnceTheTransactionCommits() {
        ManualClock clock = new ManualClock();
        ManualScheduler scheduler = new ManualScheduler(clock);
        List<Delivery> deliveries = new CopyOnWriteArrayList<>();
        ActorRuntime runtime = alarmRuntime(new ReminderRegistry(table, clock), clock, scheduler, deliveries);
        AtomicInteger finds = new AtomicInteger();
        ReminderTable countingFinds = (ReminderTable) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { ReminderTable.class }, (proxy, method, arguments) -> {
                    try {
                        return method.invoke(table, arguments);
                    }
                    catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                    finally {
                        if (method.getName().equals("find")) {
                            finds.incrementAndGet();
                        }
                    }
                });
        ReminderSettings rarely = ReminderSettings.builder()
            .lookahead(Duration.ofHours(1))
            .refreshInterval(Duration.ofMinutes(30))
            .build();
        ReminderTickManager ticks = ReminderTickManager.builder(countingFinds, runtime).settings(rarely).build();
        ReminderRegistry elsewhere = new ReminderRegistry(table, clock);
        AtomicInteger noticesBeforeCommit = new AtomicInteger();
        AtomicBoolean committed = new AtomicBoolean();
        elsewhere.addListener(ReminderNotices.sendingTo((bucket, notice) -> {
            if (!committed.get()) {
                noticesBeforeCommit.incrementAndGet();
            }
            ReminderNotices.received(notice, ticks);
        }));
        try {
            ticks.start();
            scheduler.runDueTasks();
            registerInATransaction(elsewhere, "soon", () -> {
                // A notice sent now is read before the commit.
                await().atMost(Duration.ofSeconds(10)).until(() -> finds.get() >= noticesBeforeCommit.get());
            });
            committed.set(true);
            await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(ticks.stats().waiting()).as("queued from the notice").isEqualTo(1));
            scheduler.advance(Duration.ofSeconds(10));
            assertThat(deliveries).extracting(Delivery::scheduledAt).containsExactly(ManualClock.DEFAULT_START.plusSeconds(5));
        }
        finally {
            ticks.close();
            runtime.close();
        }
    }

    @Test
    void aReminderStoredAgainByANodeWithoutTheChangeLogAfterItsRemovalIsReadAsStoredNotRemoved() {
        ReminderKey key = new ReminderKey(newActor(TABLE_ACTOR_TYPE), "upgraded");
        ReminderBucketSet bucket = ReminderBucketSet.of(key.bucket());
        Instant due = Instant.parse("2026-01-01T00:00:10Z");
        table.save(new ReminderEntry(key, 1, ReminderSchedule.every(Duration.ofSeconds(10)).startingAt(due), new byte[0],
                ReminderTick.first(due, 1)));
        long[] before = table.versions(bucket);
        assertThat(table.delete(key)).isTrue();
        // A node of an older version, during a rolling upgrade, registers it again: its row only, no change recorded.
        JdbcClient.create(dataSource)
            .sql("insert into quark_reminders (actor_type, actor_id, name, bucket, registration, due_at, period_ms, "
                    + "payload, tick_at, tick_number, attempt, fire_at) values (?, ?, ?, ?, 2, ?, 10000, ''::bytea, ?, 1, "
                    + "1, ?)")
            .params(key.actor().typeName(), key.actor().id(), key.name(), key.bucket(), at(due), at(due), at(due))
            .update();
        assertThat(table.changes(bucket, before, 100)).filteredOn((change) -> change.key().equals(key))
            .singleElement()
            .satisfies((change) -> {
                assertThat(change.removed()).as("its row exists").isFalse();
                assertThat(Objects.requireNonNull(change.entry()).registration()).isEqualTo(2);
            });
    }

    /** A runtime of the contract's alarm actors, in virtual time, whose deliveries are noted in {@code deliveries}. */
    private static ActorRuntime alarmRuntime(ReminderRegistry registry, ManualClock clock, ManualScheduler scheduler,
            List<Delivery> deliveries) {
        return ActorRuntime.builder()
            .actor(ContractAlarmActor.class, () -> new ContractAlarmActor(deliveries, new CopyOnWriteArrayList<>()))
            .reminders(registry)
            .clock(clock)
            .scheduler(scheduler)
            .build();
    }

    /**
     * Registers a one-shot reminder due in 5 s for a new alarm actor in a transaction of the caller's, running
     * {@code beforeCommit} while the transaction is still open.
     * @return the actor
     */
    private ActorAddress registerInATransaction(ReminderRegistry registry, String name, Runnable beforeCommit) {
        ActorAddress actor = newActor(ContractAlarm.TYPE);
        TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        transaction.executeWithoutResult((status) -> {
            registry.register(actor, name, ReminderSchedule.once(Duration.ofSeconds(5)), new byte[0]);
            beforeCommit.run();
        });
        return actor;
    }

    private static OffsetDateTime at(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
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
