package dev.quark.durabletasks.store.redis;

import java.util.List;

import dev.quark.lease.redis.RedisFencing;

import org.springframework.data.redis.core.script.RedisScript;

/**
 * The Lua scripts of {@link RedisDurableTaskStore}, each one atomic step. Every script gets the key prefix with the
 * hash tag ({@code quark:{durabletasks}:}) as {@code ARGV[1]} and one key of the store as {@code KEYS[1]}, which
 * routes it; all the keys it touches carry the same hash tag, so they live in one slot.
 * <p>
 * Arguments that may be absent ({@code null} in Java) are passed as {@code ""} when absent and as {@code "="} followed
 * by the value when present ({@code opt} below). A message is passed as six arguments: instance, execution, event
 * type, event JSON, visible-at instant, visible-at score (microseconds, rounded up). A new instance is passed as ten:
 * id, name, input, parent id, parent execution, parent task, created-at, start-at, start-at score, start event JSON.
 * <p>
 * The due queue {@code mq} holds only messages an instance can take once visible: a message for an instance that
 * starts later is queued at the instance's start, and one for a suspended instance (other than a resumption or a
 * termination) is parked in {@code pq} until the instance leaves {@code SUSPENDED}. So the scan for due instances
 * never wades through messages that cannot run, however many pile up on a suspended or delayed instance.
 * <p>
 * The scripts that make work due ({@link #CREATE}, {@link #SEND}, {@link #COMMIT}, {@link #RETRY_ACTIVITY}) take a
 * channel and a notice last and publish the notice once they wrote, with {@code redis.pcall}, ignoring a refusal: a
 * {@code PUBLISH} is a hint, and one refused (a Redis 7 ACL user without the right to the channel, {@code NOPERM})
 * must not fail the write, which Redis does not roll back anyway. An empty channel publishes nothing.
 */
final class RedisDurableTaskScripts {

    /** The functions the scripts share. */
    private static final String FUNCTIONS = """
            local function dt_opt(v)
                if v == '' then
                    return false
                end
                return string.sub(v, 2)
            end
            local function dt_set_opt(key, field, v)
                local value = dt_opt(v)
                if value then
                    redis.call('HSET', key, field, value)
                else
                    redis.call('HDEL', key, field)
                end
            end
            local function dt_publish(channel, payload)
                if channel ~= '' then
                    redis.pcall('PUBLISH', channel, payload)
                end
            end
            local function dt_final(status)
                return status == 'COMPLETED' or status == 'FAILED' or status == 'TERMINATED'
            end
            local function dt_wakes(type)
                return type == 'ExecutionResumed' or type == 'ExecutionTerminated'
            end
            local function dt_add(t, a, i)
                local id = redis.call('INCR', t .. 'seq')
                redis.call('HSET', t .. 'msg:' .. id, 'instance', a[i], 'execution', a[i + 1], 'type', a[i + 2],
                    'event', a[i + 3], 'visible_at', a[i + 4])
                redis.call('ZADD', t .. 'm:' .. a[i], id, id)
                local instance = redis.call('HMGET', t .. 'i:' .. a[i], 'status', 'start_score')
                local score = a[i + 5]
                if instance[2] and tonumber(instance[2]) > tonumber(score) then
                    score = instance[2]
                end
                if instance[1] == 'SUSPENDED' and not dt_wakes(a[i + 2]) then
                    redis.call('ZADD', t .. 'pq', score, id)
                else
                    redis.call('ZADD', t .. 'mq', score, id)
                end
            end
            local function dt_move(t, id, from, to, all)
                for _, mid in ipairs(redis.call('ZRANGE', t .. 'm:' .. id, 0, -1)) do
                    local score = redis.call('ZSCORE', t .. from, mid)
                    if score and (all or not dt_wakes(redis.call('HGET', t .. 'msg:' .. mid, 'type'))) then
                        redis.call('ZREM', t .. from, mid)
                        redis.call('ZADD', t .. to, score, mid)
                    end
                end
            end
            local function dt_add_if_exists(t, a, i)
                if redis.call('EXISTS', t .. 'i:' .. a[i]) == 1 then
                    dt_add(t, a, i)
                end
            end
            local function dt_insert(t, a, i)
                local id = a[i]
                local key = t .. 'i:' .. id
                if redis.call('EXISTS', key) == 1 then
                    return false
                end
                redis.call('HSET', key, 'name', a[i + 1], 'status', 'PENDING', 'execution', 1, 'history_length', 0,
                    'created_at', a[i + 6], 'updated_at', a[i + 6], 'start_at', a[i + 7], 'start_score', a[i + 8],
                    'version', a[i + 10])
                dt_set_opt(key, 'input', a[i + 2])
                local parent = dt_opt(a[i + 3])
                if parent then
                    redis.call('HSET', key, 'parent_id', parent, 'parent_execution', a[i + 4], 'parent_task', a[i + 5])
                end
                redis.call('ZADD', t .. 'ids', 0, id)
                redis.call('ZADD', t .. 's:PENDING', 0, id)
                local start = {id, '1', 'ExecutionStarted', a[i + 9], a[i + 7], a[i + 8]}
                dt_add(t, start, 1)
                return true
            end
            """;

