package dev.quark.jobs.store.redis;

import java.util.List;

import dev.quark.lease.redis.RedisFencing;

import org.springframework.data.redis.core.script.RedisScript;

/**
 * The Lua scripts of {@link RedisJobStore}, each one step that runs in isolation (Redis does not roll back a script
 * that fails halfway, so each checks what it needs before it writes). Every script gets the key prefix with the hash tag
 * ({@code quark:{jobs}:}) as {@code ARGV[1]} and one key of the store as {@code KEYS[1]}, which routes it; all the
 * keys it touches carry the same hash tag, so they live in one slot.
 * <p>
 * Time: the scripts that grant, renew, free or read a job's lease read the server's clock once ({@code TIME}, in
 * milliseconds) and compare it with the hash's {@code lease_expires_at}; due times are the worker's, passed in. A
 * script that reads {@code TIME} and then writes must be replicated by its effects, so that replicas and the AOF get
 * the written expiry, not a second reading of the clock: the shared functions start with
 * {@code redis.replicate_commands()}, which turns that on from Redis 3.2 to 6 whatever {@code lua-replicate-commands}
 * says (the default from Redis 5) and does nothing on Redis 7, where scripts are always replicated so. The scripts
 * need Redis 4.0 or later ({@code HSET} of several fields).
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
            redis.replicate_commands()
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
            local function quark_jobs_log(p, id, lines, from, to)
                local key = p .. 'log:' .. id
                redis.call('DEL', key)
                local chunk = {}
                for i = from, to or #lines do
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
            local function quark_jobs_now()
                local time = redis.call('TIME')
                return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
            end
            local function quark_jobs_lease_free(expires_at, now)
                return not expires_at or tonumber(expires_at) <= now
            end
            local function quark_jobs_expiry(p, id, expires_at, only_kept)
                if only_kept then
                    redis.call('ZADD', p .. 'lease-expiry', 'XX', expires_at, id)
                else
                    redis.call('ZADD', p .. 'lease-expiry', expires_at, id)
                end
            end
            local function quark_jobs_lease(p, id, owner, now, duration, only_kept)
                local job = p .. 'job:' .. id
                local token = redis.call('HINCRBY', job, 'lease_token', 1)
                local expires_at = string.format('%d', now + duration)
                redis.call('HSET', job, 'lease_owner', owner, 'lease_expires_at', expires_at)
                quark_jobs_expiry(p, id, expires_at, only_kept)
                return token
            end
            local quark_jobs_required = {'type', 'status', 'attempt', 'created_at', 'due_at'}
            local function quark_jobs_missing(job, values)
                values = values or redis.call('HMGET', job, unpack(quark_jobs_required))
                if not values[2] and redis.call('EXISTS', job) == 0 then
                    return false
                end
                for i = 1, #quark_jobs_required do
                    if not values[i] then
                        return quark_jobs_required[i]
                    end
                end
                if redis.call('HEXISTS', job, 'payload') == 0 then
                    return 'payload'
                end
                return false
            end
            local function quark_jobs_break(p, id, set, missing, now)
                redis.call('ZREM', set, id)
                redis.call('ZREM', p .. 'lease-expiry', id)
                redis.call('ZADD', p .. 'broken', now, id)
                return {id, missing}
            end
            local quark_jobs_restored = {'status', 'owner', 'started_at', 'finished_at', 'progress', 'progress_message'}
            local function quark_jobs_claim(p, id, job_type, status, former_owner, claim, now, former_score)
                local job = p .. 'job:' .. id
                local values = redis.call('HMGET', job, unpack(quark_jobs_restored))
                local former = {}
                for i = 1, #quark_jobs_restored do
                    if values[i] then
                        former[#former + 1] = quark_jobs_restored[i]
                        former[#former + 1] = values[i]
                    end
                end
                if status ~= 'RUNNING' then
                    quark_jobs_unindex(p, id, job_type, status)
                    quark_jobs_index(p, id, job_type, 'RUNNING')
                end
                local token = quark_jobs_lease(p, id, claim.owner, now, claim.duration, false)
                redis.call('HSET', job, 'status', 'RUNNING', 'owner', claim.owner, 'started_at', claim.started,
                    'progress', 0)
                redis.call('HINCRBY', job, 'attempt', 1)
                redis.call('HDEL', job, 'finished_at', 'progress_message')
                redis.call('ZADD', p .. 'running', claim.score, id)
                return {id, token, former_owner or '', redis.call('HGETALL', job),
                    redis.call('LRANGE', p .. 'log:' .. id, 0, -1), former, former_score}
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
     * ARGV: prefix, owner, started_at, started score, lease duration in ms, max, due-by score (the worker's clock),
     * candidates, number of excluded ids n, the n ids, then pairs of type and room. Takes, of the waiting jobs of
     * the types due by the score whose lease is free (on the server's clock), up to candidates in due order (then id),
     * chooses among them as {@code Claim.choose} does (at most max, each type within its room) and claims those
     * ({@code quark_jobs_claim}). A job met on the way whose hash lacks a field the mapping needs
     * ({@code quark_jobs_missing}) is moved from its due set to {@code broken} ({@code quark_jobs_break}), and the look
     * goes on past it, so it takes neither a candidate's place nor room.
     * A dead entry of a due set (its hash gone, or its job no longer waiting) is removed on the way. At most 1,000
     * jobs of a type are moved or removed so per script; the next claims go on.
     * Returns per job claimed {id, token, former owner or '', hash, log, the fields of {@code quark_jobs_restored} the
     * hash had before as pairs, its due score} ({@link #UNCLAIM} takes the last two back), and per job moved to
     * {@code broken} {id, the missing field}.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> CLAIM_DUE = script("""
            local p, max, due_by, candidates, n = ARGV[1], tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8]),
                tonumber(ARGV[9])
            local claim = {owner = ARGV[2], started = ARGV[3], score = ARGV[4], duration = tonumber(ARGV[5])}
            local excluded = {}
            for i = 10, 9 + n do
                excluded[ARGV[i]] = true
            end
            local now = quark_jobs_now()
            local room = {}
            local found = {}
            local claimed = {}
            for i = 10 + n, #ARGV, 2 do
                local job_type = ARGV[i]
                room[job_type] = tonumber(ARGV[i + 1])
                local due_key = p .. 'due:' .. job_type
                local offset, kept, skipped = 0, 0, 0
                while room[job_type] > 0 and kept < candidates + n and skipped < 1000 do
                    local due = redis.call('ZRANGEBYSCORE', due_key, '-inf', due_by, 'WITHSCORES', 'LIMIT', offset,
                        candidates + n - kept)
                    if #due == 0 then
                        break
                    end
                    for j = 1, #due, 2 do
                        local id = due[j]
                        local job = p .. 'job:' .. id
                        local state = redis.call('HMGET', job, 'lease_expires_at', unpack(quark_jobs_required))
                        local lease_expires_at = table.remove(state, 1)
                        local missing = not excluded[id] and quark_jobs_missing(job, state)
                        if missing then
                            claimed[#claimed + 1] = quark_jobs_break(p, id, due_key, missing, now)
                            skipped = skipped + 1
                        elseif not quark_jobs_waiting(state[2]) then
                            redis.call('ZREM', due_key, id)
                            skipped = skipped + 1
                        else
                            offset = offset + 1
                            kept = kept + 1
                            if not excluded[id] and quark_jobs_lease_free(lease_expires_at, now) then
                                found[#found + 1] = {tonumber(due[j + 1]), id, job_type}
                            end
                        end
                    end
                end
            end
            table.sort(found, function(a, b)
                if a[1] ~= b[1] then
                    return a[1] < b[1]
                end
                return a[2] < b[2]
            end)
            local taken = 0
            for i = 1, math.min(candidates, #found) do
                if taken == max then
                    break
                end
                local id, job_type = found[i][2], found[i][3]
                if room[job_type] > 0 then
                    local job = p .. 'job:' .. id
                    local state = redis.call('HMGET', job, 'status', 'owner')
                    if quark_jobs_waiting(state[1]) then
                        redis.call('ZREM', p .. 'due:' .. job_type, id)
                        room[job_type] = room[job_type] - 1
                        taken = taken + 1
                        claimed[#claimed + 1] = quark_jobs_claim(p, id, job_type, state[1], state[2], claim, now,
                            found[i][1])
                    end
                end
            end
            return claimed
            """);

    /**
     * ARGV: prefix, owner, started_at, started score, lease duration in ms, max, how many running jobs to look at,
     * number of excluded ids n, the n ids, then pairs of type and room. Takes over, among the running jobs whose lease
     * is free (expired on the server's clock, released, or never kept in the hash: a job a version before the leases
     * in the hashes left running), read from {@code lease-expiry} by score up to now (earliest expiry first, at most
     * the limit), those of the types with room, as many as {@code Claim.choose} chooses. {@code lease-expiry} holds
     * every running job scored by its lease's expiry (0 once released): a claim adds the job, the lease scripts
     * update its score ({@code ZADD XX}: only jobs a claim put there), an outcome removes it, so the look costs
     * O(log n + limit) whatever the number of running jobs. A member found stale is mended on the way: one no longer
     * running is removed, one whose lease is held gets its expiry back. Upgrading: when {@code running} has more
     * members than {@code lease-expiry} (jobs an earlier version left running), the script first adds those missing,
     * scored by their lease or 0, and drops members of {@code running} that are no longer running; once, as the counts
     * are equal after it. A running job whose lease is free and whose hash lacks a field the mapping needs
     * (its type among them, so that no claim would ever take it over) is moved from the running set to
     * {@code broken}. Returns what {@link #CLAIM_DUE} returns, with the running score in place of the due score.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> CLAIM_ABANDONED = script("""
            local p, max, limit, n = ARGV[1], tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
            local claim = {owner = ARGV[2], started = ARGV[3], score = ARGV[4], duration = tonumber(ARGV[5])}
            local excluded = {}
            for i = 9, 8 + n do
                excluded[ARGV[i]] = true
            end
            local room = {}
            for i = 9 + n, #ARGV, 2 do
                room[ARGV[i]] = tonumber(ARGV[i + 1])
            end
            local now = quark_jobs_now()
            local claimed = {}
            local taken = 0
            local expiry = p .. 'lease-expiry'
            if redis.call('ZCARD', p .. 'running') > redis.call('ZCARD', expiry) then
                for _, id in ipairs(redis.call('ZRANGE', p .. 'running', 0, -1)) do
                    if not redis.call('ZSCORE', expiry, id) then
                        local state = redis.call('HMGET', p .. 'job:' .. id, 'status', 'lease_expires_at')
                        if state[1] == 'RUNNING' then
                            quark_jobs_expiry(p, id, state[2] or 0, false)
                        else
                            redis.call('ZREM', p .. 'running', id)
                        end
                    end
                end
            end
            for _, id in ipairs(redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, limit + n)) do
                if taken == max then
                    break
                end
                if not excluded[id] then
                    local job = p .. 'job:' .. id
                    local state = redis.call('HMGET', job, 'type', 'status', 'owner', 'lease_expires_at')
                    local job_type = state[1]
                    if state[2] ~= 'RUNNING' then
                        redis.call('ZREM', expiry, id)
                    elseif not quark_jobs_lease_free(state[4], now) then
                        quark_jobs_expiry(p, id, state[4], false)
                    else
                        local missing = quark_jobs_missing(job)
                        if missing then
                            claimed[#claimed + 1] = quark_jobs_break(p, id, p .. 'running', missing, now)
                        elseif room[job_type] and room[job_type] > 0 then
                            room[job_type] = room[job_type] - 1
                            taken = taken + 1
                            claimed[#claimed + 1] = quark_jobs_claim(p, id, job_type, 'RUNNING', state[3], claim, now,
                                redis.call('ZSCORE', p .. 'running', id) or claim.score)
                        end
                    end
                end
            end
            return claimed
            """);

    /**
     * ARGV: prefix, id, the token its claim granted, the job's score in the set it was claimed from (due or running),
     * then pairs of field and value: the fields of {@code quark_jobs_restored} the hash had before the claim. Puts back
     * what the claim changed in a job it stamped but whose hash the caller could not read: status, owner, times and
     * progress as they were (fields absent before deleted), the attempt it added taken back, the lease freed (owner and
     * expiry deleted; the token stays spent, so later tokens are still greater), the job back in its due set or the
     * running set with its score and in its status's indexes. Returns 1 when put back, 0 when the job is not running
     * with the token.
     */
    static final RedisScript<Long> UNCLAIM = RedisFencing.script(FUNCTIONS + """
            local p, id, score = ARGV[1], ARGV[2], ARGV[4]
            local job = p .. 'job:' .. id
            if redis.call('HGET', job, 'status') ~= 'RUNNING' or not quark_fence_holds(job, 'lease_token', ARGV[3]) then
                return 0
            end
            local job_type = redis.call('HGET', job, 'type')
            local former = {}
            for i = 5, #ARGV, 2 do
                former[ARGV[i]] = ARGV[i + 1]
            end
            local status = former['status']
            redis.call('HDEL', job, 'lease_owner', 'lease_expires_at', unpack(quark_jobs_restored))
            for i = 5, #ARGV, 2 do
                redis.call('HSET', job, ARGV[i], ARGV[i + 1])
            end
            redis.call('HINCRBY', job, 'attempt', -1)
            if status ~= 'RUNNING' then
                redis.call('ZREM', p .. 'running', id)
                redis.call('ZREM', p .. 'lease-expiry', id)
                quark_jobs_unindex(p, id, job_type, 'RUNNING')
                quark_jobs_index(p, id, job_type, status)
                redis.call('ZADD', p .. 'due:' .. job_type, score, id)
            else
                redis.call('ZADD', p .. 'running', score, id)
                quark_jobs_expiry(p, id, 0, false)
            end
            return 1
            """, Long.class);

    /**
     * ARGV: prefix, owner, lease duration in ms, max, then job ids. Grants the lease of each job that exists and whose
     * lease is free, in order, until max are granted, without changing the job otherwise. Returns {index of the id
     * (1-based), token, ...}.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> LEASE_ACQUIRE = script("""
            local p, owner, duration, max = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
            local now = quark_jobs_now()
            local granted = {}
            for i = 5, #ARGV do
                if #granted == 2 * max then
                    break
                end
                local job = p .. 'job:' .. ARGV[i]
                local state = redis.call('HMGET', job, 'status', 'lease_expires_at')
                if state[1] and quark_jobs_lease_free(state[2], now) then
                    granted[#granted + 1] = i - 4
                    granted[#granted + 1] = quark_jobs_lease(p, ARGV[i], owner, now, duration, true)
                end
            end
            return granted
            """);

    /**
     * ARGV: prefix, lease duration in ms, then pairs of job id and token. Extends, from now on the server's clock,
     * each lease whose token is the job's and that has not expired. Returns the indexes (1-based) of the pairs
     * extended.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> LEASE_EXTEND = script("""
            local p, duration = ARGV[1], tonumber(ARGV[2])
            local now = quark_jobs_now()
            local extended = {}
            for i = 3, #ARGV, 2 do
                local job = p .. 'job:' .. ARGV[i]
                local state = redis.call('HMGET', job, 'lease_token', 'lease_expires_at')
                if state[1] and tonumber(state[1]) == tonumber(ARGV[i + 1]) and not quark_jobs_lease_free(state[2], now) then
                    local expires_at = string.format('%d', now + duration)
                    redis.call('HSET', job, 'lease_expires_at', expires_at)
                    quark_jobs_expiry(p, ARGV[i], expires_at, true)
                    extended[#extended + 1] = (i - 1) / 2
                end
            end
            return extended
            """);

    /**
     * ARGV: prefix, then pairs of job id and token. Frees each lease whose token is the job's, expired or not.
     * Returns the indexes (1-based) of the pairs whose lease was unexpired until freed.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> LEASE_REMOVE = script("""
            local p = ARGV[1]
            local now = quark_jobs_now()
            local removed = {}
            for i = 2, #ARGV, 2 do
                local job = p .. 'job:' .. ARGV[i]
                local state = redis.call('HMGET', job, 'lease_token', 'lease_expires_at')
                if state[1] and tonumber(state[1]) == tonumber(ARGV[i + 1]) and state[2] then
                    redis.call('HDEL', job, 'lease_expires_at')
                    quark_jobs_expiry(p, ARGV[i], 0, true)
                    if not quark_jobs_lease_free(state[2], now) then
                        removed[#removed + 1] = i / 2
                    end
                end
            end
            return removed
            """);

    /** ARGV: prefix, job id. Returns {} when the job's lease is free, else {owner, token, remaining ms}. */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> LEASE_READ = script("""
            local state = redis.call('HMGET', ARGV[1] .. 'job:' .. ARGV[2], 'lease_owner', 'lease_token',
                'lease_expires_at')
            local now = quark_jobs_now()
            if not state[2] or quark_jobs_lease_free(state[3], now) then
                return {}
            end
            return {state[1] or '', tonumber(state[2]), tonumber(state[3]) - now}
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
     * {@code quark_jobs_finish(p, a, o, log_to)}: ends a running job's attempt from the arguments {@code a[o]} on, in
     * the order {@link #FINISH} takes them (id first), its log lines from {@code a[o + 17]} to {@code a[log_to]}.
     * Returns the job's type, or false, before any write, when the job is not running with the token or its hash has
     * no type (the indexes are per type; the job then stays {@code RUNNING} until its lease expires, and the take-over
     * moves it to {@code broken}). Every other write it makes takes the caller's arguments as they are, so it cannot
     * fail halfway: a batch ({@link #FINISH_ALL}) never stops after writing some of its outcomes.
     */
    private static final String FINISHING = """
            local function quark_jobs_finish(p, a, o, log_to)
                local id, status = a[o], a[o + 2]
                local job = p .. 'job:' .. id
                if redis.call('HGET', job, 'status') ~= 'RUNNING' or not quark_fence_holds(job, 'lease_token', a[o + 1]) then
                    return false
                end
                local job_type = redis.call('HGET', job, 'type')
                if not job_type then
                    return false
                end
                redis.call('ZREM', p .. 'running', id)
                redis.call('ZREM', p .. 'lease-expiry', id)
                quark_jobs_unindex(p, id, job_type, 'RUNNING')
                quark_jobs_index(p, id, job_type, status)
                redis.call('HSET', job, 'status', status, 'progress', a[o + 8])
                redis.call('HDEL', job, 'lease_expires_at')
                if a[o + 3] ~= '' then
                    redis.call('HSET', job, 'due_at', a[o + 3])
                    redis.call('ZADD', p .. 'due:' .. job_type, a[o + 4], id)
                end
                if a[o + 5] ~= '' then
                    redis.call('HSET', job, 'finished_at', a[o + 5])
                    redis.call('ZADD', p .. 'finished', a[o + 6], id)
                end
                if a[o + 7] ~= '0' then
                    redis.call('HINCRBY', job, 'attempt', -tonumber(a[o + 7]))
                end
                if a[o + 9] == '1' then
                    redis.call('HSET', job, 'progress_message', a[o + 10])
                else
                    redis.call('HDEL', job, 'progress_message')
                end
                if a[o + 11] == '1' then
                    redis.call('HSET', job, 'error_type', a[o + 12], 'error_stack', a[o + 15])
                    if a[o + 13] == '1' then
                        redis.call('HSET', job, 'error_message', a[o + 14])
                    else
                        redis.call('HDEL', job, 'error_message')
                    end
                end
                quark_jobs_log(p, id, a, o + 17, log_to)
                if a[o + 16] ~= '' then
                    redis.pcall('PUBLISH', a[o + 16], job_type)
                end
                return job_type
            end
            """;

    /**
     * ARGV: prefix, id, token, new status, due_at or '', due score or '', finished_at or '', finished score or '',
     * attempts to give back (0 or 1), progress, 1 when a message follows else 0, the message, 1 when an error
     * follows else 0, error type, 1 when an error message follows else 0, error message, stack trace, the channel to
     * publish the job's type on once written (its new status makes it due now) or '', then the log lines. Frees the
     * job's lease when written. Returns the job's type when written (so that the caller decides whether to tell of a retry due later, which it publishes
     * itself), false (nil) when the job is not running with the token or its hash has no type.
     */
    static final RedisScript<String> FINISH = RedisFencing.script(FUNCTIONS + FINISHING + """
            return quark_jobs_finish(ARGV[1], ARGV, 2, #ARGV)
            """, String.class);

    /**
     * ARGV: prefix, then per outcome the number of its log lines, the arguments {@link #FINISH} takes from the id to
     * the channel, and its log lines. Ends each attempt whose job is running with the outcome's token, as
     * {@link #FINISH} does, all in one script, which runs in isolation (Redis does not roll a script back: every
     * outcome is checked before its own writes, and none of them can fail after the check). Returns per outcome, in order, '1' followed by the job's type when
     * written, '0' when refused.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> FINISH_ALL = RedisFencing.script(FUNCTIONS + FINISHING + """
            local results = {}
            local i = 2
            while i <= #ARGV do
                local lines = tonumber(ARGV[i])
                local log_to = i + 17 + lines
                local job_type = quark_jobs_finish(ARGV[1], ARGV, i + 1, log_to)
                results[#results + 1] = job_type and ('1' .. job_type) or '0'
                i = log_to + 1
            end
            return results
            """, List.class);

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
