package dev.quark.messaging.store.redis;

import java.util.List;

import org.springframework.data.redis.core.script.RedisScript;

import dev.quark.lease.redis.RedisFencing;

/**
 * The Lua scripts of {@link RedisOutboxStore}. Every key a script touches is passed in {@code KEYS}; all carry the
 * hash tag {@code {outbox}}.
 */
final class RedisOutboxScripts {

    /** The fields of a message's hash, in the order {@link #READ} returns them. */
    static final List<String> FIELDS = List.of("id", "sequence", "destination", "key", "partition", "payload_type",
            "payload", "headers", "created_at", "status", "attempts", "retry_at", "finished_at", "last_error");

    /** How many keys each appended message adds to {@link #APPEND_FUNCTION}'s keys. */
    static final int KEYS_PER_MESSAGE = 3;

    /** How many arguments each appended message adds to {@link #APPEND_FUNCTION}'s arguments. */
    static final int ARGUMENTS_PER_MESSAGE = 9;

    /**
     * {@code quark_outbox_append(keys, args, key_base, arg_base, count)}: appends {@code count} messages. Keys from
     * {@code key_base + 1}: the sequence, the pending index, then per message its hash, its partition's pending set
     * and its partition's key hash. Arguments from {@code arg_base + 1}, per message: id, destination, key, partition,
     * payload type, payload, headers JSON, created at (ISO), created at (ms). Checks every id first and writes
     * nothing when one exists: returns the existing id then, else {@code false} after writing them all.
     */
    static final String APPEND_FUNCTION = """
            local function quark_outbox_append(keys, args, key_base, arg_base, count)
                for i = 0, count - 1 do
                    if redis.call('EXISTS', keys[key_base + 3 + 3 * i]) == 1 then
                        return args[arg_base + 1 + 9 * i]
                    end
                end
                for i = 0, count - 1 do
                    local k = key_base + 3 + 3 * i
                    local a = arg_base + 9 * i
                    local sequence = redis.call('INCR', keys[key_base + 1])
                    redis.call('HSET', keys[k], 'id', args[a + 1], 'sequence', sequence, 'destination', args[a + 2],
                        'key', args[a + 3], 'partition', args[a + 4], 'payload_type', args[a + 5],
                        'payload', args[a + 6], 'headers', args[a + 7], 'created_at', args[a + 8],
                        'status', 'PENDING', 'attempts', 0)
                    redis.call('ZADD', keys[k + 1], sequence, args[a + 1])
                    redis.call('HSET', keys[k + 2], args[a + 1], args[a + 3])
                    redis.call('ZADD', keys[key_base + 2], args[a + 9], args[a + 1])
                end
                return false
            end
            """;

    /**
     * Appends messages ({@link #APPEND_FUNCTION} from the first key and argument); returns the id that exists
     * already, or an empty string.
     */
    static final RedisScript<String> APPEND = RedisScript.of(APPEND_FUNCTION + """
            local existing = quark_outbox_append(KEYS, ARGV, 0, 0, (#KEYS - 2) / 3)
            if existing then
                return existing
            end
            return ''
            """, String.class);

    /** Reads messages: the {@link #FIELDS} of each key, nil for every field of a message that does not exist. */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> READ = RedisScript.of("""
            local result = {}
            for _, key in ipairs(KEYS) do
                local values = redis.call('HMGET', key, unpack(ARGV))
                for i = 1, #ARGV do
                    result[#result + 1] = values[i]
                end
            end
            return result
            """, List.class);

    /** Stamps a partition (KEYS[1] = the fences hash; ARGV = partition, token); returns 1 or 0. */
    static final RedisScript<Long> STAMP = RedisFencing.script("""
            if quark_fence_stamp(KEYS[1], ARGV[1], ARGV[2]) then
                return 1
            end
            return 0
            """, Long.class);

