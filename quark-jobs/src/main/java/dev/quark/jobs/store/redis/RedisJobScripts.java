package dev.quark.jobs.store.redis;

import java.util.List;

import dev.quark.lease.redis.RedisFencing;

import org.springframework.data.redis.core.script.RedisScript;

/**
 * The Lua scripts of {@link RedisJobStore}, each one atomic step. Every script gets the key prefix with the hash tag
 * ({@code quark:{jobs}:}) as {@code ARGV[1]} and one key of the store as {@code KEYS[1]}, which routes it; all the
 * keys it touches carry the same hash tag, so they live in one slot.
 * <p>
 * The scripts that make a job due now publish its type last, with {@code redis.pcall}, ignoring a refusal: a
 * {@code PUBLISH} is a hint, and one refused (a Redis 7 ACL user without the right to the channel, {@code NOPERM})
 * must not fail a write that Redis has made already and does not roll back.
 */
final class RedisJobScripts {

    /**
     * The functions the scripts share: moving a job between the status indexes, keeping its log, storing a new job
     * ({@code quark_jobs_enqueue(ARGV, from)}: the job's arguments as {@link #ENQUEUE} takes them, from
     * {@code ARGV[from]}; also used by {@link RedisRecurringJobStore}'s fire).
     */
    private static final String FUNCTIONS = """
            local function quark_jobs_index(p, id, job_type, status)
                redis.call('ZADD', p .. 'status:' .. status, 0, id)
                redis.call('ZADD', p .. 'status:' .. status .. ':type:' .. job_type, 0, id)
            end
            local function quark_jobs_unindex(p, id, job_type, status)
                redis.call('ZREM', p .. 'status:' .. status, id)
                redis.call('ZREM', p .. 'status:' .. status .. ':type:' .. job_type, id)
            end
            local function quark_jobs_waiting(status)
                return status == 'ENQUEUED' or status == 'SCHEDULED' or status == 'RETRYING'
            end
            local function quark_jobs_log(p, id, lines, from)
                local key = p .. 'log:' .. id
                redis.call('DEL', key)
                local chunk = {}
                for i = from, #lines do
                    chunk[#chunk + 1] = lines[i]
                    if #chunk == 100 then
                        redis.call('RPUSH', key, unpack(chunk))
                        chunk = {}
                    end
                end
                if #chunk > 0 then
                    redis.call('RPUSH', key, unpack(chunk))
                end
            end
            local function quark_jobs_enqueue(args, from)
                local p = args[1]
                local id, job_type, payload, key, status = args[from], args[from + 1], args[from + 2], args[from + 3],
                    args[from + 4]
                if key ~= '' then
                    local existing = redis.call('GET', p .. 'key:' .. key)
                    if existing then
                        return {0, existing}
                    end
                end
                local job = p .. 'job:' .. id
                if redis.call('EXISTS', job) == 1 then
                    return redis.error_reply('A job with id ' .. id .. ' exists already')
                end
                redis.call('HSET', job, 'type', job_type, 'payload', payload, 'status', status, 'attempt', 0,
                    'created_at', args[from + 5], 'due_at', args[from + 6], 'progress', 0, 'cancel_requested', 0)
                if key ~= '' then
                    redis.call('HSET', job, 'idempotency_key', key)
                    redis.call('SET', p .. 'key:' .. key, id)
                end
                local metadata = args[from + 8]
                if metadata ~= nil and metadata ~= '' then
                    redis.call('HSET', job, 'metadata', metadata)
                end
                local timeout = args[from + 10]
                if timeout ~= nil and timeout ~= '' then
                    redis.call('HSET', job, 'timeout_ms', timeout)
                end
                redis.call('ZADD', p .. 'due:' .. job_type, args[from + 7], id)
                redis.call('ZADD', p .. 'ids', 0, id)
                redis.call('ZADD', p .. 'type:' .. job_type, 0, id)
                quark_jobs_index(p, id, job_type, status)
                return {1, id}
            end
            """;

