package dev.quark.jobs.store.redis;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

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
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Keeps jobs in Redis, all under the hash tag {@code {jobs}} (one slot on Redis Cluster):
 * <pre>
 * {prefix}{jobs}:job:{id}                      hash: type, payload, status, attempt, times, owner, lease_owner,
 *                                              lease_token, lease_expires_at, ...
 * {prefix}{jobs}:log:{id}                      list: the job's log lines
 * {prefix}{jobs}:due:{type}                    sorted set of waiting jobs of a type, by due time (ms)
 * {prefix}{jobs}:running                       sorted set of running jobs, by start time (ms)
 * {prefix}{jobs}:lease-expiry                  sorted set of running jobs, by lease expiry (ms, 0 once released)
 * {prefix}{jobs}:finished                      sorted set of finished jobs, by finish time (ms)
 * {prefix}{jobs}:ids, :type:{type}, :status:{status}, :status:{status}:type:{type}
 *                                              sorted sets of ids (score 0, in id order), for pages and counts
 * {prefix}{jobs}:key:{idempotency key}         the id of the job with the key
 * {prefix}{jobs}:broken                        sorted set of jobs whose hash lacks a field, moved by a claim
 * </pre>
 * Every change is one Lua script, atomic.
 * <p>
 * <b>Leases in the hashes.</b> A job's lease is kept in its hash ({@code lease_owner}, {@code lease_token},
 * {@code lease_expires_at} in milliseconds of the Redis server's clock; {@link #leaseStore()} renews and releases them
 * for the worker's keeper, {@link RedisJobLeaseStore}), not in the shared lease store, as {@code JdbcJobStore} keeps
 * them in its rows: a claim is then <em>one script</em>. It reads the due jobs of each of the claim's types with room
 * from their sorted sets (due by the claim's {@code now}, the worker's clock), skips the excluded ones and those whose
 * lease is held (unexpired on the server's clock, {@code TIME}, read once per script, as Redis expires the keys of
 * the shared lease store), keeps up to {@link Claim#candidates()} in due order, chooses among them as
 * {@link Claim#choose} does, and stamps each chosen job {@code RUNNING} with a lease of the worker's for
 * {@link JobLeases#duration()} whose token is the hash's previous token plus one, so it is greater than every token
 * the job had; it moves the job from its due set to the running set and returns the jobs as claimed. It never calls
 * {@link JobLeases#acquire}. Every later write for the job requires status {@code RUNNING} and the token
 * ({@code quark_fence_holds} of {@code RedisFencing}); an outcome frees the lease. A running job whose lease expired
 * or was released is taken over by {@link #claimAbandoned}, in one script too, with a newer token; it reads the jobs
 * whose lease is free from {@code lease-expiry} by score, so a take-over costs O(log n) however many jobs run.
 * <p>
 * Upgrading: a job that a version before the leases in the hashes left {@code RUNNING} has its lease in the shared
 * lease store and none in its hash, so it counts as abandoned and is taken over at once (the first take-over adds
 * such jobs to {@code lease-expiry}), with the token after the one it was stamped with (the earlier worker's writes
 * are refused from then on); stop every worker of the earlier version before starting this one.
 * <p>
 * Instants are kept exactly in the hashes; the sorted sets order by milliseconds, a due time rounded up so that no
 * job runs before it is due. Durability is Redis's: jobs, like leases, need persistence turned on (AOF,
 * {@code appendfsync everysec} or stricter), or a restart of Redis loses them.
 * <p>
 * <b>Notifications.</b> A store created {@link #notifying() notifying} publishes the type of every job it makes due
 * now (an enqueue due at once, a requeue, a job given back or retried at once) on the channel {@link #channel()}
 * ({@code {prefix}{jobs}:due}), from the script that makes it due, so that the other nodes' workers
 * ({@code RedisJobWakeUps}) claim it at once rather than at their next poll. Redis pub/sub is fire and forget: a
 * node that is not subscribed at that moment misses it and claims the job at its next poll. Publishing costs one
 * more command in the script, no lock or commit ordering. An enqueue for later ({@code SCHEDULED}) and a retry after
 * a backoff publish {@code type dueEpochMillis} ({@link dev.quark.jobs.store.JobDueNotice}), so that the subscribed
 * workers claim the job when it comes due, both only when it is due before the earliest such message of its type
 * still ahead ({@link LaterDueNotices}). The enqueue's script publishes it; a retry's is published after its script,
 * which tells the job's type (the caller does not know it before), in a command of its own, only when it tells.
 */
public class RedisJobStore implements JobStore {

    private static final String TAG = "{jobs}:";

    /** How many finished jobs one purge script looks at. */
    private static final int PURGE_BATCH = 500;

    /** How many times a claim is made again without the jobs it could not map. */
    private static final int CLAIM_TRIES = 3;

    private final StringRedisTemplate redis;

    private final String keyPrefix;

    private final String prefix;

    private final List<String> routing;

    private static final Logger logger = LoggerFactory.getLogger(RedisJobStore.class);

    private final String channel;

    /** The channel the scripts publish on: {@link #channel}, or '' when the store does not notify. */
    private final String published;

    private final LaterDueNotices laterNotices = new LaterDueNotices();

    private final RedisJobLeaseStore leases;

    /**
     * Creates a store that does not notify other nodes.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     */
    public RedisJobStore(RedisConnectionFactory connectionFactory, String keyPrefix) {
        this(connectionFactory, keyPrefix, false);
    }

    /**
     * Creates a store that may notify other nodes of the jobs it makes due now.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     * @param notifying whether a write that makes a job due now (an enqueue due at once, a requeue, a job given back
     * or retried at once) also publishes the job's type on {@link #channel()}, in the script that writes it
     */
    public RedisJobStore(RedisConnectionFactory connectionFactory, String keyPrefix, boolean notifying) {
        this(connectionFactory, keyPrefix, notifying, Clock.systemUTC());
    }

    /**
     * Creates a store that may notify other nodes of the jobs it makes due now.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     * @param notifying whether a write that makes a job due now also publishes the job's type on {@link #channel()}
     * @param clock the workers' clock, which computes {@link Lease#validUntil()} of the leases claims grant (the Redis
     * server's clock decides their expiry)
     */
    public RedisJobStore(RedisConnectionFactory connectionFactory, String keyPrefix, boolean notifying, Clock clock) {
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        Objects.requireNonNull(clock, "clock must not be null");
        this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
        this.redis = new StringRedisTemplate(connectionFactory);
        this.prefix = keyPrefix + TAG;
        this.routing = List.of(this.prefix + "ids");
        this.channel = this.prefix + "due";
        this.published = notifying ? this.channel : "";
        this.leases = new RedisJobLeaseStore(this.redis, this.prefix, this.routing, clock);
    }

    /**
     * Returns the channel this store publishes the types of the jobs it makes due now on, when it was created
     * notifying: {@code {prefix}{jobs}:due}, so that stores of different key prefixes do not hear each other.
     * @return the channel
     */
    public String channel() {
        return this.channel;
    }

    /**
     * Returns whether writes that make jobs due now publish on {@link #channel()}.
     * @return whether it notifies
     */
    public boolean notifying() {
        return !this.published.isEmpty();
    }

    /**
     * Returns the key of a job's hash.
     * @param id the job
     * @return the key
     */
    public String jobKey(JobId id) {
        return this.prefix + "job:" + id;
    }

    @Override
    public Enqueued enqueue(NewJob job) {
        Objects.requireNonNull(job, "job must not be null");
        List<?> reply = execute(RedisJobScripts.ENQUEUE, this.prefix, job.id().toString(), job.type(), job.payload(),
                Objects.requireNonNullElse(job.idempotencyKey(), ""), job.status().name(), job.createdAt().toString(),
                job.dueAt().toString(), Long.toString(dueScore(job.dueAt())),
                Objects.requireNonNullElse(StoredMetadata.write(job.metadata()), ""), enqueueChannel(job),
                storedTimeout(job));
        boolean created = number(reply.get(0)) == 1;
        if (created && job.status() == JobStatus.SCHEDULED && notifying()) {
            // Only a created job was published: an idempotency key's hit sent nothing, so it holds no notice back.
            this.laterNotices.told(job.type(), job.dueAt(), job.createdAt());
        }
        JobId id = JobId.parse(String.valueOf(reply.get(1)));
        Job stored = find(id).orElseThrow(() -> new IllegalStateException("Job " + id + " vanished while enqueued"));
        return new Enqueued(stored, created);
    }

    /**
     * Returns the channel an enqueue publishes on: for a job due now, and for a job due later unless a notice of an
     * earlier due time of its type is ahead ({@link LaterDueNotices}).
     */
    private String enqueueChannel(NewJob job) {
        if (job.status() != JobStatus.SCHEDULED) {
            return this.published;
        }
        return (notifying() && this.laterNotices.wouldTell(job.type(), job.dueAt(), job.createdAt())) ? this.published
                : "";
    }

    @Override
    public Optional<Instant> nextDueAfter(Set<String> types, Instant now) {
        if (types.isEmpty()) {
            return Optional.empty();
        }
        List<String> arguments = new ArrayList<>();
        arguments.add(this.prefix);
        arguments.add(Long.toString(now.toEpochMilli()));
        arguments.addAll(types);
        Long score = this.redis.execute(RedisJobScripts.NEXT_DUE, this.routing, arguments.toArray());
        return (score != null) ? Optional.of(Instant.ofEpochMilli(score)) : Optional.empty();
    }

    @Override
    public Optional<Job> find(JobId id) {
        List<Job> jobs = read(List.of(id));
        return jobs.isEmpty() ? Optional.empty() : Optional.of(jobs.get(0));
    }

    @Override
    public JobPage list(JobQuery query) {
        List<String> indexes = new ArrayList<>();
        String type = query.type();
        if (query.statuses().isEmpty()) {
            indexes.add((type != null) ? this.prefix + "type:" + type : this.prefix + "ids");
        }
        else {
            for (JobStatus status : query.statuses()) {
                indexes.add(this.prefix + "status:" + status + ((type != null) ? ":type:" + type : ""));
            }
        }
        JobId after = query.after();
        Range<String> range = (after != null) ? Range.rightUnbounded(Range.Bound.exclusive(after.toString()))
                : Range.unbounded();
        TreeSet<String> ids = new TreeSet<>();
        for (String index : indexes) {
            Set<String> page = this.redis.opsForZSet().rangeByLex(index, range, Limit.limit().count(query.limit()));
            if (page != null) {
                ids.addAll(page);
            }
        }
        List<JobId> chosen = ids.stream().limit(query.limit()).map(JobId::parse).toList();
        List<Job> jobs = read(chosen).stream().filter(query::matches).sorted(Comparator.comparing(Job::id)).toList();
        JobId next = (chosen.size() == query.limit()) ? chosen.get(chosen.size() - 1) : null;
        return new JobPage(jobs, next);
    }

    @Override
    public Map<JobStatus, Long> countByStatus() {
        JobStatus[] statuses = JobStatus.values();
        Object[] arguments = new Object[statuses.length + 1];
        arguments[0] = this.prefix;
        for (int i = 0; i < statuses.length; i++) {
            arguments[i + 1] = statuses[i].name();
        }
        List<?> reply = execute(RedisJobScripts.COUNT, arguments);
        Map<JobStatus, Long> counts = new EnumMap<>(JobStatus.class);
        for (int i = 0; i < statuses.length; i++) {
            counts.put(statuses[i], number(reply.get(i)));
        }
        return counts;
    }

    @Override
    public List<ClaimedJob> claimDue(Claim claim, JobLeases leases) {
        return claim(RedisJobScripts.CLAIM_DUE, claim, leases,
                List.of(Long.toString(claim.now().toEpochMilli()), Integer.toString(claim.candidates())), false);
    }

    @Override
    public List<ClaimedJob> claimAbandoned(Claim claim, JobLeases leases) {
        return claim(RedisJobScripts.CLAIM_ABANDONED, claim, leases, List.of(Integer.toString(Claim.MAX_CANDIDATES)),
                true);
    }

    /**
     * Returns the leases of this store's jobs, kept in their hashes.
     */
    @Override
    public Optional<LeaseStore> leaseStore() {
        return Optional.of(this.leases);
    }

    /**
     * Runs a claim script: one round trip, which chooses the jobs, grants their leases and returns them as claimed.
     * The script moves a job whose hash lacks a field the mapping needs to {@code {jobs}:broken} (logged here) and
     * claims others in its place. A job whose hash has every field but cannot be mapped is put back as it was
     * ({@link RedisJobScripts#UNCLAIM}, its attempt not counted) and the claim is made again without it for the room
     * it leaves, at most {@value #CLAIM_TRIES} times, as {@code JdbcJobStore} does.
     * @param specific the script's arguments after max: the due-by score and the candidates, or the running jobs to
     * look at
     */
    @SuppressWarnings("rawtypes")
    private List<ClaimedJob> claim(org.springframework.data.redis.core.script.RedisScript<List> script, Claim claim,
            JobLeases leases, List<String> specific, boolean abandoned) {
        Map<String, Integer> room = new LinkedHashMap<>(claim.room());
        Set<JobId> excluded = new LinkedHashSet<>(claim.excluded());
        List<ClaimedJob> claimed = new ArrayList<>();
        Duration duration = leases.duration();
        for (int attempt = 1; attempt <= CLAIM_TRIES && claimed.size() < claim.max(); attempt++) {
            List<String> arguments = new ArrayList<>();
            arguments.add(this.prefix);
            arguments.add(claim.owner());
            arguments.add(claim.now().toString());
            arguments.add(Long.toString(claim.now().toEpochMilli()));
            arguments.add(Long.toString(duration.toMillis()));
            arguments.add(Integer.toString(claim.max() - claimed.size()));
            arguments.addAll(specific);
            arguments.add(Integer.toString(excluded.size()));
            excluded.forEach((id) -> arguments.add(id.toString()));
            room.forEach((type, left) -> {
                arguments.add(type);
                arguments.add(Integer.toString(left));
            });
            Instant sent = this.leases.callerClock().instant();
            List<?> reply = execute(script, arguments.toArray());
            boolean putBack = false;
            for (Object entry : reply) {
                List<?> fields = (List<?>) entry;
                JobId id = JobId.parse(String.valueOf(fields.get(0)));
                if (fields.size() == 2) {
                    logger.error("Job {} in {} has no field '{}' and was moved from its due or running set to {}; it "
                            + "is claimed no more until it is fixed and put back in its set, or deleted", id,
                            jobKey(id), fields.get(1), this.prefix + "broken");
                    continue;
                }
                Job job;
                try {
                    job = job(id, (List<?>) fields.get(3), (List<?>) fields.get(4));
                }
                catch (RuntimeException ex) {
                    logger.error("Job {} in {} cannot be read and is left out of the claims until it is fixed or "
                            + "deleted", id, jobKey(id), ex);
                    unclaim(id, number(fields.get(1)), (List<?>) fields.get(5), String.valueOf(fields.get(6)));
                    excluded.add(id);
                    putBack = true;
                    continue;
                }
                String formerOwner = String.valueOf(fields.get(2));
                claimed.add(new ClaimedJob(job,
                        this.leases.granted(id, claim.owner(), number(fields.get(1)), sent, duration),
                        (abandoned && !formerOwner.isEmpty()) ? formerOwner : null));
                room.merge(job.type(), -1, Integer::sum);
            }
            if (!putBack) {
                break;
            }
        }
        claimed.sort(Comparator.comparing((ClaimedJob c) -> c.job().dueAt()).thenComparing((c) -> c.job().id()));
        return claimed;
    }

    /**
     * Puts back a job a claim stamped but could not map, fenced by the token the claim granted. A failure is logged:
     * the job then stays {@code RUNNING} under a lease nobody renews, and is taken over once it expires.
     */
    private void unclaim(JobId id, long token, List<?> former, String score) {
        List<String> arguments = new ArrayList<>();
        arguments.add(this.prefix);
        arguments.add(id.toString());
        arguments.add(Long.toString(token));
        arguments.add(score);
        former.forEach((value) -> arguments.add(String.valueOf(value)));
        try {
            this.redis.execute(RedisJobScripts.UNCLAIM, this.routing, arguments.toArray());
        }
        catch (RuntimeException ex) {
            logger.error("Job {} in {} could not be put back after its claim; it stays RUNNING until its lease "
                    + "expires and another claim takes it over", id, jobKey(id), ex);
        }
    }

    @Override
    public void report(JobId id, Lease lease, JobReport report) {
        List<String> arguments = new ArrayList<>();
        arguments.add(this.prefix);
        arguments.add(id.toString());
        arguments.add(lease.token().toString());
        arguments.add(Integer.toString(report.progress()));
        optional(arguments, report.message());
        arguments.addAll(report.log());
        Long written = this.redis.execute(RedisJobScripts.REPORT, this.routing, arguments.toArray());
        if (written == null || written == 0) {
            throw StoreChecks.leaseLost(id, lease);
        }
    }

    @Override
    public void finish(JobId id, Lease lease, JobTransition transition, JobReport report, Instant now) {
        List<String> arguments = new ArrayList<>();
        arguments.add(this.prefix);
        addOutcome(arguments, id, lease, transition, report, now);
        arguments.addAll(report.log());
        String type = this.redis.execute(RedisJobScripts.FINISH, this.routing, arguments.toArray());
        if (type == null) {
            throw StoreChecks.leaseLost(id, lease);
        }
        noticeRetry(id, transition, now, type);
    }

    /**
     * Records a batch of outcomes in one script, each fenced by its own token: one round trip, atomic.
     */
    @Override
    public Map<JobId, RuntimeException> finishAll(List<JobOutcome> outcomes) {
        StoreChecks.requireDistinctJobs(outcomes);
        if (outcomes.isEmpty()) {
            return Map.of();
        }
        List<String> arguments = new ArrayList<>();
        arguments.add(this.prefix);
        for (JobOutcome outcome : outcomes) {
            arguments.add(Integer.toString(outcome.report().log().size()));
            addOutcome(arguments, outcome.id(), outcome.lease(), outcome.transition(), outcome.report(), outcome.now());
            arguments.addAll(outcome.report().log());
        }
        List<?> results = execute(RedisJobScripts.FINISH_ALL, arguments.toArray());
        Map<JobId, RuntimeException> refused = new HashMap<>();
        for (int i = 0; i < outcomes.size(); i++) {
            JobOutcome outcome = outcomes.get(i);
            String result = String.valueOf(results.get(i));
            if (result.startsWith("1")) {
                noticeRetry(outcome.id(), outcome.transition(), outcome.now(), result.substring(1));
            }
            else {
                refused.put(outcome.id(), StoreChecks.leaseLost(outcome.id(), outcome.lease()));
            }
        }
        return refused;
    }

    /**
     * Adds the arguments of an outcome as {@link RedisJobScripts#FINISH} takes them, from the id to the channel.
     */
    private void addOutcome(List<String> arguments, JobId id, Lease lease, JobTransition transition, JobReport report,
            Instant now) {
        arguments.add(id.toString());
        arguments.add(lease.token().toString());
        arguments.add(transition.status().name());
        Instant dueAt = transition.dueAt();
        arguments.add((dueAt != null) ? dueAt.toString() : "");
        arguments.add((dueAt != null) ? Long.toString(dueScore(dueAt)) : "");
        boolean finished = transition.status().isFinished();
        arguments.add(finished ? now.toString() : "");
        arguments.add(finished ? Long.toString(now.toEpochMilli()) : "");
        arguments.add(transition.attemptCounted() ? "0" : "1");
        arguments.add(Integer.toString(report.progress()));
        optional(arguments, report.message());
        JobError error = transition.error();
        if (error != null) {
            arguments.add("1");
            arguments.add(error.type());
            optional(arguments, error.message());
            arguments.add(error.stackTrace());
        }
        else {
            arguments.addAll(List.of("0", "", "0", "", ""));
        }
        // Given back, or retried with no backoff left: due now, so other nodes may claim it at once.
        boolean dueNow = transition.status() == JobStatus.ENQUEUED
                || (transition.status() == JobStatus.RETRYING && dueAt != null && !dueAt.isAfter(now));
        arguments.add(dueNow ? this.published : "");
    }

    /**
     * Retried after a backoff: due later, so the other nodes' workers wake when it comes due, unless a notice of an
     * earlier due time of its type is ahead (LaterDueNotices, as for enqueues). The script does not know the rule, nor
     * the caller the type before the script ran: the notice is published after it, and only then. It is remembered
     * once published, as for enqueues: a notice that was not sent holds no later one back.
     */
    private void noticeRetry(JobId id, JobTransition transition, Instant now, String type) {
        Instant dueAt = transition.dueAt();
        if (notifying() && transition.status() == JobStatus.RETRYING && dueAt != null && dueAt.isAfter(now)
                && this.laterNotices.wouldTell(type, dueAt, now)) {
            try {
                this.redis.convertAndSend(this.published, JobDueNotice.later(type, dueAt));
                this.laterNotices.told(type, dueAt, now);
            }
            catch (RuntimeException ex) {
                // A hint: the job is written, and the other nodes find it at their next poll.
                logger.debug("Could not publish the retry of job {} on {}", id, this.published, ex);
            }
        }
    }

    @Override
    public CancelResult cancel(JobId id, Instant now) {
        String result = this.redis.execute(RedisJobScripts.CANCEL, this.routing, this.prefix, id.toString(),
                now.toString(), Long.toString(now.toEpochMilli()));
        if (result == null || result.equals("NOT_FOUND")) {
            throw new JobNotFoundException(id);
        }
        return CancelResult.valueOf(result);
    }

    @Override
    public Set<JobId> cancellationsRequested(Collection<JobId> ids) {
        if (ids.isEmpty()) {
            return Set.of();
        }
        List<String> arguments = new ArrayList<>();
        arguments.add(this.prefix);
        ids.forEach((id) -> arguments.add(id.toString()));
        Set<JobId> requested = new HashSet<>();
        execute(RedisJobScripts.CANCELLATIONS, arguments.toArray())
            .forEach((id) -> requested.add(JobId.parse(String.valueOf(id))));
        return requested;
    }

    @Override
    public Job requeue(JobId id, Instant now) {
        List<?> reply = execute(RedisJobScripts.REQUEUE, this.prefix, id.toString(), now.toString(),
                Long.toString(dueScore(now)), this.published);
        String result = String.valueOf(reply.get(0));
        if (result.equals("NOT_FOUND")) {
            throw new JobNotFoundException(id);
        }
        if (!result.equals("OK")) {
            throw StoreChecks.notRequeueable(find(id).orElseThrow(() -> new JobNotFoundException(id)));
        }
        // As requeued, read by the script: a worker the message woke may already have run it.
        return job(id, (List<?>) reply.get(1), (List<?>) reply.get(2));
    }

    @Override
    public int purge(Set<JobStatus> statuses, Instant finishedBefore) {
        StoreChecks.requireFinished(statuses);
        if (statuses.isEmpty()) {
            return 0;
        }
        int deleted = 0;
        int offset = 0;
        for (int round = 0; round < 100_000; round++) {
            List<String> arguments = new ArrayList<>();
            arguments.add(this.prefix);
            arguments.add(Long.toString(finishedBefore.toEpochMilli()));
            arguments.add(Integer.toString(offset));
            arguments.add(Integer.toString(PURGE_BATCH));
            statuses.forEach((status) -> arguments.add(status.name()));
            List<?> reply = execute(RedisJobScripts.PURGE, arguments.toArray());
            int removed = Math.toIntExact(number(reply.get(0)));
            int lookedAt = Math.toIntExact(number(reply.get(1)));
            deleted += removed;
            offset += lookedAt - removed;
            if (lookedAt < PURGE_BATCH) {
                break;
            }
        }
        return deleted;
    }

    private List<Job> read(List<JobId> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        List<String> arguments = new ArrayList<>(ids.size() + 1);
        arguments.add(this.prefix);
        ids.forEach((id) -> arguments.add(id.toString()));
        List<?> reply = execute(RedisJobScripts.READ, arguments.toArray());
        List<Job> jobs = new ArrayList<>(ids.size());
        for (int i = 0; i < reply.size(); i++) {
            List<?> entry = (List<?>) reply.get(i);
            if (!entry.isEmpty()) {
                jobs.add(job(ids.get(i), (List<?>) entry.get(0), (List<?>) entry.get(1)));
            }
        }
        return jobs;
    }

    private static Job job(JobId id, List<?> hash, List<?> log) {
        Map<String, String> fields = new HashMap<>();
        for (int i = 0; i + 1 < hash.size(); i += 2) {
            fields.put(String.valueOf(hash.get(i)), String.valueOf(hash.get(i + 1)));
        }
        String errorType = fields.get("error_type");
        JobError error = (errorType != null)
                ? new JobError(errorType, fields.get("error_message"), fields.getOrDefault("error_stack", "")) : null;
        return new Job(id, required(fields, "type", id), required(fields, "payload", id), fields.get("idempotency_key"),
                JobStatus.valueOf(required(fields, "status", id)), Integer.parseInt(required(fields, "attempt", id)),
                Instant.parse(required(fields, "created_at", id)), Instant.parse(required(fields, "due_at", id)),
                instant(fields.get("started_at")), instant(fields.get("finished_at")), fields.get("owner"),
                Integer.parseInt(fields.getOrDefault("progress", "0")), fields.get("progress_message"),
                "1".equals(fields.get("cancel_requested")), error, log.stream().map(String::valueOf).toList(),
                StoredMetadata.read(fields.get("metadata"), id), StoredTimeout.read(fields.get("timeout_ms"), id));
    }

    /**
     * Returns a job's own timeout as the enqueue scripts take it.
     * @param job the job
     * @return its milliseconds, or {@code ""} for none
     */
    static String storedTimeout(NewJob job) {
        Long millis = job.timeoutMillis();
        return (millis != null) ? millis.toString() : "";
    }

    private static String required(Map<String, String> fields, String field, JobId id) {
        String value = fields.get(field);
        if (value == null) {
            throw new IllegalStateException("The Redis hash of job " + id + " has no field '" + field + "'");
        }
        return value;
    }

    private static @Nullable Instant instant(@Nullable String text) {
        return (text != null) ? Instant.parse(text) : null;
    }

    private static void optional(List<String> arguments, @Nullable String value) {
        arguments.add((value != null) ? "1" : "0");
        arguments.add((value != null) ? value : "");
    }

    /**
     * Returns the score of a due time: its milliseconds, rounded up, so that a job never runs before it is due.
     */
    private static long dueScore(Instant instant) {
        long millis = instant.toEpochMilli();
        return Instant.ofEpochMilli(millis).equals(instant) ? millis : millis + 1;
    }

    @SuppressWarnings("rawtypes")
    private List<?> execute(org.springframework.data.redis.core.script.RedisScript<List> script, Object... arguments) {
        List<?> reply = this.redis.execute(script, this.routing, arguments);
        if (reply == null) {
            throw new IllegalStateException("Redis returned no reply to a job script");
        }
        return reply;
    }

    private static long number(@Nullable Object value) {
        if (value instanceof Number number) {
            return number.longValue();
        }
        throw new IllegalStateException("Expected a number from Redis, got " + value);
    }

    @Override
    public String toString() {
        return "RedisJobStore[keys " + this.keyPrefix + TAG + "*" + (notifying() ? ", notifying " + this.channel : "")
                + "]";
    }
}
