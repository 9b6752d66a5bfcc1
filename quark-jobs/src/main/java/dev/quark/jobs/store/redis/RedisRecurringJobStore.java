package dev.quark.jobs.store.redis;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobId;
import dev.quark.jobs.MisfirePolicy;
import dev.quark.jobs.OverlapPolicy;
import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.Schedule;
import dev.quark.jobs.store.Enqueued;
import dev.quark.jobs.store.NewJob;
import dev.quark.jobs.store.RecurringJobStore;
import dev.quark.jobs.store.StoredMetadata;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Keeps recurring jobs in Redis, beside the jobs under the hash tag {@code {jobs}}:
 * <pre>
 * {prefix}{jobs}:recurring:{id}      hash: type, payload, schedule, misfire_policy, overlap_policy, origin,
 *                                    next_run_at, last_job_id
 * {prefix}{jobs}:recurring-next      sorted set of the recurring jobs by next instant (ms, rounded up)
 * {prefix}{jobs}:recurring-ids       sorted set of their ids (score 0, in id order)
 * </pre>
 * A save, an advance and a fire are each one Lua script: a save replaces the hash only when the definition differs,
 * an advance only when {@code next_run_at} is still the expected instant, and a fire, when {@code next_run_at} and
 * {@code last_job_id} are still the expected ones, stores the job as {@link RedisJobStore} does (the same Lua
 * function, the same keys) and moves the recurring job on. A hash written before the overlap policy and origin were
 * kept reads as {@code ALLOW} (what it did) and {@code DYNAMIC}.
 */
public class RedisRecurringJobStore implements RecurringJobStore {

    private static final RedisScript<Long> SAVE = RedisScript.of("""
            local p, id = ARGV[1], ARGV[2]
            local key = p .. 'recurring:' .. id
            local stored = redis.call('HMGET', key, 'type', 'payload', 'schedule', 'misfire_policy', 'overlap_policy',
                'origin')
            if stored[1] == ARGV[3] and stored[2] == ARGV[4] and stored[3] == ARGV[5] and stored[4] == ARGV[6]
                    and stored[5] == ARGV[9] and stored[6] == ARGV[10] then
                return 0
            end
            redis.call('HSET', key, 'type', ARGV[3], 'payload', ARGV[4], 'schedule', ARGV[5], 'misfire_policy', ARGV[6],
                'next_run_at', ARGV[7], 'overlap_policy', ARGV[9], 'origin', ARGV[10])
            redis.call('ZADD', p .. 'recurring-next', ARGV[8], id)
            redis.call('ZADD', p .. 'recurring-ids', 0, id)
            return 1
            """, Long.class);

    private static final RedisScript<Long> DELETE = RedisScript.of("""
            local p, id = ARGV[1], ARGV[2]
            redis.call('ZREM', p .. 'recurring-next', id)
            redis.call('ZREM', p .. 'recurring-ids', id)
            return redis.call('DEL', p .. 'recurring:' .. id)
            """, Long.class);

    private static final RedisScript<Long> DELETE_DECLARED = RedisScript.of("""
            local p, id = ARGV[1], ARGV[2]
            if redis.call('HGET', p .. 'recurring:' .. id, 'origin') ~= 'DECLARED' then
                return 0
            end
            redis.call('ZREM', p .. 'recurring-next', id)
            redis.call('ZREM', p .. 'recurring-ids', id)
            return redis.call('DEL', p .. 'recurring:' .. id)
            """, Long.class);