    /**
     * ARGV: prefix, id, type, payload, idempotency key or '', status, created_at, due_at, due score, metadata (JSON) or
     * '', the channel to publish on, or '' not to publish: the type of a job stored {@code ENQUEUED} (due now), or
     * {@code type dueScore} of one stored {@code SCHEDULED} ({@code JobDueNotice}), then the job's own timeout in
     * milliseconds or '' (field {@code timeout_ms}; after the channel, which the callers of the shared function
     * read at their own positions). Returns {1, id} when stored,
     * {0, id of the job with the key} when the key exists, an error when the id exists.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> ENQUEUE = script("""
            local stored = quark_jobs_enqueue(ARGV, 2)
            if stored[1] == 1 and ARGV[11] ~= '' then
                if ARGV[6] == 'ENQUEUED' then
                    redis.pcall('PUBLISH', ARGV[11], ARGV[3])
                elseif ARGV[6] == 'SCHEDULED' then
                    redis.pcall('PUBLISH', ARGV[11], ARGV[3] .. ' ' .. ARGV[9])
                end
            end
            return stored
            """);

    /**
     * ARGV: prefix, now score, then the types. Returns the score of the earliest waiting job of the types due after
     * now, or false (nil to the caller) when none waits.
     */
    static final RedisScript<Long> NEXT_DUE = RedisScript.of("""
            local p, now = ARGV[1], ARGV[2]
            local earliest = false
            for i = 3, #ARGV do
                local next = redis.call('ZRANGEBYSCORE', p .. 'due:' .. ARGV[i], '(' .. now, '+inf', 'WITHSCORES', 'LIMIT',
                    0, 1)
                if #next > 0 then
                    local score = tonumber(next[2])
                    if not earliest or score < earliest then
                        earliest = score
                    end
                end
            end
            return earliest
            """, Long.class);

    /** ARGV: prefix, then ids. Returns per id {fields of the hash..., log lines...} as {hash, log}, {} when gone. */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> READ = script("""
            local p = ARGV[1]
            local jobs = {}
            for i = 2, #ARGV do
                local hash = redis.call('HGETALL', p .. 'job:' .. ARGV[i])
                if #hash == 0 then
                    jobs[#jobs + 1] = {}
                else
                    jobs[#jobs + 1] = {hash, redis.call('LRANGE', p .. 'log:' .. ARGV[i], 0, -1)}
                end
            end
            return jobs
            """);

    /**
     * ARGV: prefix, now score, limit, number of excluded ids n, the n ids, then the types. Returns {id, type, owner
     * or '', ...} of waiting jobs due by now, by due time then id, at most limit.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> DUE = script("""
            local p, now, limit, n = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
            local excluded = {}
            for i = 5, 4 + n do
                excluded[ARGV[i]] = true
            end
            local found = {}
            for i = 5 + n, #ARGV do
                local due = redis.call('ZRANGEBYSCORE', p .. 'due:' .. ARGV[i], '-inf', now, 'WITHSCORES', 'LIMIT', 0,
                    limit + n)
                for j = 1, #due, 2 do
                    if not excluded[due[j]] then
                        found[#found + 1] = {tonumber(due[j + 1]), due[j], ARGV[i]}
                    end
                end
            end
            table.sort(found, function(a, b)
                if a[1] ~= b[1] then
                    return a[1] < b[1]
                end
                return a[2] < b[2]
            end)
            local result = {}
            for i = 1, math.min(limit, #found) do
                result[#result + 1] = found[i][2]
                result[#result + 1] = found[i][3]
                result[#result + 1] = redis.call('HGET', p .. 'job:' .. found[i][2], 'owner') or ''
            end
            return result
            """);

    /**
     * ARGV: prefix, limit, number of excluded ids n, the n ids, then the types. Returns {id, type, owner, ...} of
     * running jobs, longest running first, at most limit looked at.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> RUNNING = script("""
            local p, limit, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
            local excluded = {}
            for i = 4, 3 + n do
                excluded[ARGV[i]] = true
            end
            local types = {}
            for i = 4 + n, #ARGV do
                types[ARGV[i]] = true
            end
            local result = {}
            for _, id in ipairs(redis.call('ZRANGE', p .. 'running', 0, limit - 1)) do
                local job = redis.call('HMGET', p .. 'job:' .. id, 'type', 'owner')
                if not excluded[id] and job[1] and types[job[1]] then
                    result[#result + 1] = id
                    result[#result + 1] = job[1]
                    result[#result + 1] = job[2] or ''
                end
            end
            return result
            """);

    /**
     * ARGV: prefix, 'waiting' or 'running' (the status a job must have), owner, started_at, started score, then
     * pairs of id and token. Stamps each job that has the status and no newer token as RUNNING with its attempt
     * counted. Returns the ids stamped.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> STAMP = script("""
            local p, mode, owner, started, score = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
            local stamped = {}
            for i = 6, #ARGV, 2 do
                local id, token = ARGV[i], ARGV[i + 1]
                local job = p .. 'job:' .. id
                local state = redis.call('HMGET', job, 'status', 'type')
                local status, job_type = state[1], state[2]
                local claimable = status and ((mode == 'waiting' and quark_jobs_waiting(status))
                    or (mode == 'running' and status == 'RUNNING'))
                if claimable and quark_fence_stamp(job, 'lease_token', token) then
                    redis.call('ZREM', p .. 'due:' .. job_type, id)
                    quark_jobs_unindex(p, id, job_type, status)
                    quark_jobs_index(p, id, job_type, 'RUNNING')
                    redis.call('HSET', job, 'status', 'RUNNING', 'owner', owner, 'started_at', started, 'progress', 0)
                    redis.call('HINCRBY', job, 'attempt', 1)
                    redis.call('HDEL', job, 'finished_at', 'progress_message')
                    redis.call('ZADD', p .. 'running', score, id)
                    stamped[#stamped + 1] = id
                end
            end
            return stamped
            """);

    /**
     * ARGV: prefix, id, token, progress, 1 when a message follows else 0, the message, then the log lines. Returns 1
     * when written, 0 when the job is not running with the token.
     */
    static final RedisScript<Long> REPORT = RedisFencing.script(FUNCTIONS + """
            local p, id = ARGV[1], ARGV[2]
            local job = p .. 'job:' .. id
            if redis.call('HGET', job, 'status') ~= 'RUNNING' or not quark_fence_holds(job, 'lease_token', ARGV[3]) then
                return 0
            end
            redis.call('HSET', job, 'progress', ARGV[4])
            if ARGV[5] == '1' then
                redis.call('HSET', job, 'progress_message', ARGV[6])
            else
                redis.call('HDEL', job, 'progress_message')
            end
            quark_jobs_log(p, id, ARGV, 7)
            return 1
            """, Long.class);