    /**
     * ARGV: prefix, the new instance (11), the channel to publish on once created or '', the message. Returns 1 when
     * created, 0 when the id is taken.
     */
    static final RedisScript<Long> CREATE = script("""
            if dt_insert(ARGV[1], ARGV, 2) then
                dt_publish(ARGV[13], ARGV[14])
                return 1
            end
            return 0
            """, Long.class);

    /**
     * ARGV: prefix, the message (6), the channel to publish on once queued or '', the notice. Returns 1 when queued,
     * 0 when the instance is missing or finished.
     */
    static final RedisScript<Long> SEND = script("""
            local status = redis.call('HGET', ARGV[1] .. 'i:' .. ARGV[2], 'status')
            if not status or dt_final(status) then
                return 0
            end
            dt_add(ARGV[1], ARGV, 2)
            dt_publish(ARGV[8], ARGV[9])
            return 1
            """, Long.class);

    /** ARGV: prefix, then ids. Returns the fields of each instance's hash, {} when gone. */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> READ = script("""
            local t = ARGV[1]
            local records = {}
            for i = 2, #ARGV do
                records[i - 1] = redis.call('HGETALL', t .. 'i:' .. ARGV[i])
            end
            return records
            """, List.class);

    /** ARGV: prefix, then statuses. Returns the number of instances in each. */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> COUNT = script("""
            local counts = {}
            for i = 2, #ARGV do
                counts[i - 1] = redis.call('ZCARD', ARGV[1] .. 's:' .. ARGV[i])
            end
            return counts
            """, List.class);