    /**
     * ARGV: prefix, recurring id, expected next_run_at, expected last_job_id or '', new next_run_at, its score, then
     * the job as {@link RedisJobScripts#ENQUEUE} takes it from its id on (its id to its metadata), then the channel to
     * publish the type of a job enqueued due now on, or '', then the job's own timeout in milliseconds, or ''.
     * Returns {-1, ''} when the recurring job moved on, else
     * what the enqueue returns. The publication is a {@code pcall}: a refusal (an ACL) never fails a fire that
     * happened.
     */
    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> FIRE = RedisJobScripts.script("""
            local p, id = ARGV[1], ARGV[2]
            local key = p .. 'recurring:' .. id
            local stored = redis.call('HMGET', key, 'next_run_at', 'last_job_id')
            if stored[1] ~= ARGV[3] or (stored[2] or '') ~= ARGV[4] then
                return {-1, ''}
            end
            local enqueued = quark_jobs_enqueue(ARGV, 7)
            if enqueued.err then
                return enqueued
            end
            if enqueued[1] == 1 and ARGV[16] ~= '' and ARGV[11] == 'ENQUEUED' then
                redis.pcall('PUBLISH', ARGV[16], ARGV[8])
            end
            redis.call('HSET', key, 'next_run_at', ARGV[5], 'last_job_id', enqueued[2])
            redis.call('ZADD', p .. 'recurring-next', ARGV[6], id)
            return enqueued
            """);

    private static final RedisScript<Long> ADVANCE = RedisScript.of("""
            local p, id = ARGV[1], ARGV[2]
            local key = p .. 'recurring:' .. id
            if redis.call('HGET', key, 'next_run_at') ~= ARGV[3] then
                return 0
            end
            redis.call('HSET', key, 'next_run_at', ARGV[4])
            redis.call('ZADD', p .. 'recurring-next', ARGV[5], id)
            return 1
            """, Long.class);

    private final StringRedisTemplate redis;

    private final String prefix;

    private final List<String> routing;

    private final RedisJobStore jobs;

    private final String published;

    /**
     * Creates a store.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     */
    public RedisRecurringJobStore(RedisConnectionFactory connectionFactory, String keyPrefix) {
        this(connectionFactory, keyPrefix, false);
    }

    /**
     * Creates a store whose fires may notify other nodes of the jobs they enqueue.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     * @param notifying whether a fire publishes the type of the job it enqueued due now on the channel of a {@link
     * RedisJobStore} with this prefix ({@link RedisJobStore#channel()}), as a notifying {@link RedisJobStore} does for
     * the jobs it enqueues; without, other nodes find a fire's job at their next poll
     */
    public RedisRecurringJobStore(RedisConnectionFactory connectionFactory, String keyPrefix, boolean notifying) {
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
        this.redis = new StringRedisTemplate(connectionFactory);
        this.prefix = keyPrefix + "{jobs}:";
        this.routing = List.of(this.prefix + "recurring-ids");
        this.jobs = new RedisJobStore(connectionFactory, keyPrefix, notifying);
        this.published = notifying ? this.jobs.channel() : "";
    }

    /**
     * Returns whether a fire notifies other nodes of the job it enqueued due now.
     * @return whether it notifies
     */
    public boolean notifying() {
        return this.jobs.notifying();
    }

    @Override
    public RecurringJob save(RecurringJob job) {
        Objects.requireNonNull(job, "job must not be null");
        this.redis.execute(SAVE, this.routing, this.prefix, job.id(), job.type(), job.payload(), job.schedule().text(),
                job.misfirePolicy().name(), job.nextRunAt().toString(), Long.toString(score(job.nextRunAt())),
                job.overlapPolicy().name(), job.origin().name());
        return find(job.id())
            .orElseThrow(() -> new IllegalStateException("Recurring job '" + job.id() + "' vanished while saved"));
    }

    @Override
    public boolean delete(String id) {
        Objects.requireNonNull(id, "id must not be null");
        Long deleted = this.redis.execute(DELETE, this.routing, this.prefix, id);
        return deleted != null && deleted > 0;
    }

    @Override
    public boolean deleteDeclared(String id) {
        Objects.requireNonNull(id, "id must not be null");
        Long deleted = this.redis.execute(DELETE_DECLARED, this.routing, this.prefix, id);
        return deleted != null && deleted > 0;
    }