    /**
     * ARGV: prefix, id, token, new status, due_at or '', due score or '', finished_at or '', finished score or '',
     * attempts to give back (0 or 1), progress, 1 when a message follows else 0, the message, 1 when an error
     * follows else 0, error type, 1 when an error message follows else 0, error message, stack trace, the channel to
     * publish the job's type on once written (its new status makes it due now) or '', then the log lines. Returns the
     * job's type when written (so that the caller decides whether to tell of a retry due later, which it publishes
     * itself; '' for a hash without a type, so that it is not taken for a lost lease), false (nil) when the job is not
     * running with the token.
     */
    static final RedisScript<String> FINISH = RedisFencing.script(FUNCTIONS + """
            local p, id, status = ARGV[1], ARGV[2], ARGV[4]
            local job = p .. 'job:' .. id
            if redis.call('HGET', job, 'status') ~= 'RUNNING' or not quark_fence_holds(job, 'lease_token', ARGV[3]) then
                return false
            end
            local job_type = redis.call('HGET', job, 'type')
            redis.call('ZREM', p .. 'running', id)
            quark_jobs_unindex(p, id, job_type, 'RUNNING')
            quark_jobs_index(p, id, job_type, status)
            redis.call('HSET', job, 'status', status, 'progress', ARGV[10])
            if ARGV[5] ~= '' then
                redis.call('HSET', job, 'due_at', ARGV[5])
                redis.call('ZADD', p .. 'due:' .. job_type, ARGV[6], id)
            end
            if ARGV[7] ~= '' then
                redis.call('HSET', job, 'finished_at', ARGV[7])
                redis.call('ZADD', p .. 'finished', ARGV[8], id)
            end
            if ARGV[9] ~= '0' then
                redis.call('HINCRBY', job, 'attempt', -tonumber(ARGV[9]))
            end
            if ARGV[11] == '1' then
                redis.call('HSET', job, 'progress_message', ARGV[12])
            else
                redis.call('HDEL', job, 'progress_message')
            end
            if ARGV[13] == '1' then
                redis.call('HSET', job, 'error_type', ARGV[14], 'error_stack', ARGV[17])
                if ARGV[15] == '1' then
                    redis.call('HSET', job, 'error_message', ARGV[16])
                else
                    redis.call('HDEL', job, 'error_message')
                end
            end
            quark_jobs_log(p, id, ARGV, 19)
            if ARGV[18] ~= '' then
                redis.pcall('PUBLISH', ARGV[18], job_type)
            end
            return job_type or ''
            """, String.class);

