package dev.quark.lease.jdbc;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import javax.sql.DataSource;

import dev.quark.jdbc.LiquibaseMigration;
import dev.quark.jdbc.OwnTransactions;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.AbstractLeaseStore;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseHolder;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionOperations;

/**
 * Keeps leases in a PostgreSQL table, one row per held lease, and draws tokens from a sequence:
 * <pre>
 * {prefix}lease (resource primary key, owner, token bigint, expires_at timestamptz, acquired_at timestamptz)
 * {prefix}lease_token   sequence
 * </pre>
 * created by the Liquibase changelog {@value #CHANGELOG}. Every operation is one statement over all the leases
 * it concerns (arrays bound as parameters).
 * <p>
 * <b>Transactions.</b> By default ({@link Transactions#OWN}) every operation runs in a transaction of its own,
 * committed before the method returns, on a connection of its own ({@link OwnTransactions}), also when the caller
 * has a transaction of any kind going (JDBC, JPA, Hibernate): that one is left alone, so a rollback of it cannot
 * silently undo an acquisition the caller holds a {@link Lease} for, nor a renewal or a release, and the store
 * never commits the caller's work; the store then needs a second connection from the pool while the caller holds
 * one. A caller's transaction that fenced a write with {@link JdbcFencing#leaseIsCurrent} holds the lease row
 * until it ends, so release or renew that lease after it commits, not inside it (the store's own transaction
 * would wait for the caller's). {@link Transactions#JOIN_CALLERS} joins the caller's transaction instead, for
 * an acquisition that must commit or roll back with the caller's own writes. Guarded writes ({@link JdbcFencing})
 * are the caller's statements and always run in the caller's transaction.
 * <p>
 * The server's {@code clock_timestamp()} decides expiry (not {@code now()}, which stands still for a whole
 * transaction); the store's {@link Clock} only computes {@link Lease#validUntil()}. An acquisition takes a
 * transaction-level advisory lock with {@code pg_try_advisory_xact_lock(hashtext(table), hashtext(resource))} on
 * each resource it grants before it draws the token, which makes tokens grow per resource even when a lease row is
 * deleted and inserted again, and lets concurrent batch acquisitions skip each other's candidates instead of
 * waiting; an application's own advisory locks should not use {@code hashtext} of the table's name as their first
 * key. It tries the candidates one at a time, in order, and only those free when the statement started, until it
 * has {@code max} locks, so it holds at most {@code max} advisory locks however many candidates are held (each in
 * PostgreSQL's shared lock table until the transaction commits: keep {@code max} in the hundreds, well below
 * {@code max_locks_per_transaction} times {@code max_connections}). The candidates go to the server in one array
 * and each is looked up once: pass a page of them (up to some thousands), not a whole table. A released lease's
 * row is deleted; an expired one stays until its resource is acquired again.
 * <p>
 * <b>Lock order.</b> Every statement that writes several lease rows writes or locks them in resource order
 * ({@code order by resource}), whatever order the caller gave: two of them over overlapping rows (a renewal and a
 * release of the same leases, an acquisition of expired leases and their old holder's release) never deadlock.
 */
public class JdbcLeaseStore extends AbstractLeaseStore {

    /** The class path location of the Liquibase changelog that creates the table and the sequence. */
    public static final String CHANGELOG = "db/changelog/quark/leases.xml";

    private final JdbcClient jdbc;

    private final @Nullable TransactionOperations ownTransactions;

    private final String table;

    private final String sequence;

    private final String acquire;

    private final String extend;

    private final String remove;

    private final String read;

    /**
     * Creates a store whose operations run in transactions of their own ({@link Transactions#OWN}).
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the names of the table and the sequence, for instance {@code quark_}
     * @param clock the caller's clock, which computes {@link Lease#validUntil()}
     */
    public JdbcLeaseStore(DataSource dataSource, TablePrefix tablePrefix, Clock clock) {
        this(dataSource, tablePrefix, clock, Transactions.OWN);
    }