    @Override
    public Optional<RecurringJob> find(String id) {
        Objects.requireNonNull(id, "id must not be null");
        Map<Object, Object> hash = this.redis.opsForHash().entries(this.prefix + "recurring:" + id);
        if (hash.isEmpty()) {
            return Optional.empty();
        }
        Object overlap = hash.get("overlap_policy");
        Object origin = hash.get("origin");
        Object last = hash.get("last_job_id");
        return Optional.of(new RecurringJob(id, field(hash, "type"), field(hash, "payload"),
                Schedule.parse(field(hash, "schedule")), MisfirePolicy.valueOf(field(hash, "misfire_policy")),
                (overlap != null) ? OverlapPolicy.valueOf(overlap.toString()) : OverlapPolicy.ALLOW,
                (origin != null) ? RecurringJob.Origin.valueOf(origin.toString()) : RecurringJob.Origin.DYNAMIC,
                Instant.parse(field(hash, "next_run_at")), (last != null) ? JobId.parse(last.toString()) : null));
    }

    @Override
    public List<RecurringJob> list() {
        Set<String> ids = this.redis.opsForZSet().range(this.prefix + "recurring-ids", 0, -1);
        return read(ids);
    }

    @Override
    public List<RecurringJob> due(Instant now, int limit) {
        Objects.requireNonNull(now, "now must not be null");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, was " + limit);
        }
        Set<String> ids = this.redis.opsForZSet()
            .rangeByScore(this.prefix + "recurring-next", Double.NEGATIVE_INFINITY, now.toEpochMilli(), 0, limit);
        return read(ids).stream().filter((job) -> !job.nextRunAt().isAfter(now)).toList();
    }

    @Override
    public boolean advance(String id, Instant expected, Instant next) {
        Objects.requireNonNull(id, "id must not be null");
        Long moved = this.redis.execute(ADVANCE, this.routing, this.prefix, id, expected.toString(), next.toString(),
                Long.toString(score(next)));
        return moved != null && moved == 1;
    }

    @Override
    public Optional<Enqueued> fire(String id, Instant expected, @Nullable JobId expectedLast, Instant next, NewJob job) {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(job, "job must not be null");
        List<?> reply = this.redis.execute(FIRE, this.routing, this.prefix, id, expected.toString(),
                (expectedLast != null) ? expectedLast.toString() : "", next.toString(), Long.toString(score(next)),
                job.id().toString(), job.type(), job.payload(), Objects.requireNonNullElse(job.idempotencyKey(), ""),
                job.status().name(), job.createdAt().toString(), job.dueAt().toString(),
                Long.toString(score(job.dueAt())), Objects.requireNonNullElse(StoredMetadata.write(job.metadata()), ""),
                this.published, RedisJobStore.storedTimeout(job));
        if (reply == null || reply.size() != 2 || !(reply.get(0) instanceof Number outcome)) {
            throw new IllegalStateException("Redis returned an unexpected reply to a recurring job's fire: " + reply);
        }
        if (outcome.longValue() < 0) {
            return Optional.empty();
        }
        JobId stored = JobId.parse(String.valueOf(reply.get(1)));
        Job enqueued = this.jobs.find(stored)
            .orElseThrow(() -> new IllegalStateException("Job " + stored + " vanished while enqueued"));
        return Optional.of(new Enqueued(enqueued, outcome.longValue() == 1));
    }

    private List<RecurringJob> read(Set<String> ids) {
        List<RecurringJob> jobs = new ArrayList<>();
        if (ids != null) {
            for (String id : ids) {
                find(id).ifPresent(jobs::add);
            }
        }
        return jobs;
    }

    private static String field(Map<Object, Object> hash, String name) {
        Object value = hash.get(name);
        if (value == null) {
            throw new IllegalStateException("A recurring job's hash has no field '" + name + "'");
        }
        return value.toString();
    }

    private static long score(Instant instant) {
        long millis = instant.toEpochMilli();
        return (instant.getNano() % 1_000_000 == 0) ? millis : millis + 1;
    }

    @Override
    public String toString() {
        return "RedisRecurringJobStore[" + this.prefix + "]";
    }
}