    /**
     * ARGV: prefix, now (score), the most ids, the most messages to look at. Returns the ids of instances with messages
     * visible now, whose start has come (a suspended one only for a resumption or a termination), by their oldest
     * such message.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> DUE_INSTANCES = script("""
            local t, now, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
            local first, order, instances = {}, {}, {}
            for _, mid in ipairs(redis.call('ZRANGEBYSCORE', t .. 'mq', '-inf', ARGV[2], 'LIMIT', 0, ARGV[4])) do
                local message = redis.call('HMGET', t .. 'msg:' .. mid, 'instance', 'type')
                local id = message[1]
                if id and first[id] == nil then
                    local instance = instances[id]
                    if instance == nil then
                        instance = redis.call('HMGET', t .. 'i:' .. id, 'status', 'start_score')
                        instances[id] = instance
                    end
                    if instance[1] and tonumber(instance[2]) <= now and (instance[1] ~= 'SUSPENDED'
                            or message[2] == 'ExecutionResumed' or message[2] == 'ExecutionTerminated') then
                        first[id] = tonumber(mid)
                        order[#order + 1] = id
                    end
                end
            end
            table.sort(order, function(a, b) return first[a] < first[b] end)
            local due = {}
            for i = 1, math.min(limit, #order) do
                due[i] = order[i]
            end
            return due
            """, List.class);

    /**
     * ARGV: prefix, id, token, now (score). Stamps the instance with the token; returns {hash fields, history, visible
     * messages as id, execution, event, visible-at...}, or {} when the instance is gone or a newer token stamped it.
     * Parked suspensions are among the messages, so that a resumption takes the suspensions before it along.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> CLAIM_INSTANCE = script("""
            local t, id, now = ARGV[1], ARGV[2], tonumber(ARGV[4])
            local key = t .. 'i:' .. id
            if redis.call('EXISTS', key) == 0 or not quark_fence_stamp(key, 'lease_token', ARGV[3]) then
                return {}
            end
            local messages = {}
            for _, mid in ipairs(redis.call('ZRANGE', t .. 'm:' .. id, 0, -1)) do
                local score = redis.call('ZSCORE', t .. 'mq', mid)
                if not score then
                    local parked = redis.call('ZSCORE', t .. 'pq', mid)
                    if parked and redis.call('HGET', t .. 'msg:' .. mid, 'type') == 'ExecutionSuspended' then
                        score = parked
                    end
                end
                if score and tonumber(score) <= now then
                    local message = redis.call('HMGET', t .. 'msg:' .. mid, 'execution', 'event', 'visible_at')
                    messages[#messages + 1] = mid
                    messages[#messages + 1] = message[1]
                    messages[#messages + 1] = message[2]
                    messages[#messages + 1] = message[3]
                end
            end
            return {redis.call('HGETALL', key), redis.call('LRANGE', t .. 'h:' .. id, 0, -1), messages}
            """, List.class);

    /**
     * ARGV: prefix, id, token, expected history length, status, output, failure, continue-as-new ('1'/'0'), next
     * input, updated-at, custom status (left as it is when absent), the version of the execution the commit starts
     * (left as it is when absent); then counted groups: events, consumed message ids, messages (6 each), children (the new
     * instance, 11, and the message to the parent when its id is taken, 6), activity calls (id, instance, execution,
     * task, name, input, options, scheduled-at, score); then the channel to publish on once written or '', and the
     * notice. Returns OK, GONE, LEASE or CONFLICT:{length}.
     */
    static final RedisScript<String> COMMIT = script("""
            local t, id, token, expected = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
            local key = t .. 'i:' .. id
            if redis.call('EXISTS', key) == 0 then
                return 'GONE'
            end
            if not quark_fence_holds(key, 'lease_token', token) then
                return 'LEASE'
            end
            local length = tonumber(redis.call('HGET', key, 'history_length'))
            if length ~= expected then
                return 'CONFLICT:' .. length
            end
            local continued = ARGV[8] == '1'
            local history = t .. 'h:' .. id
            if continued then
                redis.call('DEL', history)
            end
            local i = 13
            local events = tonumber(ARGV[i])
            i = i + 1
            for _ = 1, events do
                redis.call('RPUSH', history, ARGV[i])
                i = i + 1
            end
            local consumed = tonumber(ARGV[i])
            i = i + 1
            for _ = 1, consumed do
                local mid = ARGV[i]
                i = i + 1
                if redis.call('ZREM', t .. 'm:' .. id, mid) == 1 then
                    redis.call('DEL', t .. 'msg:' .. mid)
                    redis.call('ZREM', t .. 'mq', mid)
                    redis.call('ZREM', t .. 'pq', mid)
                end
            end
            local old = redis.call('HGET', key, 'status')
            local status = ARGV[5]
            redis.call('HSET', key, 'status', status, 'history_length', continued and 0 or (expected + events),
                'updated_at', ARGV[10])
            dt_set_opt(key, 'output', ARGV[6])
            dt_set_opt(key, 'failure', ARGV[7])
            local custom = dt_opt(ARGV[11])
            if custom then
                redis.call('HSET', key, 'custom_status', custom)
            end
            local version = dt_opt(ARGV[12])
            if version then
                redis.call('HSET', key, 'version', version)
            end
            if continued then
                redis.call('HINCRBY', key, 'execution', 1)
                dt_set_opt(key, 'input', ARGV[9])
            end
            if old ~= status then
                redis.call('ZREM', t .. 's:' .. old, id)
                redis.call('ZADD', t .. 's:' .. status, 0, id)
                if status == 'SUSPENDED' then
                    dt_move(t, id, 'mq', 'pq', false)
                elseif old == 'SUSPENDED' then
                    dt_move(t, id, 'pq', 'mq', true)
                end
            end
            local messages = tonumber(ARGV[i])
            local messagesAt = i + 1
            i = messagesAt + messages * 6
            local children = tonumber(ARGV[i])
            i = i + 1
            for _ = 1, children do
                if not dt_insert(t, ARGV, i) then
                    dt_add_if_exists(t, ARGV, i + 11)
                end
                i = i + 17
            end
            for m = 0, messages - 1 do
                dt_add_if_exists(t, ARGV, messagesAt + m * 6)
            end
            local activities = tonumber(ARGV[i])
            i = i + 1
            for _ = 1, activities do
                local aid = ARGV[i]
                local activity = t .. 'a:' .. aid
                if redis.call('EXISTS', activity) == 0 then
                    redis.call('HSET', activity, 'instance', ARGV[i + 1], 'execution', ARGV[i + 2], 'task', ARGV[i + 3],
                        'name', ARGV[i + 4], 'options', ARGV[i + 6], 'attempt', 1, 'scheduled_at', ARGV[i + 7],
                        'visible_at', ARGV[i + 7])
                    dt_set_opt(activity, 'input', ARGV[i + 5])
                    redis.call('ZADD', t .. 'aq', ARGV[i + 8], aid)
                    redis.call('SADD', t .. 'ia:' .. ARGV[i + 1], aid)
                end
                i = i + 9
            end
            dt_publish(ARGV[i], ARGV[i + 1])
            return 'OK'
            """, String.class);

    /** ARGV: prefix, now (score), the most ids. Returns the ids of activity calls due now, the longest due first. */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> DUE_ACTIVITIES = script("""
            return redis.call('ZRANGEBYSCORE', ARGV[1] .. 'aq', '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])
            """, List.class);

