package dev.quark.jobs.store.redis;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
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
import dev.quark.jobs.store.ClaimCandidate;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.Enqueued;
import dev.quark.jobs.store.JobDueNotice;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.JobTransition;
import dev.quark.jobs.store.internal.LaterDueNotices;
import dev.quark.jobs.store.NewJob;
import dev.quark.jobs.store.StoreChecks;
import dev.quark.jobs.store.StoredMetadata;
import dev.quark.jobs.store.StoredTimeout;
import dev.quark.lease.Lease;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Keeps jobs in Redis, all under the hash tag {@code {jobs}} (one slot on Redis Cluster, not yet tested against
 * one):
 * <pre>
 * {prefix}{jobs}:job:{id}                      hash: type, payload, status, attempt, times, owner, lease_token, ...
 * {prefix}{jobs}:log:{id}                      list: the job's log lines
 * {prefix}{jobs}:due:{type}                    sorted set of waiting jobs of a type, by due time (ms)
 * {prefix}{jobs}:running                       sorted set of running jobs, by start time (ms)
 * {prefix}{jobs}:finished                      sorted set of finished jobs, by finish time (ms)
 * {prefix}{jobs}:ids, :type:{type}, :status:{status}, :status:{status}:type:{type}
 *                                              sorted sets of ids (score 0, in id order), for pages and counts
 * {prefix}{jobs}:key:{idempotency key}         the id of the job with the key
 * </pre>
 * Every change is one Lua script, atomic. A claim reads the due jobs of its types in due order (a script), has the
 * worker acquire their leases ({@link JobLeases}; Redis has no {@code SKIP LOCKED}, so concurrent claims of the same
 * candidates are settled by the lease store, which grants each to one of them), and stamps the jobs it got leases
 * for with the leases' tokens ({@code RedisFencing}'s {@code quark_fence_stamp} on the field {@code lease_token});
 * every later write requires status {@code RUNNING} and the token ({@code quark_fence_holds}).
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

    private final StringRedisTemplate redis;

    private final String keyPrefix;

    private final String prefix;

    private final List<String> routing;

    private static final Logger logger = LoggerFactory.getLogger(RedisJobStore.class);

    private final String channel;

    /** The channel the scripts publish on: {@link #channel}, or '' when the store does not notify. */
    private final String published;

    private final LaterDueNotices laterNotices = new LaterDueNotices();

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
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
        this.redis = new StringRedisTemplate(connectionFactory);
        this.prefix = keyPrefix + TAG;
        this.routing = List.of(this.prefix + "ids");
        this.channel = this.prefix + "due";
        this.published = notifying ? this.channel : "";
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
        List<String> arguments = new ArrayList<>();
        arguments.add(this.prefix);
        arguments.add(Long.toString(claim.now().toEpochMilli()));
        arguments.add(Integer.toString(claim.candidates()));
        arguments.add(Integer.toString(claim.excluded().size()));
        claim.excluded().forEach((id) -> arguments.add(id.toString()));
        arguments.addAll(claim.types());
        return claim(claim, leases, candidates(execute(RedisJobScripts.DUE, arguments.toArray())), "waiting", false);
    }

    @Override
    public List<ClaimedJob> claimAbandoned(Claim claim, JobLeases leases) {
        List<String> arguments = new ArrayList<>();
        arguments.add(this.prefix);
        arguments.add(Integer.toString(Claim.MAX_CANDIDATES));
        arguments.add(Integer.toString(claim.excluded().size()));
        claim.excluded().forEach((id) -> arguments.add(id.toString()));
        arguments.addAll(claim.types());
        return claim(claim, leases, candidates(execute(RedisJobScripts.RUNNING, arguments.toArray())), "running", true);
    }

    private List<ClaimedJob> claim(Claim claim, JobLeases leases, List<ClaimCandidate> candidates, String mode,
            boolean abandoned) {
        List<ClaimCandidate> chosen = claim.choose(candidates);
        if (chosen.isEmpty()) {
            return List.of();
        }
        List<Lease> granted = leases.acquire(chosen.stream().map(ClaimCandidate::id).toList(), claim.max());
        if (granted.isEmpty()) {
            return List.of();
        }
        Map<JobId, Lease> byJob = new HashMap<>();
        List<String> arguments = new ArrayList<>();
        arguments.add(this.prefix);
        arguments.add(mode);
        arguments.add(claim.owner());
        arguments.add(claim.now().toString());
        arguments.add(Long.toString(claim.now().toEpochMilli()));
        for (Lease lease : granted) {
            JobId id = JobLeases.jobId(lease.resource());
            byJob.put(id, lease);
            arguments.add(id.toString());
            arguments.add(lease.token().toString());
        }
        List<JobId> stamped = execute(RedisJobScripts.STAMP, arguments.toArray()).stream()
            .map((id) -> JobId.parse(String.valueOf(id)))
            .toList();
        Map<JobId, @Nullable String> formerOwners = new HashMap<>();
        chosen.forEach((candidate) -> formerOwners.put(candidate.id(), candidate.owner()));
        List<ClaimedJob> claimed = new ArrayList<>();
        for (Job job : read(stamped)) {
            claimed.add(new ClaimedJob(job, Objects.requireNonNull(byJob.get(job.id())),
                    abandoned ? formerOwners.get(job.id()) : null));
        }
        claimed.sort(Comparator.comparing((ClaimedJob c) -> c.job().dueAt()).thenComparing((c) -> c.job().id()));
        return claimed;
    }

    private static List<ClaimCandidate> candidates(List<?> reply) {
        List<ClaimCandidate> candidates = new ArrayList<>(reply.size() / 3);
        for (int i = 0; i + 2 < reply.size(); i += 3) {
            String owner = String.valueOf(reply.get(i + 2));
            candidates.add(new ClaimCandidate(JobId.parse(String.valueOf(reply.get(i))), String.valueOf(reply.get(i + 1)),
                    owner.isEmpty() ? null : owner));
        }
        return candidates;
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
        arguments.addAll(report.log());
        String type = this.redis.execute(RedisJobScripts.FINISH, this.routing, arguments.toArray());
        if (type == null) {
            throw StoreChecks.leaseLost(id, lease);
        }
        // Retried after a backoff: due later, so the other nodes' workers wake when it comes due, unless a notice of
        // an earlier due time of its type is ahead (LaterDueNotices, as for enqueues). The script does not know
        // the rule, nor the caller the type before the script ran: the notice is published after it, and only then.
        // It is remembered once published, as for enqueues: a notice that was not sent holds no later one back.
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