    /**
     * Creates a store.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the names of the table and the sequence, for instance {@code quark_}
     * @param clock the caller's clock, which computes {@link Lease#validUntil()}
     * @param transactions which transaction the store's statements run in
     */
    public JdbcLeaseStore(DataSource dataSource, TablePrefix tablePrefix, Clock clock, Transactions transactions) {
        super(clock);
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        Objects.requireNonNull(tablePrefix, "tablePrefix must not be null");
        Objects.requireNonNull(transactions, "transactions must not be null");
        if (transactions == Transactions.OWN) {
            OwnTransactions own = new OwnTransactions(dataSource);
            this.jdbc = own.jdbc();
            this.ownTransactions = own.transactions();
        }
        else {
            this.jdbc = JdbcClient.create(dataSource);
            this.ownTransactions = null;
        }
        this.table = tablePrefix.table("lease");
        this.sequence = tablePrefix.table("lease_token");
        // The rows are written in resource order, like renewals and releases lock theirs (lockedInResourceOrder).
        // Free candidates, in order, as one array; then a walk over it, one candidate per step, that tries its
        // advisory lock and stops once max are locked: a recursive query is evaluated step by step, so no lock is
        // taken on a held candidate nor beyond max, whatever plan the rest of the statement gets.
        this.acquire = """
                with recursive free as materialized (
                    select array_agg(r.resource order by r.position) as resources
                    from unnest(?::text[]) with ordinality as r(resource, position)
                    where not exists (select 1 from %1$s h where h.resource = r.resource and h.expires_at > clock_timestamp())
                ),
                walk (position, resource, locked, locks_before) as (
                    select 0, null::text, false, 0
                    union all
                    select w.position + 1, f.resources[w.position + 1],
                        pg_try_advisory_xact_lock(hashtext('%1$s'), hashtext(f.resources[w.position + 1])),
                        w.locks_before + w.locked::int
                    from walk w, free f
                    where w.position < coalesce(cardinality(f.resources), 0) and w.locks_before + w.locked::int < ?
                )
                insert into %1$s as l (resource, owner, token, expires_at, acquired_at)
                select w.resource, ?, nextval('%2$s'), clock_timestamp() + ?::bigint * interval '1 millisecond',
                    clock_timestamp()
                from walk w
                where w.locked
                order by w.resource
                on conflict (resource) do update
                    set owner = excluded.owner, token = excluded.token, expires_at = excluded.expires_at,
                        acquired_at = excluded.acquired_at
                    where l.expires_at <= clock_timestamp() and l.token < excluded.token
                returning l.resource, l.token
                """.formatted(this.table, this.sequence);
        this.extend = """
                update %1$s as l set expires_at = clock_timestamp() + ?::bigint * interval '1 millisecond'
                from (%2$s) as o
                where l.resource = o.resource and l.token = o.token and l.expires_at > clock_timestamp()
                returning l.resource, l.token
                """.formatted(this.table, lockedInResourceOrder(this.table));
        this.remove = """
                delete from %1$s as l
                using (%2$s) as o
                where l.resource = o.resource and l.token = o.token
                returning l.resource, l.token, l.expires_at > clock_timestamp()
                """.formatted(this.table, lockedInResourceOrder(this.table));
        this.read = """
                select owner, token, greatest(0, extract(epoch from expires_at - clock_timestamp()) * 1000)::bigint
                from %s where resource = ? and expires_at > clock_timestamp()
                """.formatted(this.table);
    }

    /**
     * Returns a query that locks the lease rows of an array of resources and tokens ({@code ?::text[]},
     * {@code ?::bigint[]}) {@code FOR UPDATE} in resource order, returning their {@code resource} and {@code token}:
     * the source of every statement that renews or releases several leases. Two such statements over overlapping rows,
     * and an acquisition (which writes its rows in resource order), then lock the rows they share in the same order
     * and never deadlock, whatever order their callers gave the leases in; without it, a renewal and a release of
     * the same leases in opposite orders did ("deadlock detected"). Only the rows still holding the given token are
     * locked, never those of a newer holder.
     * @param table the lease table
     * @return the query
     */
    static String lockedInResourceOrder(String table) {
        return "select h.resource, h.token from " + table + " h join unnest(?::text[], ?::bigint[]) as r(resource, token)"
                + " on h.resource = r.resource and h.token = r.token order by h.resource for update of h";
    }

    /**
     * Returns the migration that creates this store's table and sequence.
     * @param tablePrefix the table prefix
     * @return the migration
     */
    public static LiquibaseMigration migration(TablePrefix tablePrefix) {
        return new LiquibaseMigration(CHANGELOG, tablePrefix);
    }

    /**
     * Returns the name of the table, for {@link JdbcFencing} and for queries of an area's own.
     * @return the table name, with its prefix
     */
    public String table() {
        return this.table;
    }

    /**
     * Returns the name of the sequence the tokens come from.
     * @return the sequence name, with its prefix
     */
    public String sequence() {
        return this.sequence;
    }