    /**
     * ARGV: prefix, id, finished_at, finished score. Returns CANCELLED, REQUESTED, ALREADY_FINISHED or NOT_FOUND.
     */
    static final RedisScript<String> CANCEL = RedisScript.of(FUNCTIONS + """
            local p, id = ARGV[1], ARGV[2]
            local job = p .. 'job:' .. id
            local state = redis.call('HMGET', job, 'status', 'type')
            local status, job_type = state[1], state[2]
            if not status then
                return 'NOT_FOUND'
            end
            if quark_jobs_waiting(status) then
                redis.call('ZREM', p .. 'due:' .. job_type, id)
                quark_jobs_unindex(p, id, job_type, status)
                quark_jobs_index(p, id, job_type, 'CANCELLED')
                redis.call('HSET', job, 'status', 'CANCELLED', 'finished_at', ARGV[3])
                redis.call('ZADD', p .. 'finished', ARGV[4], id)
                return 'CANCELLED'
            end
            if status == 'RUNNING' then
                redis.call('HSET', job, 'cancel_requested', 1)
                return 'REQUESTED'
            end
            return 'ALREADY_FINISHED'
            """, String.class);

    /** ARGV: prefix, then ids. Returns the ids running with a cancellation requested. */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> CANCELLATIONS = script("""
            local p = ARGV[1]
            local requested = {}
            for i = 2, #ARGV do
                local job = redis.call('HMGET', p .. 'job:' .. ARGV[i], 'status', 'cancel_requested')
                if job[1] == 'RUNNING' and job[2] == '1' then
                    requested[#requested + 1] = ARGV[i]
                end
            end
            return requested
            """);

    /**
     * ARGV: prefix, id, now, now score, the channel to publish the job's type on once requeued or ''. Returns {OK,
     * the job's hash, its log} as requeued (read in the script: a worker woken by the message may run the job before
     * a read after it), {NOT_FOUND}, or {the status} of a job that is not dead-lettered.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> REQUEUE = script("""
            local p, id = ARGV[1], ARGV[2]
            local job = p .. 'job:' .. id
            local state = redis.call('HMGET', job, 'status', 'type')
            local status, job_type = state[1], state[2]
            if not status then
                return {'NOT_FOUND'}
            end
            if status ~= 'DEAD_LETTERED' then
                return {status}
            end
            redis.call('ZREM', p .. 'finished', id)
            quark_jobs_unindex(p, id, job_type, status)
            quark_jobs_index(p, id, job_type, 'ENQUEUED')
            redis.call('HSET', job, 'status', 'ENQUEUED', 'due_at', ARGV[3], 'attempt', 0, 'cancel_requested', 0,
                'progress', 0)
            redis.call('HDEL', job, 'finished_at', 'progress_message')
            redis.call('ZADD', p .. 'due:' .. job_type, ARGV[4], id)
            local requeued = {'OK', redis.call('HGETALL', job), redis.call('LRANGE', p .. 'log:' .. id, 0, -1)}
            if ARGV[5] ~= '' then
                redis.pcall('PUBLISH', ARGV[5], job_type)
            end
            return requeued
            """);

    /**
     * ARGV: prefix, before score, offset, limit, then the statuses. Deletes, among the limit jobs from the offset
     * that finished first before the score, those in the statuses. Returns {deleted, looked at}.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> PURGE = script("""
            local p, before, offset, limit = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
            local statuses = {}
            for i = 5, #ARGV do
                statuses[ARGV[i]] = true
            end
            local finished = redis.call('ZRANGEBYSCORE', p .. 'finished', '-inf', '(' .. before, 'LIMIT', offset, limit)
            local deleted = 0
            for _, id in ipairs(finished) do
                local job = p .. 'job:' .. id
                local state = redis.call('HMGET', job, 'status', 'type', 'idempotency_key')
                if state[1] and statuses[state[1]] then
                    quark_jobs_unindex(p, id, state[2], state[1])
                    redis.call('ZREM', p .. 'finished', id)
                    redis.call('ZREM', p .. 'ids', id)
                    redis.call('ZREM', p .. 'type:' .. state[2], id)
                    if state[3] then
                        redis.call('DEL', p .. 'key:' .. state[3])
                    end
                    redis.call('DEL', job, p .. 'log:' .. id)
                    deleted = deleted + 1
                end
            end
            return {deleted, #finished}
            """);

    /** ARGV: prefix, then the statuses. Returns the number of jobs in each. */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> COUNT = script("""
            local counts = {}
            for i = 2, #ARGV do
                counts[#counts + 1] = redis.call('ZCARD', ARGV[1] .. 'status:' .. ARGV[i])
            end
            return counts
            """);

    private RedisJobScripts() {
    }

    @SuppressWarnings("rawtypes")
    static RedisScript<List> script(String body) {
        return RedisFencing.script(FUNCTIONS + body, List.class);
    }
}
