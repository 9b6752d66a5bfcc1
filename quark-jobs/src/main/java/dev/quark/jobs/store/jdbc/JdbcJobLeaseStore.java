package dev.quark.jobs.store.jdbc;

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
import java.util.UUID;

import dev.quark.jobs.JobId;
import dev.quark.jobs.store.JobLeases;
import dev.quark.lease.AbstractLeaseStore;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseHolder;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The leases of the jobs of a {@link JdbcJobStore}, kept in the job rows themselves: {@code lease_owner},
 * {@code lease_token} and {@code lease_expires_at}. Its resources are the jobs' ({@link JobLeases#resource
 * jobs:<id>}); a resource that names no stored job is never granted and never held.
 * <p>
 * {@link JdbcJobStore}'s claims grant these leases in the statement that claims the jobs, and its writes of an
 * outcome free them; this store renews and releases them for the worker's {@code LeaseKeeper}, and lets tests and
 * tools acquire and read them. Its guarantees are those of {@link dev.quark.lease.LeaseStore} for those resources:
 * the server's {@code clock_timestamp()} decides expiry; a token is the row's previous token plus one, so it grows
 * for as long as the job exists (a job's id is never reused); an acquisition locks the rows it grants
 * {@code FOR UPDATE SKIP LOCKED}, so concurrent acquisitions and claims skip each other's rows. Every operation is one
 * statement, committed on its own on a connection of the store's own, never in a caller's transaction.
 */
public class JdbcJobLeaseStore extends AbstractLeaseStore {

    /** The condition on a job row, aliased {@code j}, that its lease is free: none, or expired. */
    static final String FREE = "(j.lease_expires_at is null or j.lease_expires_at <= clock_timestamp())";

    private final JdbcClient jdbc;

    private final String table;

    private final String acquire;

    private final String extend;

    private final String remove;

    private final String read;

    JdbcJobLeaseStore(JdbcClient jdbc, String table, Clock clock) {
        super(clock);
        this.jdbc = Objects.requireNonNull(jdbc, "jdbc must not be null");
        this.table = Objects.requireNonNull(table, "table must not be null");
        this.acquire = """
                with candidate as (
                    select j.id from unnest(?::uuid[]) with ordinality as c(id, position) join %1$s j on j.id = c.id
                    where %2$s
                    order by c.position
                    limit ?
                    for update of j skip locked
                )
                update %1$s j set lease_owner = ?, lease_token = coalesce(j.lease_token, 0) + 1,
                    lease_expires_at = clock_timestamp() + ?::bigint * interval '1 millisecond'
                from candidate c
                where j.id = c.id
                returning j.id, j.lease_token
                """.formatted(table, FREE);
        // Renewals and releases lock the rows in id order first, like JdbcJobStore's batch of outcomes over the
        // same rows (JdbcJobStore.lockedInIdOrder): given in any order, they never deadlock with each other.
        this.extend = """
                with locked as (%2$s)
                update %1$s j set lease_expires_at = clock_timestamp() + ?::bigint * interval '1 millisecond'
                from unnest(?::uuid[], ?::bigint[]) as r(id, token) join locked l on l.id = r.id
                where j.id = r.id and j.lease_token = r.token and j.lease_expires_at > clock_timestamp()
                returning j.id, j.lease_token
                """.formatted(table, JdbcJobStore.lockedInIdOrder(table));
        this.remove = """
                update %1$s j set lease_expires_at = null
                from (select h.id, h.lease_expires_at > clock_timestamp() as live
                      from %1$s h join unnest(?::uuid[], ?::bigint[]) as r(id, token)
                          on h.id = r.id and h.lease_token = r.token
                      where h.lease_expires_at is not null
                      order by h.id
                      for update of h) as o
                where j.id = o.id
                returning j.id, j.lease_token, o.live
                """.formatted(table);
        this.read = """
                select lease_owner, lease_token,
                    greatest(0, extract(epoch from lease_expires_at - clock_timestamp()) * 1000)::bigint
                from %s where id = ?::uuid and lease_expires_at > clock_timestamp()
                """.formatted(table);
    }

    @Override
    protected Map<String, FencingToken> acquire(List<String> resources, int max, String owner, Duration duration) {
        Map<UUID, String> byId = new LinkedHashMap<>();
        for (String resource : resources) {
            JobId id = JobLeases.jobIdOrNull(resource);
            if (id != null) {
                byId.put(id.value(), resource);
            }
        }
        if (byId.isEmpty()) {
            return Map.of();
        }
        Map<String, FencingToken> granted = new HashMap<>();
        this.jdbc.sql(this.acquire)
            .params(byId.keySet().stream().map(UUID::toString).toArray(String[]::new), max, owner, duration.toMillis())
            .query((row, number) -> Map.entry(row.getObject(1, UUID.class), row.getLong(2)))
            .list()
            .forEach((entry) -> granted.put(byId.get(entry.getKey()), new FencingToken(entry.getValue())));
        return granted;
    }

    @Override
    protected Collection<Lease> extend(List<Lease> leases, Duration duration) {
        List<Lease> jobs = JobLeases.ofJobs(leases);
        if (jobs.isEmpty()) {
            return List.of();
        }
        String[] ids = ids(jobs);
        Set<Key> extended = new HashSet<>(this.jdbc.sql(this.extend)
            .params(ids, duration.toMillis(), ids, tokens(jobs))
            .query((row, number) -> new Key(row.getObject(1, UUID.class), row.getLong(2)))
            .list());
        return jobs.stream().filter((lease) -> extended.contains(Key.of(lease))).toList();
    }

    @Override
    protected Collection<Lease> remove(List<Lease> leases) {
        List<Lease> jobs = JobLeases.ofJobs(leases);
        if (jobs.isEmpty()) {
            return List.of();
        }
        Set<Key> wereLive = new HashSet<>();
        this.jdbc.sql(this.remove)
            .params(ids(jobs), tokens(jobs))
            .query((row, number) -> new Removed(new Key(row.getObject(1, UUID.class), row.getLong(2)), row.getBoolean(3)))
            .list()
            .stream()
            .filter(Removed::wasLive)
            .forEach((removed) -> wereLive.add(removed.key()));
        return jobs.stream().filter((lease) -> wereLive.contains(Key.of(lease))).toList();
    }

    @Override
    protected Optional<LeaseHolder> read(String resource) {
        JobId id = JobLeases.jobIdOrNull(resource);
        if (id == null) {
            return Optional.empty();
        }
        return this.jdbc.sql(this.read)
            .param(id.toString())
            .query((row, number) -> new LeaseHolder(resource, row.getString(1), new FencingToken(row.getLong(2)),
                    Duration.ofMillis(row.getLong(3))))
            .optional();
    }

    /**
     * Builds the lease a claim granted, valid until {@code sent} plus the duration on the caller's clock.
     */
    Lease granted(JobId id, String owner, long token, java.time.Instant sent, Duration duration) {
        return new Lease(JobLeases.resource(id), owner, new FencingToken(token), sent.plus(duration));
    }

    /**
     * Returns the caller's clock, read before a claim is sent.
     */
    Clock callerClock() {
        return clock();
    }

    private static String[] ids(List<Lease> leases) {
        return leases.stream().map((lease) -> JobLeases.jobId(lease.resource()).toString()).toArray(String[]::new);
    }

    private static Long[] tokens(List<Lease> leases) {
        return leases.stream().map((lease) -> lease.token().value()).toArray(Long[]::new);
    }

    @Override
    public String toString() {
        return "JdbcJobLeaseStore[leases in " + this.table + "]";
    }

    private record Removed(Key key, boolean wasLive) {
    }

    private record Key(UUID id, long token) {

        static Key of(Lease lease) {
            return new Key(JobLeases.jobId(lease.resource()).value(), lease.token().value());
        }
    }
}