    /**
     * ARGV: prefix, now (score). Returns the earliest score after now of the messages an instance can take and of the
     * activity calls, or false (nil to the caller) when there is none.
     */
    static final RedisScript<Long> NEXT_VISIBLE = RedisScript.of("""
            local earliest = false
            for _, queue in ipairs({'mq', 'aq'}) do
                local next = redis.call('ZRANGEBYSCORE', ARGV[1] .. queue, '(' .. ARGV[2], '+inf', 'WITHSCORES', 'LIMIT',
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

    /**
     * ARGV: prefix, activity id, token, now (score). Stamps the call with the token; returns its hash fields, or {}
     * when it is gone, not due or stamped with a newer token.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> CLAIM_ACTIVITY = script("""
            local t, aid = ARGV[1], ARGV[2]
            local key = t .. 'a:' .. aid
            local score = redis.call('ZSCORE', t .. 'aq', aid)
            if redis.call('EXISTS', key) == 0 or not score or tonumber(score) > tonumber(ARGV[4]) then
                return {}
            end
            if not quark_fence_stamp(key, 'lease_token', ARGV[3]) then
                return {}
            end
            return redis.call('HGETALL', key)
            """, List.class);

    /**
     * ARGV: prefix, activity id, token, the outcome message (6). Removes the call and queues the outcome if the
     * instance has not finished; returns 1, or 0 when the call is gone or stamped with another token.
     */
    static final RedisScript<Long> COMPLETE_ACTIVITY = script("""
            local t, aid = ARGV[1], ARGV[2]
            local key = t .. 'a:' .. aid
            if not quark_fence_holds(key, 'lease_token', ARGV[3]) then
                return 0
            end
            local instance = redis.call('HGET', key, 'instance')
            redis.call('DEL', key)
            redis.call('ZREM', t .. 'aq', aid)
            redis.call('SREM', t .. 'ia:' .. instance, aid)
            local status = redis.call('HGET', t .. 'i:' .. ARGV[4], 'status')
            if status and not dt_final(status) then
                dt_add(t, ARGV, 4)
            end
            return 1
            """, Long.class);

    /**
     * ARGV: prefix, activity id, token, next attempt, visible-at, visible-at score, the channel to publish on once
     * put back or '', the notice. Returns 1 when put back, 0 when the call is gone or stamped with another token.
     */
    static final RedisScript<Long> RETRY_ACTIVITY = script("""
            local t, aid = ARGV[1], ARGV[2]
            local key = t .. 'a:' .. aid
            if not quark_fence_holds(key, 'lease_token', ARGV[3]) then
                return 0
            end
            redis.call('HSET', key, 'attempt', ARGV[4], 'visible_at', ARGV[5])
            redis.call('ZADD', t .. 'aq', ARGV[6], aid)
            dt_publish(ARGV[7], ARGV[8])
            return 1
            """, Long.class);

    /**
     * ARGV: prefix, activity id, token, details. Returns 1 when recorded, 0 when the call is gone or stamped with
     * another token.
     */
    static final RedisScript<Long> RECORD_HEARTBEAT = script("""
            local key = ARGV[1] .. 'a:' .. ARGV[2]
            if not quark_fence_holds(key, 'lease_token', ARGV[3]) then
                return 0
            end
            redis.call('HSET', key, 'heartbeat_details', ARGV[4])
            return 1
            """, Long.class);

    /** ARGV: prefix, id. Deletes a finished instance with everything of it; returns 1, or 0 when not finished. */
    static final RedisScript<Long> PURGE = script("""
            local t, id = ARGV[1], ARGV[2]
            local key = t .. 'i:' .. id
            local status = redis.call('HGET', key, 'status')
            if not status or not dt_final(status) then
                return 0
            end
            for _, mid in ipairs(redis.call('ZRANGE', t .. 'm:' .. id, 0, -1)) do
                redis.call('DEL', t .. 'msg:' .. mid)
                redis.call('ZREM', t .. 'mq', mid)
                redis.call('ZREM', t .. 'pq', mid)
            end
            for _, aid in ipairs(redis.call('SMEMBERS', t .. 'ia:' .. id)) do
                redis.call('DEL', t .. 'a:' .. aid)
                redis.call('ZREM', t .. 'aq', aid)
            end
            redis.call('DEL', key, t .. 'h:' .. id, t .. 'm:' .. id, t .. 'ia:' .. id)
            redis.call('ZREM', t .. 'ids', id)
            redis.call('ZREM', t .. 's:' .. status, id)
            return 1
            """, Long.class);

    private RedisDurableTaskScripts() {
    }

    private static <T> RedisScript<T> script(String body, Class<T> resultType) {
        return RedisFencing.script(FUNCTIONS + body, resultType);
    }
}