    @Override
    protected Map<String, FencingToken> acquire(List<String> resources, int max, String owner, Duration duration) {
        Map<String, FencingToken> granted = new HashMap<>();
        inTransaction(() -> this.jdbc.sql(this.acquire)
            .params(resources.toArray(String[]::new), max, owner, duration.toMillis())
            .query((row, number) -> new Key(row.getString(1), row.getLong(2)))
            .list())
            .forEach((key) -> granted.put(key.resource(), new FencingToken(key.token())));
        Map<String, FencingToken> ordered = new LinkedHashMap<>();
        for (String resource : resources) {
            FencingToken token = granted.get(resource);
            if (token != null) {
                ordered.put(resource, token);
            }
        }
        return ordered;
    }

    @Override
    protected Collection<Lease> extend(List<Lease> leases, Duration duration) {
        List<Key> extended = inTransaction(() -> this.jdbc.sql(this.extend)
            .params(duration.toMillis(), resources(leases), tokens(leases))
            .query((row, number) -> new Key(row.getString(1), row.getLong(2)))
            .list());
        return select(leases, extended);
    }

    @Override
    protected Collection<Lease> remove(List<Lease> leases) {
        List<Key> wereLive = inTransaction(() -> this.jdbc.sql(this.remove)
            .params(resources(leases), tokens(leases))
            .query((row, number) -> new Removed(new Key(row.getString(1), row.getLong(2)), row.getBoolean(3)))
            .list())
            .stream()
            .filter(Removed::wasLive)
            .map(Removed::key)
            .toList();
        return select(leases, wereLive);
    }

    /**
     * Sets the sequence to the token unless it is higher already. The lock ({@code SHARE ROW EXCLUSIVE} on the lease
     * table) conflicts with the {@code ROW EXCLUSIVE} lock every acquisition takes before it draws a token, and with
     * itself: no token is drawn between the read of the sequence and {@code setval}, and two raises never interleave,
     * so neither can lower what the other set. A {@code DO} block is one statement, so the lock is held to its end
     * also when the store joins the caller's transaction and there is none (autocommit); it takes no parameters, so
     * the token (a number) is written into it. The lock waits at most 2 s ({@code lock_timeout}, set for the lock
     * alone and restored after it), so a long transaction holding the table does not queue every acquisition and
     * renewal behind the raise; a raise that times out throws, and the reminders warn and raise again at their next
     * claim.
     */
    @Override
    protected void raise(String resource, FencingToken token) {
        String raise = """
                do $$
                declare
                    previous text := current_setting('lock_timeout');
                begin
                    perform set_config('lock_timeout', '2s', true);
                    lock table %1$s in share row exclusive mode;
                    perform set_config('lock_timeout', previous, true);
                    perform setval('%2$s', greatest(%3$d, (select last_value from %2$s)));
                end $$""".formatted(this.table, this.sequence, token.value());
        inTransaction(() -> this.jdbc.sql(raise).update());
    }

    @Override
    protected Optional<LeaseHolder> read(String resource) {
        return inTransaction(() -> this.jdbc.sql(this.read)
            .param(resource)
            .query((row, number) -> new LeaseHolder(resource, row.getString(1), new FencingToken(row.getLong(2)),
                    Duration.ofMillis(row.getLong(3))))
            .optional());
    }

    private <T> T inTransaction(Supplier<T> statement) {
        if (this.ownTransactions == null) {
            return statement.get();
        }
        T result = this.ownTransactions.execute((status) -> statement.get());
        return Objects.requireNonNull(result, "a lease statement returned null");
    }

    private static String[] resources(List<Lease> leases) {
        return leases.stream().map(Lease::resource).toArray(String[]::new);
    }

    private static Long[] tokens(List<Lease> leases) {
        return leases.stream().map((lease) -> lease.token().value()).toArray(Long[]::new);
    }

    private static List<Lease> select(List<Lease> leases, List<Key> keys) {
        Set<Key> selected = new HashSet<>(keys);
        return leases.stream().filter((lease) -> selected.contains(Key.of(lease))).toList();
    }

    @Override
    public String toString() {
        return "JdbcLeaseStore[table " + this.table + "]";
    }

    private record Key(String resource, long token) {

        static Key of(Lease lease) {
            return new Key(lease.resource(), lease.token().value());
        }
    }

    private record Removed(Key key, boolean wasLive) {
    }

    /**
     * Which transaction a {@link JdbcLeaseStore}'s statements run in.
     */
    public enum Transactions {

        /**
         * A transaction of the store's own on a connection of its own, committed before the method returns; a
         * transaction of the caller is left alone, and a rollback of it leaves the store's work in place. The
         * default.
         */
        OWN,

        /**
         * The caller's Spring-managed transaction when there is one, else a statement on its own: a rollback of the
         * caller's transaction undoes acquisitions, renewals and releases made in it, although the caller may
         * already hold a {@link Lease} for them, and an acquisition's advisory locks stay until it ends.
         */
        JOIN_CALLERS
    }
}
