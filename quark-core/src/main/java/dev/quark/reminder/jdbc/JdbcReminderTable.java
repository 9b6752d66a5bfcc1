package dev.quark.reminder.jdbc;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;

import javax.sql.DataSource;

import dev.quark.jdbc.CallerTransactions;
import dev.quark.jdbc.LiquibaseMigration;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.FencingToken;
import dev.quark.reminder.DueReminders;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderChange;
import dev.quark.reminder.ReminderChangesTrimmedException;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.reminder.StoredSchedule;
import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Keeps reminders in a PostgreSQL table, one row per reminder:
 * <pre>
 * {prefix}reminders (actor_type, actor_id, name) primary key, bucket, registration,
 *     due_at, period_ms, cron, cron_zone, max_ticks, end_at, payload bytea,
 *     tick_at, tick_number, attempt, fire_at, updated_at
 *     index (bucket, fire_at)
 * {prefix}reminder_buckets (bucket) primary key, lease_token, stamped_at
 * {prefix}reminder_versions (bucket) primary key, version, trimmed_version
 * {prefix}reminder_changes (actor_type, actor_id, name) primary key, bucket, change_version, removed, changed_at
 *     index (bucket, change_version), index (bucket, changed_at)
 * </pre>
 * created by the Liquibase changelog {@value #CHANGELOG}. A fenced write of a next tick requires, in the same
 * statement, the bucket's row with its token, locked {@code FOR SHARE} until the write commits, so that a new
 * owner's stamp waits for it and then reads what it wrote. A read of due reminders is one statement: for each
 * bucket asked for, an index range scan of {@code (bucket, fire_at)} that stops at its share of the limit. A
 * batch of next ticks is one statement over the batch passed as arrays, an {@code UPDATE} and a {@code DELETE}
 * each guarded by the registration. Each statement runs in the caller's transaction when there is one
 * (Spring-managed), otherwise on its own; in the caller's transaction, the registry's listeners are told of a
 * registration or removal once it commits ({@link #afterCommit}).
 * <p>
 * <b>Changes.</b> A registration ({@link #save}) or removal ({@link #delete}) is one statement that also increments
 * its bucket's version and records it in the reminder's change row. The version row stays locked until the statement's
 * transaction commits, so the changes of a bucket commit in version order, and a reader that saw a version never
 * misses an earlier one committed later (registrations of one bucket made in long transactions wait for each other).
 * The same statement first trims the bucket's change rows older than {@link ReminderTable#CHANGE_RETENTION} (at most
 * {@link ReminderTable#TRIM_BATCH}, dated by the table's clock, not the database's) and raises the bucket's
 * {@code trimmed_version} to the highest version it deleted: a read of changes after an earlier version fails with
 * {@link ReminderChangesTrimmedException}. So the change rows of one-shot reminders, which the write of their last
 * tick removes without a change, do not pile up. Writes of next ticks touch neither table: the reminders table keeps
 * its two indexes.
 * <p>
 * <b>Lock order.</b> A batch of next ticks first locks the bucket rows of its fenced writes {@code FOR SHARE} in
 * bucket order, then its reminder rows {@code FOR UPDATE} in key order, and only then writes; a stamp writes its
 * bucket rows in bucket order. Two batches over overlapping reminders, or a batch and a stamp of its buckets, never
 * deadlock, whatever order their callers gave (they did before: "deadlock detected").
 */
public class JdbcReminderTable implements ReminderTable {

    /** The class path location of the Liquibase changelog that creates the table. */
    public static final String CHANGELOG = "db/changelog/quark/reminders.xml";

    private static final String COLUMNS = "actor_type, actor_id, name, registration, due_at, period_ms, cron, cron_zone, "
            + "max_ticks, end_at, payload, tick_at, tick_number, attempt, fire_at";

    private static final String EPOCH_PLUS = "timestamptz 'epoch' + interval '1 millisecond' * ";

    /**
     * Whether an advance moves the reminder forward: a later tick number, or the same with an attempt no lower. An
     * older one (a write whose client gave up while the server still ran it, after a newer write) changes nothing,
     * not even {@code updated_at} (its row is not written), but counts as applied.
     */
    private static final String FORWARD = "(v.number > t.tick_number or (v.number = t.tick_number and v.attempt >= t.attempt))";

    private final JdbcTemplate jdbc;

    private final String table;

    private final String upsert;

    private final String select;

    private final String selectActor;

    private final String delete;

    private final String due;

    private final String dueFrom;

    private final String countDue;

    private final String countDueAll;

    private final String write;

    private final String stamp;

    private final String stamps;

    private final String versions;

    private final String changes;

    private final String trimmedVersions;

    private final Clock clock;

    private final CallerTransactions transactions;

    private final RowMapper<ReminderEntry> rows = (row, number) -> entry(row);

    /**
     * Creates a table.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table name, for instance {@code quark_}
     */
    public JdbcReminderTable(DataSource dataSource, TablePrefix tablePrefix) {
        this(dataSource, tablePrefix, Clock.systemUTC());
    }

    /**
     * Creates a table whose change rows age on a clock.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table name, for instance {@code quark_}
     * @param clock the clock that dates registrations and removals, for the trimming of their change rows
     */
    public JdbcReminderTable(DataSource dataSource, TablePrefix tablePrefix, Clock clock) {
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.jdbc = new JdbcTemplate(dataSource);
        this.transactions = new CallerTransactions(dataSource);
        this.table = tablePrefix.table("reminders");
        String buckets = tablePrefix.table("reminder_buckets");
        String fenced = " and (v.token = 0 or exists (select 1 from " + buckets + " f where f.bucket = t.bucket "
                + "and f.lease_token = v.token for share of f))";
        String key = " where actor_type = ? and actor_id = ? and name = ?";
        String versionTable = tablePrefix.table("reminder_versions");
        String changeTable = tablePrefix.table("reminder_changes");
        // The reminder's row first; then, without locking, the bucket's change rows older than the cutoff (the first
        // parameter after the reminder's) other than the reminder's own; then its bucket's version row, which also
        // takes the highest version among them; only then are they deleted, each only as it was read (a row changed
        // since keeps its new version). So every lock a statement takes on change rows of a bucket is taken while it
        // holds the bucket's version row: statements of one bucket never wait for each other's change rows in a
        // cycle. The scalar subqueries run once the rows before them are written, in a save and in a delete alike.
        String bumped = "stale as (select q.actor_type, q.actor_id, q.name, q.change_version from " + changeTable
                + " q where q.bucket = (select bucket from s) and q.changed_at < ? and (q.actor_type, q.actor_id, "
                + "q.name) not in (select actor_type, actor_id, name from s) order by q.changed_at limit " + TRIM_BATCH
                + "), v as (insert into " + versionTable + " as c (bucket, version, trimmed_version) "
                + "select s.bucket, 1, coalesce((select max(change_version) from stale), 0) from s "
                + "on conflict (bucket) do update set version = c.version + 1, "
                + "trimmed_version = greatest(c.trimmed_version, excluded.trimmed_version) returning c.version), "
                + "trimmed as (delete from " + changeTable + " p using stale d where p.actor_type = d.actor_type "
                + "and p.actor_id = d.actor_id and p.name = d.name and p.change_version = d.change_version "
                + "and exists (select 1 from v)) ";
        String recorded = "insert into " + changeTable + " as x (actor_type, actor_id, name, bucket, change_version, "
                + "removed, changed_at) select s.actor_type, s.actor_id, s.name, s.bucket, (select version from v), %s, "
                + "?::timestamptz from s on conflict (actor_type, actor_id, name) do update set bucket = excluded.bucket, "
                + "change_version = excluded.change_version, removed = excluded.removed, changed_at = excluded.changed_at";
        this.upsert = "with s as (insert into " + this.table + " (" + COLUMNS + ", bucket, updated_at) "
                + "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) "
                + "on conflict (actor_type, actor_id, name) do update set bucket = excluded.bucket, "
                + "registration = excluded.registration, due_at = excluded.due_at, period_ms = excluded.period_ms, "
                + "cron = excluded.cron, cron_zone = excluded.cron_zone, max_ticks = excluded.max_ticks, "
                + "end_at = excluded.end_at, payload = excluded.payload, tick_at = excluded.tick_at, "
                + "tick_number = excluded.tick_number, attempt = excluded.attempt, fire_at = excluded.fire_at, "
                + "updated_at = now() returning actor_type, actor_id, name, bucket), " + bumped
                + String.format(recorded, "false");
        this.select = "select " + COLUMNS + " from " + this.table + key;
        this.selectActor = "select " + COLUMNS + " from " + this.table
                + " where actor_type = ? and actor_id = ? order by name collate \"C\"";
        this.delete = "with s as (delete from " + this.table + key + " returning actor_type, actor_id, name, bucket), "
                + bumped + String.format(recorded, "true");
        this.versions = "select bucket, version from " + versionTable + " where bucket = any(?::integer[])";
        this.trimmedVersions = "select bucket, trimmed_version from " + versionTable
                + " where bucket = any(?::integer[]) and trimmed_version > 0";
        // The reminder as stored now, whatever its change row says: a node without the change log (an older version,
        // during a rolling upgrade) may have stored it again after its last recorded removal.
        StringBuilder stored = new StringBuilder();
        for (String column : COLUMNS.split(", ")) {
            stored.append(", t.").append(column);
        }
        this.changes = "select c.actor_type as c_type, c.actor_id as c_id, c.name as c_name, c.change_version" + stored
                + " from unnest(?::integer[], ?::bigint[]) as b(bucket, after) cross join lateral (select * from "
                + changeTable + " x where x.bucket = b.bucket and x.change_version > b.after order by x.change_version "
                + "limit ?) c left join " + this.table + " t on t.actor_type = c.actor_type and t.actor_id = c.actor_id "
                + "and t.name = c.name order by c.bucket, c.change_version";
        String dueRead = "select r.* from unnest(?::integer[]) as b(bucket) cross join lateral (select " + COLUMNS
                + ", bucket as from_bucket from " + this.table + " t where t.bucket = b.bucket and t.fire_at < ? %s"
                + "order by t.fire_at limit ?) r";
        this.due = String.format(dueRead, "");
        this.dueFrom = String.format(dueRead, "and t.fire_at >= ? ");
        this.countDue = "select count(*) from " + this.table + " where bucket = any(?::integer[]) and fire_at < ?";
        this.countDueAll = "select count(*) from " + this.table + " where fire_at < ?";
        String sameKey = " t.actor_type = v.actor_type and t.actor_id = v.actor_id and t.name = v.name";
        // The bucket rows first, in bucket order, then the reminder rows, in key order, whatever order the batch
        // came in: two batches over overlapping rows, and a stamp (which writes bucket rows in bucket order), never
        // deadlock. The reminder rows wait for the bucket rows through the one-time filter on fences.
        this.write = "with v as (select * from unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], "
                + "?::boolean[], ?::bigint[], ?::bigint[], ?::integer[], ?::bigint[]) as v(actor_type, actor_id, name, "
                + "registration, token, removes, tick_ms, number, attempt, fire_ms)), "
                + "fences as (select f.bucket from " + buckets + " f where f.bucket in (select t.bucket from "
                + this.table + " t join v on" + sameKey + " where v.token <> 0) order by f.bucket for share of f), "
                + "locked as (select t.actor_type, t.actor_id, t.name from " + this.table + " t join v on" + sameKey
                + " and t.registration = v.registration where (select count(*) from fences) >= 0 "
                + "order by t.actor_type, t.actor_id, t.name for update of t), "
                + "advanced as (update " + this.table + " t set tick_at = " + EPOCH_PLUS + "v.tick_ms, "
                + "tick_number = v.number, attempt = v.attempt, fire_at = " + EPOCH_PLUS + "v.fire_ms, updated_at = now() "
                + "from v join locked l on l.actor_type = v.actor_type and l.actor_id = v.actor_id and l.name = v.name "
                + "where not v.removes and" + sameKey + " and t.registration = v.registration and " + FORWARD + fenced
                + " returning 1), "
                // An older advance is refused without touching its row (no new row version, updated_at kept), and
                // counted as applied.
                + "kept as (select 1 from " + this.table + " t join v on" + sameKey + " join locked l on "
                + "l.actor_type = v.actor_type and l.actor_id = v.actor_id and l.name = v.name where not v.removes "
                + "and t.registration = v.registration and not " + FORWARD + fenced + "), "
                + "removed as (delete from " + this.table + " t using v join locked l on l.actor_type = v.actor_type "
                + "and l.actor_id = v.actor_id and l.name = v.name where v.removes and" + sameKey
                + " and t.registration = v.registration" + fenced + " returning 1) "
                + "select (select count(*) from advanced) + (select count(*) from kept) + (select count(*) from removed)";
        // In bucket order, like the fences of a batch of next ticks.
        this.stamp = "insert into " + buckets + " as f (bucket, lease_token) select s.bucket, s.lease_token from "
                + "unnest(?::smallint[], ?::bigint[]) as s(bucket, lease_token) order by s.bucket on conflict (bucket) do update set lease_token = excluded.lease_token, stamped_at = now() "
                + "where f.lease_token <= excluded.lease_token returning f.bucket";
        this.stamps = "select bucket, lease_token from " + buckets + " where bucket = any(?::smallint[])";
    }

    /**
     * Returns the migration that creates this table.
     * @param tablePrefix the table prefix
     * @return the migration
     */
    public static LiquibaseMigration migration(TablePrefix tablePrefix) {
        return new LiquibaseMigration(CHANGELOG, tablePrefix);
    }

    /**
     * Returns the name of the table.
     * @return the table name, with its prefix
     */
    public String table() {
        return this.table;
    }

    @Override
    public void save(ReminderEntry entry) {
        StoredSchedule schedule = StoredSchedule.of(entry.schedule());
        ReminderKey key = entry.key();
        ReminderTick tick = entry.tick();
        Instant now = this.clock.instant();
        this.jdbc.update(this.upsert, key.actor().typeName(), key.actor().id(), key.name(), entry.registration(),
                time(schedule.dueAt()), schedule.periodMillis(), schedule.cron(), schedule.zone(), schedule.maxTicks(),
                (schedule.endAt() != null) ? time(schedule.endAt()) : null, entry.payload(), time(tick.scheduledAt()),
                tick.number(), tick.attempt(), time(tick.fireAt()), entry.bucket(), time(now.minus(CHANGE_RETENTION)),
                time(now));
    }

    /**
     * Runs the action once the caller's transaction on this database commits, when its registrations and removals
     * joined one (see {@link CallerTransactions}), and never when it rolls back; at once otherwise. It runs at the
     * transaction's completion, so that a registration made in another synchronization's {@code afterCommit} is told
     * too.
     */
    @Override
    public void afterCommit(Runnable action) {
        Objects.requireNonNull(action, "action must not be null");
        if (!TransactionSynchronizationManager.isSynchronizationActive() || !this.transactions.callerHoldsTheDatabase()) {
            action.run();
            return;
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCompletion(int status) {
                if (status == STATUS_COMMITTED) {
                    action.run();
                }
            }
        });
    }

    @Override
    public Optional<ReminderEntry> find(ReminderKey key) {
        return this.jdbc.query(this.select, this.rows, key.actor().typeName(), key.actor().id(), key.name())
            .stream()
            .findFirst();
    }

    @Override
    public List<ReminderEntry> list(ActorAddress actor) {
        return this.jdbc.query(this.selectActor, this.rows, actor.typeName(), actor.id());
    }

    @Override
    public boolean delete(ReminderKey key) {
        Instant now = this.clock.instant();
        return this.jdbc.update(this.delete, key.actor().typeName(), key.actor().id(), key.name(),
                time(now.minus(CHANGE_RETENTION)), time(now)) > 0;
    }

    @Override
    public DueReminders due(ReminderBucketSet buckets, Instant before, int limit) {
        return dueRead(buckets, null, before, limit);
    }

    @Override
    public long[] versions(ReminderBucketSet buckets) {
        int[] read = buckets.toArray();
        long[] versions = new long[ReminderBuckets.COUNT];
        if (read.length == 0) {
            return versions;
        }
        this.jdbc.query((connection) -> {
            PreparedStatement statement = connection.prepareStatement(this.versions);
            statement.setArray(1, integers(connection, read));
            return statement;
        }, (ResultSet row) -> {
            versions[row.getInt(1)] = row.getLong(2);
        });
        return versions;
    }

    @Override
    public List<ReminderChange> changes(ReminderBucketSet buckets, long[] after, int perBucket) {
        int[] read = buckets.toArray();
        if (read.length == 0) {
            return List.of();
        }
        List<ReminderChange> changed = new ArrayList<>();
        this.jdbc.query((connection) -> {
            PreparedStatement statement = connection.prepareStatement(this.changes);
            statement.setArray(1, integers(connection, read));
            Long[] from = new Long[read.length];
            for (int i = 0; i < read.length; i++) {
                from[i] = after[read[i]];
            }
            statement.setArray(2, connection.createArrayOf("bigint", from));
            statement.setInt(3, perBucket);
            return statement;
        }, (ResultSet row) -> {
            ReminderKey key = new ReminderKey(new ActorAddress(row.getString("c_type"), row.getString("c_id")),
                    row.getString("c_name"));
            ReminderEntry entry = (row.getString("actor_type") != null) ? entry(row) : null;
            changed.add(new ReminderChange(key, row.getLong("change_version"), entry));
        });
        // Read after the changes: a trim that committed before the changes were read shows here.
        List<Integer> behind = new ArrayList<>();
        this.jdbc.query((connection) -> {
            PreparedStatement statement = connection.prepareStatement(this.trimmedVersions);
            statement.setArray(1, integers(connection, read));
            return statement;
        }, (ResultSet row) -> {
            int bucket = row.getInt(1);
            if (row.getLong(2) > after[bucket]) {
                behind.add(bucket);
            }
        });
        if (!behind.isEmpty()) {
            throw new ReminderChangesTrimmedException(ReminderBucketSet.of(behind));
        }
        return changed;
    }

    @Override
    public DueReminders due(ReminderBucketSet buckets, Instant from, Instant before, int limit) {
        return dueRead(buckets, Objects.requireNonNull(from, "from must not be null"), before, limit);
    }

    private DueReminders dueRead(ReminderBucketSet buckets, @Nullable Instant from, Instant before, int limit) {
        int[] read = buckets.toArray();
        int perBucket = DueReminders.perBucketLimit(limit, read.length);
        Map<Integer, List<ReminderEntry>> byBucket = new TreeMap<>();
        this.jdbc.query((connection) -> {
            PreparedStatement statement = connection.prepareStatement((from != null) ? this.dueFrom : this.due);
            statement.setArray(1, integers(connection, read));
            statement.setObject(2, time(before));
            int next = 3;
            if (from != null) {
                statement.setObject(next++, time(from));
            }
            statement.setInt(next, perBucket + 1);
            return statement;
        }, (ResultSet row) -> {
            byBucket.computeIfAbsent(row.getInt("from_bucket"), (bucket) -> new ArrayList<>()).add(entry(row));
        });
        List<List<ReminderEntry>> perBucketRead = new ArrayList<>(byBucket.values());
        perBucketRead.forEach((entries) -> entries.sort(DueReminders.BY_FIRE_TIME));
        return DueReminders.merge(perBucketRead, perBucket, before, limit);
    }

    @Override
    public int apply(List<ReminderUpdate> updates) {
        Map<ReminderKey, ReminderUpdate> last = new LinkedHashMap<>();
        updates.forEach((update) -> last.put(update.key(), update));
        if (last.isEmpty()) {
            return 0;
        }
        List<ReminderUpdate> batch = List.copyOf(last.values());
        Long applied = this.jdbc.query((connection) -> {
            PreparedStatement statement = connection.prepareStatement(this.write);
            keyArrays(connection, statement, batch);
            statement.setArray(6, connection.createArrayOf("boolean",
                    batch.stream().map(ReminderUpdate::removes).toArray(Boolean[]::new)));
            statement.setArray(7, longs(connection, batch, (next) -> next.scheduledAt().toEpochMilli()));
            statement.setArray(8, longs(connection, batch, ReminderTick::number));
            statement.setArray(9, connection.createArrayOf("integer", batch.stream()
                .map((update) -> (update.next() != null) ? Objects.requireNonNull(update.next()).attempt() : null)
                .toArray(Integer[]::new)));
            statement.setArray(10, longs(connection, batch, (next) -> next.fireAt().toEpochMilli()));
            return statement;
        }, (ResultSet row) -> row.next() ? row.getLong(1) : 0L);
        return (applied != null) ? applied.intValue() : 0;
    }

    @Override
    public ReminderBucketSet stamp(Map<Integer, FencingToken> tokens) {
        ReminderBucketSet.of(tokens.keySet());
        if (tokens.isEmpty()) {
            return ReminderBucketSet.none();
        }
        List<Integer> stamped = new ArrayList<>(tokens.size());
        this.jdbc.query((connection) -> {
            PreparedStatement statement = connection.prepareStatement(this.stamp);
            statement.setArray(1, connection.createArrayOf("smallint", tokens.keySet().toArray(Integer[]::new)));
            statement.setArray(2, connection.createArrayOf("bigint",
                    tokens.values().stream().map(FencingToken::value).toArray(Long[]::new)));
            return statement;
        }, (ResultSet row) -> {
            stamped.add(row.getInt(1));
        });
        return ReminderBucketSet.of(stamped);
    }

    @Override
    public Map<Integer, FencingToken> stamps(ReminderBucketSet buckets) {
        int[] read = buckets.toArray();
        Map<Integer, FencingToken> stamps = new TreeMap<>();
        if (read.length == 0) {
            return stamps;
        }
        this.jdbc.query((connection) -> {
            PreparedStatement statement = connection.prepareStatement(this.stamps);
            statement.setArray(1, integers(connection, read));
            return statement;
        }, (ResultSet row) -> {
            stamps.put(row.getInt(1), new FencingToken(row.getLong(2)));
        });
        return stamps;
    }

    @Override
    public long countDue(ReminderBucketSet buckets, Instant before) {
        Long count;
        if (buckets.isAll()) {
            count = this.jdbc.queryForObject(this.countDueAll, Long.class, time(before));
        }
        else {
            int[] read = buckets.toArray();
            count = this.jdbc.query((connection) -> {
                PreparedStatement statement = connection.prepareStatement(this.countDue);
                statement.setArray(1, integers(connection, read));
                statement.setObject(2, time(before));
                return statement;
            }, (ResultSet row) -> row.next() ? row.getLong(1) : 0L);
        }
        return (count != null) ? count : 0;
    }

    private static void keyArrays(Connection connection, PreparedStatement statement, List<ReminderUpdate> updates)
            throws SQLException {
        statement.setArray(1, texts(connection, updates.stream().map((update) -> update.key().actor().typeName())));
        statement.setArray(2, texts(connection, updates.stream().map((update) -> update.key().actor().id())));
        statement.setArray(3, texts(connection, updates.stream().map((update) -> update.key().name())));
        statement.setArray(4, connection.createArrayOf("bigint",
                updates.stream().map(ReminderUpdate::registration).toArray(Long[]::new)));
        statement.setArray(5, connection.createArrayOf("bigint", updates.stream()
            .map((update) -> (update.token() != null) ? Objects.requireNonNull(update.token()).value() : 0L)
            .toArray(Long[]::new)));
    }

    private static Array texts(Connection connection, Stream<String> values) throws SQLException {
        return connection.createArrayOf("text", values.toArray(String[]::new));
    }

    private static Array integers(Connection connection, int[] values) throws SQLException {
        Integer[] boxed = new Integer[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return connection.createArrayOf("integer", boxed);
    }

    /** A removal has no next tick: its values are null. */
    private static Array longs(Connection connection, List<ReminderUpdate> updates,
            ToLongFunction<ReminderTick> value) throws SQLException {
        return connection.createArrayOf("bigint", updates.stream()
            .map((update) -> (update.next() != null) ? value.applyAsLong(Objects.requireNonNull(update.next())) : null)
            .toArray(Long[]::new));
    }

    private static ReminderEntry entry(ResultSet row) throws SQLException {
        ReminderKey key = new ReminderKey(new ActorAddress(row.getString("actor_type"), row.getString("actor_id")),
                row.getString("name"));
        StoredSchedule schedule = new StoredSchedule(instant(row, "due_at"), nullableLong(row, "period_ms"),
                row.getString("cron"), row.getString("cron_zone"), nullableLong(row, "max_ticks"),
                nullableInstant(row, "end_at"));
        ReminderTick tick = new ReminderTick(instant(row, "tick_at"), row.getLong("tick_number"), row.getInt("attempt"),
                instant(row, "fire_at"));
        return new ReminderEntry(key, row.getLong("registration"), schedule.toSchedule(), row.getBytes("payload"), tick);
    }

    private static Instant instant(ResultSet row, String column) throws SQLException {
        return Objects.requireNonNull(nullableInstant(row, column), column + " is not null");
    }

    private static @Nullable Instant nullableInstant(ResultSet row, String column) throws SQLException {
        OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
        return (value != null) ? value.toInstant() : null;
    }

    private static @Nullable Long nullableLong(ResultSet row, String column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? null : value;
    }

    private static OffsetDateTime time(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    @Override
    public String toString() {
        return "JdbcReminderTable[table " + this.table + "]";
    }
}
