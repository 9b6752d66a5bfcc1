package dev.quark.jobs.store.jdbc;

import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import dev.quark.jdbc.LiquibaseMigration;
import dev.quark.jdbc.EndingTransactionMarker;
import dev.quark.jdbc.EndingTransactions;
import dev.quark.jdbc.JoiningWrites;
import dev.quark.jdbc.OwnTransactions;
import dev.quark.jdbc.PostgresNotificationSender;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.CancelResult;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobError;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobNotFoundException;
import dev.quark.jobs.JobPage;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.store.Claim;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.Enqueued;
import dev.quark.jobs.store.JobDueNotice;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobOutcome;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.JobTransition;
import dev.quark.jobs.store.internal.LaterDueNotices;
import dev.quark.jobs.store.NewJob;
import dev.quark.jobs.store.StoreChecks;
import dev.quark.jobs.store.StoredMetadata;
import dev.quark.jobs.store.StoredTimeout;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.jdbc.JdbcFencing;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.transaction.support.TransactionOperations;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Keeps jobs in a PostgreSQL table, one row per job, created by the Liquibase changelog {@value #CHANGELOG}:
 * <pre>
 * {prefix}job (id uuid primary key, type, payload text, idempotency_key, status, attempt, created_at, due_at,
 *              started_at, finished_at, owner, lease_token bigint, progress, progress_message, cancel_requested,
 *              error_type, error_message, error_stack, log text[], metadata text, lease_owner,
 *              lease_expires_at timestamptz, timeout_ms bigint)
 * -- idempotency_key unique where set: a partial unique index ({prefix}job_idempotency_key_ux)
 * </pre>
 * <b>Transactions.</b> {@link #enqueue} and the other calls of the queue run in the caller's Spring-managed
 * transaction on the same {@code DataSource} when there is one, through {@code DataSourceUtils}: a job enqueued with
 * a business write exists if and only if that write commits. Claims and lease operations are statements committed
 * on their own, on a connection of the store's own ({@link OwnTransactions}).
 * <p>
 * <b>Leases in the rows.</b> A job's lease is kept in its row ({@code lease_owner}, {@code lease_token},
 * {@code lease_expires_at}; {@link #leaseStore()} renews and releases them for the worker's keeper), not in the shared
 * lease table: a claim is then <em>one statement</em> per batch, and recording outcomes is one statement per job, or
 * per batch of jobs ({@link #finishAll}), that also frees the leases. A claim locks up to {@link Claim#candidates()}
 * claimable rows whose lease is free, in claim order, {@code FOR UPDATE SKIP LOCKED} (due jobs through the partial
 * index on {@code due_at} of the waiting rows, or, for a claim of one type, through the partial index on
 * {@code (type, due_at)} of the waiting rows), so that concurrent claims on other nodes skip them instead of waiting;
 * keeps those the worker has room for
 * ({@link Claim#choose} in SQL); and stamps them {@code RUNNING} with a lease of the worker's for
 * {@link JobLeases#duration()}, whose fencing token is the row's previous token plus one, so it is greater than every
 * token the job had. It never calls {@link JobLeases#acquire}. Every later write for the job requires
 * {@code status = 'RUNNING' and lease_token = :token}. A running job whose lease expired ({@code lease_expires_at}
 * passed on the server's {@code clock_timestamp()}) or was released is taken over by {@link #claimAbandoned}, with a
 * newer token.
 * <p>
 * <b>Lock order.</b> Every statement that updates or deletes several job rows and may wait for their locks (a batch of
 * outcomes or give-backs, the renewal and release of a node's leases, a purge) locks them first in id order, so that
 * two of them over overlapping rows, on one node or two, never deadlock; claims lock {@code SKIP LOCKED} and never
 * wait.
 * <p>
 * <b>Notifications.</b> A store created {@link #notifying() notifying} (with a {@link PostgresNotificationSender})
 * notifies {@link #channel()} with the job's type when a write makes a job due now: an enqueue due at once, a
 * {@link #requeue}, and an outcome that gives a job back or retries it at once. The sender sends
 * {@code pg_notify(channel, type)} after the write's transaction commits (never for one rolled back), from a
 * connection of its own, once per distinct type per transaction, to the nodes listening, so that their workers claim
 * at once instead of at their next poll. The write's own transaction, often the caller's business transaction, never
 * executes {@code NOTIFY}, so it takes no part in the server-wide lock that serialises the commits of notifying
 * transactions. An enqueue for later ({@code SCHEDULED}) and an outcome that retries a job after a backoff notify
 * {@code type dueEpochMillis} ({@link JobDueNotice}) the same way, when the job is due before the earliest such
 * notice of its type still ahead ({@link LaterDueNotices}), so that the listening workers claim it when it comes
 * due. Notifications are hints: a node that missed one claims the job at its next poll, or when its look at the
 * store ({@link #nextDueAfter}) finds it.
 * <p>
 * Upgrading: jobs that a version before these columns left {@code RUNNING} have no lease in their row, so they count
 * as abandoned and are taken over at once; stop every worker of the earlier version before starting this one.
 * <p>
 * Instants are kept to the microsecond.
 */
public class JdbcJobStore implements JobStore {

    /** The class path location of the Liquibase changelog that creates the table. */
    public static final String CHANGELOG = "db/changelog/quark/jobs.xml";

    private static final String COLUMNS = "id, type, payload, idempotency_key, status, attempt, created_at, due_at, "
            + "started_at, finished_at, owner, progress, progress_message, cancel_requested, error_type, error_message, "
            + "error_stack, log, metadata, timeout_ms";

    private static final Logger logger = LoggerFactory.getLogger(JdbcJobStore.class);

    /** How many times a claim is made again without the rows it could not read. */
    private static final int CLAIM_TRIES = 3;

    /** Rows a purge deletes per statement, so that no statement sorts and locks a whole backlog of expired rows. */
    private static final int PURGE_BATCH = 1000;

    private static final String WAITING = "('ENQUEUED', 'SCHEDULED', 'RETRYING')";

    private final DataSource dataSource;

    private final JdbcClient jdbc;

    private final String table;

    private final String insert;

    private final String selectByKey;

    private final String selectById;

    private final JdbcJobLeaseStore leases;

    private volatile int purgeBatch = PURGE_BATCH;

    private final JdbcClient own;

    private final JdbcTemplate ownTemplate;

    private final TransactionOperations ownTransactions;

    /**
     * Whether a claim's statement commits on its own: the pool's auto-commit mode, read from a connection at the first
     * claim ({@code null} before), since a pool hands out its connections in the mode it is configured with. With
     * auto-commit off, claims run in transactions.
     */
    private volatile @Nullable Boolean claimsCommitAlone;

    private final JoiningWrites queueWrites;

    private final String claimDue;

    private final String claimDueOfOneType;

    private final String claimAbandoned;

    private final String unclaim;

    private final String report;

    private final String finish;

    private final String finishWithError;

    private final String finishAll;

    private final String channel;

    private final @Nullable PostgresNotificationSender notifications;

    private final String requeue;

    private final String nextDueAfter;

    private final LaterDueNotices laterNotices = new LaterDueNotices();

    /**
     * Creates a store whose leases are valid until a time computed on the system clock.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table name, for instance {@code quark_}
     */
    public JdbcJobStore(DataSource dataSource, TablePrefix tablePrefix) {
        this(dataSource, tablePrefix, Clock.systemUTC());
    }

    /**
     * Creates a store.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table name, for instance {@code quark_}
     * @param clock the workers' clock, which computes {@link Lease#validUntil()} of the leases claims grant (the
     * server's clock decides their expiry)
     */
    public JdbcJobStore(DataSource dataSource, TablePrefix tablePrefix, Clock clock) {
        this(dataSource, tablePrefix, clock, null);
    }

    /**
     * Creates a store that, when {@code notify} is set, notifies other nodes of the jobs it makes due now through a
     * {@link PostgresNotificationSender} of its own (the constructor of the version before the shared sender).
     * <p>
     * The store has no {@code close}: its sender is never closed. It holds no connection between statements (it
     * borrows one per batch), only an idle virtual thread once it has sent; what it has queued when the JVM stops is
     * lost (notifications are hints). Prefer the constructor taking a sender whose life the application manages.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table name, for instance {@code quark_}
     * @param clock the workers' clock
     * @param notify whether writes that make a job due now notify {@link #channel()}
     * @deprecated use {@link #JdbcJobStore(DataSource, TablePrefix, Clock,
     * PostgresNotificationSender)}
     */
    @Deprecated
    public JdbcJobStore(DataSource dataSource, TablePrefix tablePrefix, Clock clock, boolean notify) {
        this(dataSource, tablePrefix, clock, notify
                ? new PostgresNotificationSender(Objects.requireNonNull(dataSource, "dataSource must not be null"),
                        "jobs")
                : null);
    }

    /**
     * Creates a store that may notify other nodes of the jobs it makes due now.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table name, for instance {@code quark_}
     * @param clock the workers' clock, which computes {@link Lease#validUntil()} of the leases claims grant (the
     * server's clock decides their expiry)
     * @param notifications the sender of the notifications of writes that make a job due now (an enqueue due at
     * once, a requeue, a job given back or retried at once), {@code pg_notify(}{@link #channel()}{@code , type)} after
     * the write's transaction commits; {@code null} for a store that does not notify. The store does not close it.
     */
    public JdbcJobStore(DataSource dataSource, TablePrefix tablePrefix, Clock clock,
            @Nullable PostgresNotificationSender notifications) {
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        Objects.requireNonNull(clock, "clock must not be null");
        this.dataSource = dataSource;
        this.jdbc = JdbcClient.create(dataSource);
        OwnTransactions ownTransactions = new OwnTransactions(dataSource);
        this.own = ownTransactions.jdbc();
        this.ownTemplate = ownTransactions.template();
        this.ownTransactions = ownTransactions.transactions();
        this.queueWrites = new JoiningWrites(dataSource, ownTransactions);
        this.table = tablePrefix.table("job");
        this.channel = this.table.toLowerCase(Locale.ROOT);
        this.notifications = notifications;
        boolean notifying = notifications != null;
        this.leases = new JdbcJobLeaseStore(this.own, this.table, clock);
        this.insert = """
                insert into %s (id, type, payload, idempotency_key, status, attempt, created_at, due_at, progress,
                    cancel_requested, log, metadata, timeout_ms)
                values (?::uuid, ?, ?, ?, ?, 0, ?, ?, 0, false, '{}', ?, ?)
                on conflict do nothing
                returning %s
                """.formatted(this.table, COLUMNS);
        this.requeue = "update " + this.table + " set status = 'ENQUEUED', due_at = ?, attempt = 0, finished_at = null, "
                + "cancel_requested = false, progress = 0, progress_message = null where id = ?::uuid and status = "
                + "'DEAD_LETTERED' returning " + COLUMNS;
        // The earliest waiting row of each type due after now, on the partial index (type, due_at, id).
        this.nextDueAfter = """
                select min(n.due_at) from unnest(?::text[]) as t(type) cross join lateral (
                    select j.due_at from %s j where j.type = t.type and j.status in %s and j.due_at > ?
                     order by j.due_at limit 1) n
                """.formatted(this.table, WAITING);
        this.selectByKey = "select " + COLUMNS + " from " + this.table + " where idempotency_key = ?";
        this.selectById = "select " + COLUMNS + " from " + this.table + " where id = ?::uuid";
        // One statement per claim: lock up to `candidates` free rows in claim order, skipping those another claim
        // locked; keep, in that order, at most `max` of them and per type at most its room; stamp those as running
        // with a lease of the claimer's (the row's previous token plus one). The type is compared as `type || ''`
        // so that no index on the type can serve the scan: the claim always walks the partial index of its status
        // in claim order and stops after `candidates` rows, whatever the statistics say about the types. A claim
        // for one type only compares `j.type = (?::text[])[1]` instead, which the partial index on (type, due_at, id)
        // of the waiting rows serves in due order: a node handling one type does not walk the others' backlog.
        String claim = """
                with candidate as (
                    select j.id, j.type, j.%2$s as rank_at, j.owner, j.status, j.started_at, j.finished_at, j.progress,
                        j.progress_message, j.lease_owner, j.lease_expires_at from %1$s j
                    where %3$s and (j.type || '') = any(?::text[]) and not (j.id = any(?::uuid[])) and %4$s
                    order by j.%2$s, j.id
                    limit ?
                    for update skip locked
                ),
                ranked as (
                    select c.*, row_number() over (partition by c.type order by c.rank_at, c.id) as place from candidate c
                ),
                chosen as (
                    select r.* from ranked r join unnest(?::text[], ?::int[]) as room(type, size)
                        on room.type = r.type
                    where r.place <= room.size
                    order by r.rank_at, r.id
                    limit ?
                )
                update %1$s j set status = 'RUNNING', owner = ?, lease_owner = ?, lease_token = coalesce(j.lease_token, 0) + 1,
                    lease_expires_at = clock_timestamp() + ?::bigint * interval '1 millisecond', attempt = j.attempt + 1,
                    started_at = ?, finished_at = null, progress = 0, progress_message = null
                from chosen c
                where j.id = c.id
                returning %5$s, j.lease_token as granted_token, c.owner as former_owner, c.status as former_status,
                    c.started_at as former_started_at, c.finished_at as former_finished_at,
                    c.progress as former_progress, c.progress_message as former_progress_message,
                    c.lease_owner as former_lease_owner, c.lease_expires_at as former_lease_expires_at
                """;
        String returning = qualified("j");
        this.claimDue = claim.formatted(this.table, "due_at", "j.status in " + WAITING + " and j.due_at <= ?",
                JdbcJobLeaseStore.FREE, returning);
        this.claimDueOfOneType = this.claimDue.replace("(j.type || '') = any(?::text[])", "j.type = (?::text[])[1]");
        this.claimAbandoned = claim.formatted(this.table, "started_at", "j.status = 'RUNNING' and ?::boolean",
                JdbcJobLeaseStore.FREE, returning);
        // Puts back what a claim changed in a row it could not read, fenced by the token the claim granted; the token
        // stays raised, so every token the job is granted later is still greater than this one.
        this.unclaim = "update " + this.table + " set status = ?, owner = ?, attempt = attempt - 1, "
                + "started_at = ?::timestamptz, finished_at = ?::timestamptz, progress = ?, progress_message = ?, "
                + "lease_owner = ?, lease_expires_at = ?::timestamptz where id = ?::uuid and status = 'RUNNING' and "
                + "lease_token = ?";
        String fenced = " where id = ?::uuid and status = 'RUNNING' and " + JdbcFencing.stamped("lease_token");
        this.report = "update " + this.table + " set progress = ?, progress_message = ?, log = ?::text[]" + fenced;
        String finish = "update " + this.table + " set status = ?, due_at = coalesce(?::timestamptz, due_at), "
                + "lease_expires_at = null, "
                + "finished_at = ?::timestamptz, attempt = attempt - ?, progress = ?, progress_message = ?, log = ?::text[]";
        // A single outcome that makes its job due now (given back, or retried with no backoff left) notifies too,
        // after the commit: the statement says whether the job is due now, on the server's clock.
        String finishNotify = notifying ? " returning type, (status = 'ENQUEUED' or (status = 'RETRYING' and "
                + "due_at <= clock_timestamp())) as due_now, status, due_at" : "";
        this.finish = finish + fenced + finishNotify;
        this.finishWithError = finish + ", error_type = ?, error_message = ?, error_stack = ?" + fenced
                + finishNotify;
        // Several outcomes in one statement, each row fenced by its own token; an outcome without an error keeps the
        // job's last error. Timestamps travel as ISO-8601 text, logs as array literals. The rows are locked first, in
        // id order (lockedInIdOrder), like every statement here that updates many job rows and may wait for them.
        this.finishAll = """
                with locked as (%2$s)
                update %1$s j set status = o.status, due_at = coalesce(o.due_at::timestamptz, j.due_at),
                    lease_expires_at = null, finished_at = o.finished_at::timestamptz, attempt = j.attempt - o.uncounted,
                    progress = o.progress, progress_message = o.message, log = o.log::text[],
                    error_type = case when o.error_type is null then j.error_type else o.error_type end,
                    error_message = case when o.error_type is null then j.error_message else o.error_message end,
                    error_stack = case when o.error_type is null then j.error_stack else o.error_stack end
                from unnest(?::uuid[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::int[], ?::int[], ?::text[],
                        ?::text[], ?::text[], ?::text[], ?::text[])
                    as o(id, token, status, due_at, finished_at, uncounted, progress, message, log, error_type,
                        error_message, error_stack)
                    join locked l on l.id = o.id
                where j.id = o.id and j.status = 'RUNNING' and j.lease_token = o.token
                returning j.id, j.type, (o.status = 'ENQUEUED' or (o.status = 'RETRYING'
                    and j.due_at <= clock_timestamp())) as due_now, j.due_at
                """.formatted(this.table, lockedInIdOrder(this.table));
    }

    /**
     * Returns a query that locks the job rows of an array of ids ({@code ?::uuid[]}) {@code FOR UPDATE} in id order,
     * returning their {@code id}s: put first, in a {@code WITH}, in every statement that updates or deletes several
     * job rows and may wait for their locks. Two such statements over overlapping rows then lock the rows they share
     * in the same order and never deadlock, whatever order their callers gave the ids in (a batch of outcomes and the
     * renewal of the same node's leases did: "deadlock detected"). Claims lock {@code SKIP LOCKED} and never wait.
     * @param table the job table
     * @return the query, without a trailing semicolon
     */
    static String lockedInIdOrder(String table) {
        return "select lk.id from " + table + " lk where lk.id = any(?::uuid[]) order by lk.id for update of lk";
    }

    /**
     * Returns the migration that creates this store's table.
     * @param tablePrefix the table prefix
     * @return the migration
     */
    public static LiquibaseMigration migration(TablePrefix tablePrefix) {
        return new LiquibaseMigration(CHANGELOG, tablePrefix);
    }

    /**
     * Returns the channel this store notifies of the jobs it makes due now, when it was created notifying: the table's
     * name in lower case, the payload the job's type.
     * @return the channel
     */
    public String channel() {
        return this.channel;
    }

    /**
     * Returns whether writes that make jobs due now notify {@link #channel()}.
     * @return whether it notifies
     */
    public boolean notifying() {
        return this.notifications != null;
    }

    /**
     * Notifies the other nodes, after the write's transaction commits, that a job of a type is due now: after the
     * commit of the transaction on this store's database that the write joined (the caller's, or the store's own one
     * while the caller's ends), and soon when the write committed on its own, whatever other transaction (on another
     * database) the thread is in.
     */
    private void dueNow(String type) {
        notice(type);
    }

    /**
     * Notifies the other nodes, as {@link #dueNow} does, that a job of a type becomes due later ({@link JobDueNotice}),
     * unless a notice of an earlier due time of the type is ahead ({@link LaterDueNotices}).
     */
    private void dueLater(String type, Instant dueAt, Instant now) {
        if (this.notifications != null && this.laterNotices.tell(type, dueAt, now)) {
            notice(JobDueNotice.later(type, dueAt));
        }
    }

    private void notice(String payload) {
        PostgresNotificationSender sender = this.notifications;
        if (sender == null) {
            return;
        }
        if (writeCommitsLater()) {
            sender.notifyAfterCommit(this.channel, payload);
        }
        else {
            sender.notifySoon(this.channel, payload);
        }
    }

    /**
     * Whether the write just made commits with a transaction still open on this thread: the store's own one (while
     * the caller's ends), or the caller's on this store's database. Not when the thread only holds, for another
     * database's transaction, a connection of this one in auto-commit (as {@code DataSourceUtils} binds it for the
     * other transaction's lifetime): the write committed on its own.
     */
    private boolean writeCommitsLater() {
        if (EndingTransactions.endingOn(this.dataSource)) {
            return true;
        }
        if (!inCallerTransaction()) {
            return false;
        }
        if (TransactionSynchronizationManager.getResource(this.dataSource) instanceof ConnectionHolder holder) {
            try {
                return !holder.getConnection().getAutoCommit();
            }
            catch (SQLException | RuntimeException ex) {
                return true;
            }
        }
        return true;
    }

    /**
     * Returns the name of the table.
     * @return the table name, with its prefix
     */
    public String table() {
        return this.table;
    }

    /**
     * {@inheritDoc}
     * <p>
     * In the caller's transaction on this store's {@code DataSource} when there is one, else on its own. While a
     * finished transaction's {@code afterCompletion} callbacks run (an {@code AFTER_COMMIT} or {@code AFTER_ROLLBACK}
     * event listener) its connection is still bound to the thread; when its manager has an
     * {@link EndingTransactionMarker}, the job is inserted and committed on a connection of its own instead (so that
     * a pool handing out connections with auto-commit off does not roll it back) and the workers are woken at once.
     */
    @Override
    public Enqueued enqueue(NewJob job) {
        Objects.requireNonNull(job, "job must not be null");
        return queueWrite((jdbc) -> enqueue(jdbc, job));
    }

    /**
     * Runs a write of the queue in the caller's transaction (or on its own), or, while the connection bound for this
     * store's database is that of a transaction ending on this thread, in a transaction of the store's own.
     */
    private <T> T queueWrite(Function<JdbcClient, T> write) {
        return this.queueWrites.apply(write);
    }

    private Enqueued enqueue(JdbcClient jdbc, NewJob job) {
        for (int attempt = 1;; attempt++) {
            Optional<Job> inserted = jdbc.sql(this.insert)
                .params(values(job.id().toString(), job.type(), job.payload(), job.idempotencyKey(), job.status().name(),
                        timestamp(job.createdAt()), timestamp(job.dueAt()), StoredMetadata.write(job.metadata()),
                        job.timeoutMillis()))
                .query(JdbcJobStore::job)
                .optional();
            if (inserted.isPresent()) {
                if (job.status() == JobStatus.ENQUEUED) {
                    dueNow(job.type());
                }
                else if (job.status() == JobStatus.SCHEDULED) {
                    dueLater(job.type(), job.dueAt(), job.createdAt());
                }
                return new Enqueued(inserted.get(), true);
            }
            if (job.idempotencyKey() == null) {
                throw new IllegalStateException("A job with id " + job.id() + " exists");
            }
            Optional<Job> existing = jdbc.sql(this.selectByKey)
                .param(job.idempotencyKey())
                .query(JdbcJobStore::job)
                .optional();
            if (existing.isPresent()) {
                return new Enqueued(existing.get(), false);
            }
            if (attempt == 3) {
                throw new IllegalStateException("Could not enqueue job " + job.id() + " with idempotency key '"
                        + job.idempotencyKey() + "': the job holding the key kept disappearing");
            }
        }
    }

    @Override
    public Optional<Job> find(JobId id) {
        return find(this.jdbc, id);
    }

    private Optional<Job> find(JdbcClient jdbc, JobId id) {
        return jdbc.sql(this.selectById).param(id.toString()).query(JdbcJobStore::job).optional();
    }

    @Override
    public JobPage list(JobQuery query) {
        List<String> conditions = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        if (!query.statuses().isEmpty()) {
            conditions.add("status = any(?::text[])");
            params.add(query.statuses().stream().map(JobStatus::name).toArray(String[]::new));
        }
        if (query.type() != null) {
            conditions.add("type = ?");
            params.add(query.type());
        }
        if (query.after() != null) {
            conditions.add("id > ?::uuid");
            params.add(query.after().toString());
        }
        params.add(query.limit());
        String where = conditions.isEmpty() ? "" : " where " + String.join(" and ", conditions);
        List<Job> jobs = this.jdbc.sql("select " + COLUMNS + " from " + this.table + where + " order by id limit ?")
            .params(params)
            .query(JdbcJobStore::job)
            .list();
        JobId next = (jobs.size() == query.limit()) ? jobs.get(jobs.size() - 1).id() : null;
        return new JobPage(jobs, next);
    }

    @Override
    public Map<JobStatus, Long> countByStatus() {
        Map<JobStatus, Long> counts = new EnumMap<>(JobStatus.class);
        for (JobStatus status : JobStatus.values()) {
            counts.put(status, 0L);
        }
        this.jdbc.sql("select status, count(*) from " + this.table + " group by status")
            .query((row, number) -> Map.entry(JobStatus.valueOf(row.getString(1)), row.getLong(2)))
            .list()
            .forEach((entry) -> counts.put(entry.getKey(), entry.getValue()));
        return counts;
    }

    @Override
    public List<ClaimedJob> claimDue(Claim claim, JobLeases leases) {
        String statement = (claim.types().size() == 1) ? this.claimDueOfOneType : this.claimDue;
        return claim(statement, timestamp(claim.now()), claim, claim.candidates(), leases, false);
    }

    @Override
    public Optional<Instant> nextDueAfter(Set<String> types, Instant now) {
        if (types.isEmpty()) {
            return Optional.empty();
        }
        return this.jdbc.sql(this.nextDueAfter)
            .params(types.toArray(String[]::new), timestamp(now))
            .query((row, number) -> Optional.ofNullable(row.getObject(1, OffsetDateTime.class)))
            .list()
            .stream()
            .flatMap(Optional::stream)
            .map(OffsetDateTime::toInstant)
            .findFirst();
    }

    @Override
    public List<ClaimedJob> claimAbandoned(Claim claim, JobLeases leases) {
        return claim(this.claimAbandoned, true, claim, Claim.MAX_CANDIDATES, leases, true);
    }

    /**
     * Returns the leases of this store's jobs, kept in their rows.
     */
    @Override
    public Optional<LeaseStore> leaseStore() {
        return Optional.of(this.leases);
    }

    /**
     * Returns the statement that claims due jobs, for tests that check its plan.
     */
    String claimDueStatement() {
        return this.claimDue;
    }

    /**
     * Returns the statement that claims due jobs of one type, for tests that check its plan.
     */
    String claimDueOfOneTypeStatement() {
        return this.claimDueOfOneType;
    }

    /**
     * Runs a claim statement, committed on its own: one round trip per claim (in a transaction of the store's own,
     * a statement and a commit, only when the pool hands out connections with auto-commit off). A row that cannot be
     * read is left out: what the claim changed in it is put back ({@link #unclaim}), so that it is neither left running
     * under a lease nobody keeps nor counted as an abandoned attempt later, and the claim is made again without it for
     * the room it leaves, at most {@value #CLAIM_TRIES} times. When the read of the rows fails after the statement
     * committed, the rows read so far are put back the same way; those not read (the connection failed in the middle
     * of the answer) stay {@code RUNNING} under leases nobody renews, as if this node had stopped right after the
     * claim: once those leases expire, any node takes them over as abandoned jobs.
     */
    private List<ClaimedJob> claim(String statement, Object condition, Claim claim, int candidates, JobLeases leases,
            boolean abandoned) {
        Duration duration = leases.duration();
        String[] types = types(claim);
        Map<String, Integer> room = new HashMap<>();
        for (String type : types) {
            room.put(type, claim.room().getOrDefault(type, 0));
        }
        Set<String> excluded = new HashSet<>(List.of(ids(claim.excluded())));
        List<ClaimedJob> claimed = new ArrayList<>();
        for (int attempt = 1; attempt <= CLAIM_TRIES; attempt++) {
            int max = claim.max() - claimed.size();
            if (max <= 0) {
                break;
            }
            Integer[] left = new Integer[types.length];
            for (int i = 0; i < types.length; i++) {
                left[i] = room.getOrDefault(types[i], 0);
            }
            List<StampedRow> unreadable = new ArrayList<>();
            boolean alone = claimsCommitAlone();
            Supplier<List<@Nullable ClaimedJob>> once = () -> {
                Instant sent = this.leases.callerClock().instant();
                List<StampedRow> read = new ArrayList<>();
                List<@Nullable ClaimedJob> stamped;
                try {
                    stamped = this.own.sql(statement)
                        .params(condition, types, excluded.toArray(String[]::new), candidates, types, left, max,
                                claim.owner(), claim.owner(), duration.toMillis(), timestamp(claim.now()))
                        .query((row, number) -> claimedOrUnreadable(row, number, claim, sent, duration, abandoned,
                                read, unreadable))
                        .list();
                }
                catch (RuntimeException ex) {
                    if (alone) {
                        // Committed, and the worker gets none of it: every row read so far goes back as it was (those
                        // not read, on a connection that failed, are taken over once their leases expire).
                        read.forEach((row) -> unclaim(row, false));
                    }
                    throw ex;
                }
                unreadable.forEach((row) -> unclaim(row, !alone));
                return stamped;
            };
            List<@Nullable ClaimedJob> rows;
            try {
                rows = alone ? once.get()
                        : Objects.requireNonNull(this.ownTransactions.execute((status) -> once.get()));
            }
            catch (RuntimeException ex) {
                if (claimed.isEmpty()) {
                    throw ex;
                }
                // The jobs of the earlier tries are claimed, committed: they must reach the worker.
                logger.warn("A claim in {} made again without an unreadable row failed; keeping the {} jobs claimed",
                        this.table, claimed.size(), ex);
                break;
            }
            for (ClaimedJob job : rows) {
                if (job != null) {
                    claimed.add(job);
                    room.merge(job.job().type(), -1, Integer::sum);
                }
            }
            if (unreadable.isEmpty()) {
                break;
            }
            unreadable.forEach((row) -> excluded.add(row.id()));
        }
        return order(claimed);
    }

    /**
     * Whether a statement of the store's own commits on its own: the pool's connections are in auto-commit mode, as
     * they are by default. Read once, at the first claim, so that a claim borrows one connection, not two.
     */
    private boolean claimsCommitAlone() {
        Boolean known = this.claimsCommitAlone;
        if (known != null) {
            return known;
        }
        boolean autoCommit = Boolean.TRUE
            .equals(this.ownTemplate.execute((ConnectionCallback<Boolean>) Connection::getAutoCommit));
        this.claimsCommitAlone = autoCommit;
        return autoCommit;
    }

    /**
     * Puts back a row a claim stamped but could not hand to the worker, as it was before the claim (fenced by the token
     * the claim granted, which stays spent). A failure of a claim that committed on its own is logged: the row then
     * stays {@code RUNNING} under a lease nobody renews (a readable one is taken over as abandoned once it expires, an
     * unreadable one stays so until it is fixed or deleted); in a claim's transaction it is thrown, so that the
     * transaction rolls back rather than commit the claim without the put-back.
     * @param inTransaction whether the claim runs in a transaction of its own
     */
    private void unclaim(StampedRow row, boolean inTransaction) {
        try {
            this.own.sql(this.unclaim)
                .params(values(row.status(), row.owner(), row.startedAt(), row.finishedAt(), row.progress(),
                        row.progressMessage(), row.leaseOwner(), row.leaseExpiresAt(), row.id(), row.token()))
                .update();
        }
        catch (RuntimeException ex) {
            if (inTransaction) {
                throw ex;
            }
            logger.error("Job {} in {} could not be put back after its claim, which committed; it stays RUNNING "
                    + "until its lease expires and another claim takes it over (if it can be read)", row.id(),
                    this.table, ex);
        }
    }

    /**
     * Maps a stamped row: its state before the claim goes to {@code read} first (to put every row back should the
     * read fail later), then its job, or, when that cannot be read, the row to {@code unreadable}.
     */
    private @Nullable ClaimedJob claimedOrUnreadable(ResultSet row, int number, Claim claim, Instant sent,
            Duration duration, boolean abandoned, List<StampedRow> read, List<StampedRow> unreadable)
            throws SQLException {
        StampedRow former = new StampedRow(row.getString("id"), row.getLong("granted_token"),
                row.getString("former_status"), row.getString("former_owner"),
                row.getObject("former_started_at", OffsetDateTime.class),
                row.getObject("former_finished_at", OffsetDateTime.class), row.getInt("former_progress"),
                row.getString("former_progress_message"), row.getString("former_lease_owner"),
                row.getObject("former_lease_expires_at", OffsetDateTime.class));
        read.add(former);
        Job job;
        try {
            job = job(row, number);
        }
        catch (RuntimeException | SQLException ex) {
            logger.error("Job {} in {} cannot be read and is left out of the claims until it is fixed or deleted",
                    former.id(), this.table, ex);
            unreadable.add(former);
            return null;
        }
        Lease lease = this.leases.granted(job.id(), claim.owner(), row.getLong("granted_token"), sent, duration);
        return new ClaimedJob(job, lease, abandoned ? row.getString("former_owner") : null);
    }

    private static List<ClaimedJob> order(List<ClaimedJob> claimed) {
        return claimed.stream()
            .sorted((a, b) -> {
                int byDue = a.job().dueAt().compareTo(b.job().dueAt());
                return (byDue != 0) ? byDue : a.job().id().compareTo(b.job().id());
            })
            .toList();
    }

    @Override
    public void report(JobId id, Lease lease, JobReport report) {
        int rows = this.jdbc.sql(this.report)
            .params(values(report.progress(), report.message(), report.log().toArray(String[]::new), id.toString(),
                    lease.token().value()))
            .update();
        if (rows == 0) {
            throw StoreChecks.leaseLost(id, lease);
        }
    }

    @Override
    public void finish(JobId id, Lease lease, JobTransition transition, JobReport report, Instant now) {
        List<@Nullable Object> params = new ArrayList<>();
        params.add(transition.status().name());
        params.add(timestampOrNull(transition.dueAt()));
        params.add(transition.status().isFinished() ? timestamp(now) : null);
        params.add(transition.attemptCounted() ? 0 : 1);
        params.add(report.progress());
        params.add(report.message());
        params.add(report.log().toArray(String[]::new));
        JobError error = transition.error();
        if (error != null) {
            params.add(error.type());
            params.add(error.message());
            params.add(error.stackTrace());
        }
        params.add(id.toString());
        params.add(lease.token().value());
        JdbcClient.StatementSpec statement = this.jdbc.sql((error != null) ? this.finishWithError : this.finish).params(params);
        if (this.notifications == null) {
            if (statement.update() == 0) {
                throw StoreChecks.leaseLost(id, lease);
            }
            return;
        }
        List<Runnable> notices = statement
            .query((row, index) -> notice(row.getString("type"), row.getBoolean("due_now"), row.getString("status"),
                    row.getObject("due_at", OffsetDateTime.class), now))
            .list();
        if (notices.isEmpty()) {
            throw StoreChecks.leaseLost(id, lease);
        }
        notices.getFirst().run();
    }

    /**
     * Returns what notifies the other nodes of a single outcome's job once written: due now, or retried later.
     */
    private Runnable notice(String type, boolean dueNow, String status, OffsetDateTime dueAt, Instant now) {
        if (dueNow) {
            return () -> dueNow(type);
        }
        if (JobStatus.RETRYING.name().equals(status)) {
            return () -> dueLater(type, dueAt.toInstant(), now);
        }
        return () -> { };
    }

    /**
     * Ends the attempts in one statement, committed on its own (or in the caller's transaction, like
     * {@link #finish}); a job no longer running under its outcome's token is left as it is and reported.
     */
    @Override
    public Map<JobId, RuntimeException> finishAll(List<JobOutcome> outcomes) {
        StoreChecks.requireDistinctJobs(outcomes);
        if (outcomes.isEmpty()) {
            return Map.of();
        }
        int n = outcomes.size();
        String[] ids = new String[n];
        Long[] tokens = new Long[n];
        String[] statuses = new String[n];
        @Nullable String[] dueAts = new String[n];
        @Nullable String[] finishedAts = new String[n];
        Integer[] uncounted = new Integer[n];
        Integer[] progress = new Integer[n];
        @Nullable String[] messages = new String[n];
        String[] logs = new String[n];
        String[] errorTypes = new String[n];
        @Nullable String[] errorMessages = new String[n];
        String[] errorStacks = new String[n];
        for (int i = 0; i < n; i++) {
            JobOutcome outcome = outcomes.get(i);
            JobTransition transition = outcome.transition();
            ids[i] = outcome.id().toString();
            tokens[i] = outcome.lease().token().value();
            statuses[i] = transition.status().name();
            Instant dueAt = transition.dueAt();
            dueAts[i] = (dueAt != null) ? dueAt.toString() : null;
            finishedAts[i] = transition.status().isFinished() ? outcome.now().toString() : null;
            uncounted[i] = transition.attemptCounted() ? 0 : 1;
            progress[i] = outcome.report().progress();
            messages[i] = outcome.report().message();
            logs[i] = arrayLiteral(outcome.report().log());
            JobError error = transition.error();
            if (error != null) {
                errorTypes[i] = error.type();
                errorMessages[i] = error.message();
                errorStacks[i] = error.stackTrace();
            }
        }
        Set<JobId> written = new HashSet<>();
        Set<String> dueNow = new HashSet<>();
        Map<String, Instant> dueLater = new HashMap<>();
        Map<JobId, JobOutcome> byId = new HashMap<>();
        outcomes.forEach((outcome) -> byId.put(outcome.id(), outcome));
        this.jdbc.sql(this.finishAll)
            .params(ids, ids, tokens, statuses, dueAts, finishedAts, uncounted, progress, messages, logs, errorTypes,
                    errorMessages, errorStacks)
            .query((RowCallbackHandler) (row) -> {
                JobId id = new JobId(row.getObject(1, UUID.class));
                written.add(id);
                JobOutcome outcome = byId.get(id);
                if (row.getBoolean(3)) {
                    dueNow.add(row.getString(2));
                }
                else if (outcome != null && outcome.transition().status() == JobStatus.RETRYING) {
                    dueLater.merge(row.getString(2), row.getObject(4, OffsetDateTime.class).toInstant(),
                            (a, b) -> a.isBefore(b) ? a : b);
                }
            });
        dueNow.forEach(this::dueNow);
        if (this.notifications != null) {
            Instant now = outcomes.getFirst().now();
            dueLater.forEach((type, dueAt) -> dueLater(type, dueAt, now));
        }
        Map<JobId, RuntimeException> refused = new java.util.HashMap<>();
        for (JobOutcome outcome : outcomes) {
            if (!written.contains(outcome.id())) {
                refused.put(outcome.id(), StoreChecks.leaseLost(outcome.id(), outcome.lease()));
            }
        }
        return refused;
    }

    /**
     * Writes lines as a PostgreSQL array literal: each quoted, its quotes and backslashes escaped.
     */
    static String arrayLiteral(List<String> lines) {
        StringBuilder literal = new StringBuilder("{");
        for (String line : lines) {
            if (literal.length() > 1) {
                literal.append(',');
            }
            literal.append('"');
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == '"' || c == '\\') {
                    literal.append('\\');
                }
                literal.append(c);
            }
            literal.append('"');
        }
        return literal.append('}').toString();
    }

    @Override
    public CancelResult cancel(JobId id, Instant now) {
        return queueWrite((jdbc) -> cancel(jdbc, id, now));
    }

    private CancelResult cancel(JdbcClient jdbc, JobId id, Instant now) {
        for (int attempt = 1; attempt <= 3; attempt++) {
            if (jdbc.sql("update " + this.table + " set status = 'CANCELLED', finished_at = ? where id = ?::uuid "
                    + "and status in " + WAITING).params(timestamp(now), id.toString()).update() == 1) {
                return CancelResult.CANCELLED;
            }
            if (jdbc.sql("update " + this.table + " set cancel_requested = true where id = ?::uuid and status = 'RUNNING'")
                .param(id.toString())
                .update() == 1) {
                return CancelResult.REQUESTED;
            }
            Job job = find(jdbc, id).orElseThrow(() -> new JobNotFoundException(id));
            if (job.isFinished()) {
                return CancelResult.ALREADY_FINISHED;
            }
        }
        throw new IllegalStateException("Job " + id + " changed status three times while it was being cancelled");
    }

    @Override
    public Set<JobId> cancellationsRequested(Collection<JobId> ids) {
        if (ids.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(this.jdbc
            .sql("select id from " + this.table + " where id = any(?::uuid[]) and status = 'RUNNING' and cancel_requested")
            .param(ids(ids))
            .query((row, number) -> new JobId(row.getObject(1, UUID.class)))
            .list());
    }

    @Override
    public Job requeue(JobId id, Instant now) {
        return queueWrite((jdbc) -> requeue(jdbc, id, now));
    }

    private Job requeue(JdbcClient jdbc, JobId id, Instant now) {
        Optional<Job> requeued = jdbc.sql(this.requeue)
            .params(timestamp(now), id.toString())
            .query(JdbcJobStore::job)
            .optional();
        if (requeued.isPresent()) {
            dueNow(requeued.get().type());
            return requeued.get();
        }
        throw StoreChecks.notRequeueable(find(jdbc, id).orElseThrow(() -> new JobNotFoundException(id)));
    }

    @Override
    public int purge(Set<JobStatus> statuses, Instant finishedBefore) {
        StoreChecks.requireFinished(statuses);
        if (statuses.isEmpty()) {
            return 0;
        }
        // In batches, each locked in id order first, like the statements that update many rows: two nodes' purges
        // never deadlock, and no statement sorts and locks every expired row at once.
        String delete = "delete from " + this.table + " where id in (select lk.id from " + this.table + " lk "
                + "where lk.status = any(?::text[]) and lk.finished_at < ? order by lk.id limit ? for update of lk)";
        String[] names = statuses.stream().map(JobStatus::name).toArray(String[]::new);
        int batch = this.purgeBatch;
        int purged = 0;
        int deleted;
        do {
            deleted = this.jdbc.sql(delete).params(names, timestamp(finishedBefore), batch).update();
            purged += deleted;
        }
        while (deleted >= batch);
        return purged;
    }

    /**
     * Sets how many rows a purge deletes per statement; for tests.
     */
    void purgeBatch(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("purge batch must be at least 1, was " + size);
        }
        this.purgeBatch = size;
    }

    /**
     * Runs the action after the current Spring transaction commits, when one is active on this thread (the caller's,
     * which {@link #enqueue} joined); at once otherwise. The action runs in the transaction's {@code afterCompletion}
     * round, not its {@code afterCommit} one: Spring reads the synchronizations afresh for that round, so an action
     * registered from another synchronization's {@code afterCommit} (an enqueue made there) still runs, where one
     * registered for {@code afterCommit} would be skipped.
     */
    @Override
    public void afterCommit(Runnable action) {
        if (TransactionSynchronizationManager.isSynchronizationActive()
                && TransactionSynchronizationManager.isActualTransactionActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    if (status == STATUS_COMMITTED) {
                        action.run();
                    }
                }
            });
        }
        else {
            action.run();
        }
    }

    /**
     * Returns whether a Spring transaction on this store's {@code DataSource} is active on this thread (the caller's,
     * which {@link #enqueue} joins); not one that is ending ({@link EndingTransactions}).
     */
    @Override
    public boolean inCallerTransaction() {
        return TransactionSynchronizationManager.isActualTransactionActive()
                && TransactionSynchronizationManager.hasResource(this.dataSource)
                && !EndingTransactions.endingOn(this.dataSource);
    }

    private static List<@Nullable Object> values(@Nullable Object... values) {
        List<@Nullable Object> list = new ArrayList<>(values.length);
        for (Object value : values) {
            list.add(value);
        }
        return list;
    }

    private static String[] types(Claim claim) {
        return claim.types().toArray(String[]::new);
    }

    private static String[] ids(Collection<JobId> ids) {
        return ids.stream().map(JobId::toString).toArray(String[]::new);
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static @Nullable OffsetDateTime timestampOrNull(@Nullable Instant instant) {
        return (instant != null) ? timestamp(instant) : null;
    }

    private static String qualified(String alias) {
        return java.util.Arrays.stream(COLUMNS.split(", "))
            .map((column) -> alias + "." + column)
            .collect(Collectors.joining(", "));
    }

    private static Job job(ResultSet row, int number) throws SQLException {
        String errorType = row.getString("error_type");
        JobError error = (errorType != null)
                ? new JobError(errorType, row.getString("error_message"), Objects.requireNonNullElse(row.getString("error_stack"), ""))
                : null;
        return new Job(new JobId(row.getObject("id", UUID.class)), row.getString("type"), row.getString("payload"),
                row.getString("idempotency_key"), JobStatus.valueOf(row.getString("status")), row.getInt("attempt"),
                instant(row, "created_at"), instant(row, "due_at"), instantOrNull(row, "started_at"),
                instantOrNull(row, "finished_at"), row.getString("owner"), row.getInt("progress"),
                row.getString("progress_message"), row.getBoolean("cancel_requested"), error, log(row),
                StoredMetadata.read(row.getString("metadata"), row.getObject("id", UUID.class)),
                StoredTimeout.read(row.getObject("timeout_ms", Long.class), row.getObject("id", UUID.class)));
    }

    private static Instant instant(ResultSet row, String column) throws SQLException {
        Instant instant = instantOrNull(row, column);
        if (instant == null) {
            throw new IllegalStateException("Column " + column + " of job " + row.getString("id") + " is null");
        }
        return instant;
    }

    private static @Nullable Instant instantOrNull(ResultSet row, String column) throws SQLException {
        OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
        return (value != null) ? value.toInstant() : null;
    }

    private static List<String> log(ResultSet row) throws SQLException {
        Array array = row.getArray("log");
        if (array == null) {
            return List.of();
        }
        try {
            Object[] lines = (Object[]) array.getArray();
            List<String> log = new ArrayList<>(lines.length);
            for (Object line : lines) {
                if (line != null) {
                    log.add(line.toString());
                }
            }
            return log;
        }
        finally {
            array.free();
        }
    }

    @Override
    public String toString() {
        return "JdbcJobStore[" + this.table + "]";
    }

    /**
     * A row a claim stamped: its id, the token the claim granted, and what the claim changed, as it was before (to put
     * it back when the claim cannot hand it to the worker).
     */
    private record StampedRow(String id, long token, String status, @Nullable String owner,
            @Nullable OffsetDateTime startedAt, @Nullable OffsetDateTime finishedAt, int progress,
            @Nullable String progressMessage, @Nullable String leaseOwner, @Nullable OffsetDateTime leaseExpiresAt) {
    }

}