    /**
     * The ids of a partition's pending messages that may be delivered now, in sequence order. KEYS: the partition's
     * pending set, retrying set, key hash. ARGV: now (ms), limit, scan budget. Looks at no more than the scan budget
     * of pending entries from the start of the set, so a key backing off with many messages queued behind it costs a
     * bounded number of {@code HGET}s per call; deliverable messages past the budget are left for a later call. Since
     * the entries looked at are a prefix of the set in sequence order, a message is returned only after every earlier
     * message of its key was looked at: per-key order holds.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> NEXT = RedisScript.of("""
            local blocked = {}
            for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf')) do
                local key = redis.call('HGET', KEYS[3], id)
                if key then
                    blocked[key] = true
                end
            end
            local result = {}
            local limit = tonumber(ARGV[2])
            local budget = tonumber(ARGV[3])
            local start = 0
            while #result < limit and start < budget do
                local ids = redis.call('ZRANGE', KEYS[1], start, math.min(start + 200, budget) - 1)
                if #ids == 0 then
                    break
                end
                for _, id in ipairs(ids) do
                    local key = redis.call('HGET', KEYS[3], id)
                    if key and not blocked[key] then
                        result[#result + 1] = id
                        if #result >= limit then
                            break
                        end
                    end
                end
                start = start + 200
            end
            return result
            """, List.class);

    /**
     * Changes a pending message's status under the partition's fence. KEYS: fences, message, partition pending set,
     * partition key hash, partition retrying set, pending index, delivered index, dead index, dead-letter order.
     * ARGV: partition, token, new status, retry at (ISO or ''), retry at (ms), finished at (ISO or ''), finished at
     * (ms), error ('' for none), id. Returns 1 when written, 0 when refused.
     */
    static final RedisScript<Long> UPDATE = RedisFencing.script("""
            if not quark_fence_holds(KEYS[1], ARGV[1], ARGV[2]) then
                return 0
            end
            local current = redis.call('HMGET', KEYS[2], 'status', 'partition', 'sequence')
            if current[1] ~= 'PENDING' or current[2] ~= ARGV[1] then
                return 0
            end
            local id = ARGV[9]
            redis.call('HINCRBY', KEYS[2], 'attempts', 1)
            redis.call('HSET', KEYS[2], 'status', ARGV[3])
            if ARGV[8] ~= '' then
                redis.call('HSET', KEYS[2], 'last_error', ARGV[8])
            end
            if ARGV[3] == 'PENDING' then
                redis.call('HSET', KEYS[2], 'retry_at', ARGV[4])
                redis.call('ZADD', KEYS[5], ARGV[5], id)
                return 1
            end
            redis.call('HDEL', KEYS[2], 'retry_at')
            redis.call('HSET', KEYS[2], 'finished_at', ARGV[6])
            redis.call('ZREM', KEYS[3], id)
            redis.call('HDEL', KEYS[4], id)
            redis.call('ZREM', KEYS[5], id)
            redis.call('ZREM', KEYS[6], id)
            if ARGV[3] == 'DELIVERED' then
                redis.call('ZADD', KEYS[7], ARGV[7], id)
            else
                redis.call('ZADD', KEYS[8], ARGV[7], id)
                redis.call('ZADD', KEYS[9], current[3], id)
            end
            return 1
            """, Long.class);

    /**
     * Makes a dead letter pending again with a new sequence. KEYS: the message, the sequence, its partition's pending
     * set, its partition's key hash, the pending index, the dead index, the dead-letter order. ARGV: partition, id,
     * enqueue time (ms). Returns 1 when requeued, 0 when the message is no dead letter of that partition.
     */
    static final RedisScript<Long> REQUEUE = RedisScript.of("""
            local current = redis.call('HMGET', KEYS[1], 'status', 'partition', 'key')
            if current[1] ~= 'DEAD' or current[2] ~= ARGV[1] then
                return 0
            end
            local id = ARGV[2]
            local sequence = redis.call('INCR', KEYS[2])
            redis.call('HSET', KEYS[1], 'status', 'PENDING', 'attempts', 0, 'sequence', sequence)
            redis.call('HDEL', KEYS[1], 'retry_at', 'finished_at')
            redis.call('ZADD', KEYS[3], sequence, id)
            redis.call('HSET', KEYS[4], id, current[3])
            redis.call('ZADD', KEYS[5], ARGV[3], id)
            redis.call('ZREM', KEYS[6], id)
            redis.call('ZREM', KEYS[7], id)
            return 1
            """, Long.class);

    /**
     * Deletes finished messages. KEYS: the status's index, the dead-letter order, then the messages' hashes; ARGV: the
     * messages' ids. A message is deleted only while it is in the index. Returns how many were deleted.
     */
    static final RedisScript<Long> DELETE = RedisScript.of("""
            local deleted = 0
            for i, id in ipairs(ARGV) do
                if redis.call('ZREM', KEYS[1], id) == 1 then
                    redis.call('DEL', KEYS[i + 2])
                    redis.call('ZREM', KEYS[2], id)
                    deleted = deleted + 1
                end
            end
            return deleted
            """, Long.class);

    /**
     * The staging of messages as the attached part of a save's script on a Redis Cluster, in the state's slot.
     * {@code attached_keys}: the staged hash, the staged order, the staging sequence; {@code attached_args}: per
     * message its id and its append arguments (a JSON array). Checks every id first and refuses, writing nothing,
     * when one is staged already; else stages them in order.
     */
    static final String STAGE = """
            for i = 1, #attached_args, 2 do
                if redis.call('HEXISTS', attached_keys[1], attached_args[i]) == 1 then
                    return 'outbox message ' .. attached_args[i] .. ' was staged already'
                end
            end
            for i = 1, #attached_args, 2 do
                local order = redis.call('INCR', attached_keys[3])
                redis.call('HSET', attached_keys[1], attached_args[i], attached_args[i + 1])
                redis.call('ZADD', attached_keys[2], order, attached_args[i])
            end
            return nil
            """;

    /** Redis's clock in milliseconds, as {@code quark_now()}. */
    private static final String NOW_FUNCTION = """
            local function quark_now()
                local t = redis.call('TIME')
                return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            end
            """;

    /** Records a staging area in the index at Redis's time (KEYS[1] = the index; ARGV[1] = the area's tag). */
    static final RedisScript<Long> INDEX = RedisScript.of(NOW_FUNCTION + """
            return redis.call('ZADD', KEYS[1], quark_now(), ARGV[1])
            """, Long.class);

    /**
     * Reads the first staged messages in staging order up to a staging sequence (KEYS: the staged hash, the staged
     * order, the staging sequence; ARGV: how many, the highest staging sequence to read, {@code +inf} for all, or
     * {@code ''} for the last one drawn, read in this step): how many were looked at, the highest staging sequence
     * read up to, then id, append arguments, id, append arguments, … An id in the order without arguments (nothing to
     * move) leaves the order.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> READ_STAGED = RedisScript.of("""
            local up_to = ARGV[2]
            if up_to == '' then
                up_to = redis.call('GET', KEYS[3]) or '0'
            end
            local result = { 0, up_to }
            for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', up_to, 'LIMIT', 0, tonumber(ARGV[1]))) do
                local arguments = redis.call('HGET', KEYS[1], id)
                if arguments then
                    result[#result + 1] = id
                    result[#result + 1] = arguments
                else
                    redis.call('ZREM', KEYS[2], id)
                end
                result[1] = result[1] + 1
            end
            return result
            """, List.class);

    /**
     * Sets staged messages that cannot be read aside, so that those behind them move (KEYS: the staged hash, the
     * staged order, the moved set, the move times, the unreadable hash; ARGV: their ids): each one's arguments go to
     * the unreadable hash, kept for an operator, and it leaves the area. Returns how many were set aside.
     */
    static final RedisScript<Long> SET_ASIDE = RedisScript.of("""
            local set = 0
            for _, id in ipairs(ARGV) do
                local arguments = redis.call('HGET', KEYS[1], id)
                if arguments then
                    redis.call('HSET', KEYS[5], id, arguments)
                    set = set + 1
                end
                redis.call('HDEL', KEYS[1], id)
                redis.call('ZREM', KEYS[2], id)
                redis.call('ZREM', KEYS[3], id)
                redis.call('HDEL', KEYS[4], id)
            end
            return set
            """, Long.class);

    /**
     * Appends staged messages to the outbox in the given order, skipping those already there. KEYS and ARGV: those of
     * {@link #APPEND_FUNCTION}. Returns how many were appended. Concurrent movers need no fence: each reads a prefix
     * of the area's unmoved messages in staging order, every message before that prefix is in the outbox already
     * (messages are marked moved only after this script appended them), and this script appends only the ids missing
     * from the outbox, in order; so each message is appended once, and after every message staged before it.
     */
    static final RedisScript<Long> MOVE = RedisScript.of(APPEND_FUNCTION + """
            local keys, args = { KEYS[1], KEYS[2] }, {}
            for i = 0, (#KEYS - 2) / 3 - 1 do
                local k = 3 + 3 * i
                if redis.call('EXISTS', KEYS[k]) == 0 then
                    keys[#keys + 1] = KEYS[k]
                    keys[#keys + 1] = KEYS[k + 1]
                    keys[#keys + 1] = KEYS[k + 2]
                    for j = 1 + 9 * i, 9 + 9 * i do
                        args[#args + 1] = ARGV[j]
                    end
                end
            end
            local count = (#keys - 2) / 3
            if count > 0 then
                quark_outbox_append(keys, args, 0, 0, count)
            end
            return count
            """, Long.class);

    /**
     * Marks messages of a staging area moved (KEYS: the staged order, the moved set, the move times; ARGV: their ids):
     * those still in the order leave it for the moved set under their staging sequence, so that a re-check appends
     * them in staging order, and their move time is kept at Redis's time; their arguments are kept for the
     * {@link #READ_SETTLED re-check}. Ids no longer in the order (another mover marked them) are left alone.
     */
    static final RedisScript<Long> MARK_MOVED = RedisScript.of(NOW_FUNCTION + """
            local now = quark_now()
            local marked = 0
            for _, id in ipairs(ARGV) do
                local order = redis.call('ZSCORE', KEYS[1], id)
                if order then
                    redis.call('ZREM', KEYS[1], id)
                    redis.call('ZADD', KEYS[2], order, id)
                    redis.call('HSET', KEYS[3], id, now)
                    marked = marked + 1
                end
            end
            return marked
            """, Long.class);

    /**
     * Reads the first moved messages of a staging area, in staging order, that were moved at least a settle period
     * ago by Redis's clock, and forgets on the way, without reading them, those moved at least a maximum age ago (the
     * outbox may have deleted them by retention since). KEYS: the staged hash, the moved set, the move times; ARGV:
     * the settle period (ms), the maximum age (ms), how many to look at. Stops at the first message moved more
     * recently: move times grow with the staging order, since movers mark prefixes of the unmoved messages. Returns
     * how many were looked at, then id, append arguments, id, append arguments, …
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> READ_SETTLED = RedisScript.of(NOW_FUNCTION + """
            local now = quark_now()
            local result = { 0 }
            for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[3]) - 1)) do
                local moved = tonumber(redis.call('HGET', KEYS[3], id))
                local arguments = redis.call('HGET', KEYS[1], id)
                if not moved or not arguments or moved <= now - tonumber(ARGV[2]) then
                    redis.call('ZREM', KEYS[2], id)
                    redis.call('HDEL', KEYS[3], id)
                    redis.call('HDEL', KEYS[1], id)
                elseif moved <= now - tonumber(ARGV[1]) then
                    result[#result + 1] = id
                    result[#result + 1] = arguments
                else
                    break
                end
                result[1] = result[1] + 1
            end
            return result
            """, List.class);

    /**
     * Forgets re-checked messages of a staging area (KEYS: the staged hash, the moved set, the move times; ARGV: their
     * ids).
     */
    static final RedisScript<Long> FORGET = RedisScript.of("""
            redis.call('ZREM', KEYS[2], unpack(ARGV))
            redis.call('HDEL', KEYS[3], unpack(ARGV))
            return redis.call('HDEL', KEYS[1], unpack(ARGV))
            """, Long.class);

    /**
     * What a sweep finds in a staging area, in one step (KEYS: the staged order, the moved set, the move times; ARGV:
     * the settle period in ms): how many messages are staged, how many moved ones are kept, and 1 when the oldest
     * moved one is due for the re-check (moved at least the settle period ago by Redis's clock), else 0.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> INSPECT = RedisScript.of(NOW_FUNCTION + """
            local staged = redis.call('ZCARD', KEYS[1])
            local moved = redis.call('ZCARD', KEYS[2])
            local due = 0
            if moved > 0 then
                local first = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
                local at = tonumber(redis.call('HGET', KEYS[3], first))
                if not at or at <= quark_now() - tonumber(ARGV[1]) then
                    due = 1
                end
            end
            return { staged, moved, due }
            """, List.class);

    /**
     * Records staging areas found in the cluster in the index unless they are in it (KEYS[1] = the index; ARGV: the
     * areas' tags), at Redis's time. Returns the tags that were missing.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> REINDEX = RedisScript.of(NOW_FUNCTION + """
            local now = quark_now()
            local added = {}
            for _, tag in ipairs(ARGV) do
                if redis.call('ZADD', KEYS[1], 'NX', now, tag) == 1 then
                    added[#added + 1] = tag
                end
            end
            return added
            """, List.class);

    /**
     * Removes a staging area from the index when it was last recorded at least a grace period ago by Redis's clock
     * (KEYS[1] = the index; ARGV: the area's tag, the grace period in ms). Returns 1 when removed.
     */
    static final RedisScript<Long> UNINDEX = RedisScript.of(NOW_FUNCTION + """
            local recorded = redis.call('ZSCORE', KEYS[1], ARGV[1])
            if recorded and tonumber(recorded) <= quark_now() - tonumber(ARGV[2]) then
                return redis.call('ZREM', KEYS[1], ARGV[1])
            end
            return 0
            """, Long.class);

    private RedisOutboxScripts() {
    }
}
