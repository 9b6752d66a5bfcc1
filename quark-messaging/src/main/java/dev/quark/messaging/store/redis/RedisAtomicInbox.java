package dev.quark.messaging.store.redis;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.data.redis.RedisConnectionFailureException;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

import dev.quark.messaging.Inbox;
import dev.quark.redis.RedisClusterSlots;

/**
 * An idempotent inbox on Redis for handlers whose effect is Redis writes: the message's record and the handler's
 * writes ({@link RedisInboxWrites}) are made in one Lua script, so that a message is processed exactly once. A
 * redelivered message finds its record and writes nothing; a handler that throws writes nothing and records nothing;
 * a crash of the process before the script ran leaves neither, after it both. The records are the
 * {@link RedisInboxStore}'s (same keys, same retention), so {@link Inbox} and this inbox see each other's records.
 * <p>
 * The handler runs before the script, unless the message is recorded already; a duplicate that arrives while the
 * first delivery's handler runs runs its handler too, and the script then discards its writes (the method answers
 * {@code false}). What the handler reads is not part of the script: writes computed from reads (a value read, then
 * set) may overwrite another message's; increments and writes that do not depend on what Redis holds are exactly
 * once. The script first checks every write against what its key holds (a hash for {@code HSET}, a 64-bit integer as
 * Redis reads one for {@code INCRBY}, a sum within 64 bits, following the writes before it in the same script) and
 * refuses them all, writing and recording nothing, when one would fail: Redis does not undo a script's writes when a
 * command fails halfway. When the script's reply is lost (a command timeout, a
 * connection failure), it is run again once with the same claim token, which answers whether the first run applied.
 * <p>
 * On a Redis Cluster one script stays within one hash slot: every key the handler writes must carry the inbox's hash
 * tag, {@code {inbox}}; a key outside that slot is refused before anything is written.
 */
public class RedisAtomicInbox {

    /**
     * Outcomes: {1} recorded and written, {2} recorded and written by an earlier run with this token, {0} a
     * duplicate (nothing written), {3, reason} refused (nothing written). KEYS: records, tokens, the writes' keys;
     * ARGV: member, time (ms), token, then per write its command, the index of its key in KEYS, the number of its
     * other arguments, and those.
     */
    private static final RedisScript<List> PROCESS = RedisScript.of("""
            if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
                if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[3] then
                    return {2}
                end
                return {0}
            end
            local wanted = {INCRBY = 'string', HSET = 'hash', HINCRBY = 'hash', SADD = 'set', ZADD = 'zset',
                RPUSH = 'list', XADD = 'stream'}
            local types, strings, fields, cleared, writes = {}, {}, {}, {}, {}
            -- An integer as Redis reads one: a signed 64-bit value, no sign but '-', no leading zero, no '-0'.
            local function integer(value)
                if value == '0' then
                    return true
                end
                local sign, digits = string.match(value, '^(%-?)([1-9]%d*)$')
                if digits == nil then
                    return false
                end
                local limit = (sign == '-') and '9223372036854775808' or '9223372036854775807'
                return #digits < 19 or (#digits == 19 and digits <= limit)
            end
            -- A 64-bit integer's text as two Lua numbers, both exact: text = high * 1e9 + low, both of its sign.
            local function split(text)
                local sign, digits = string.match(text, '^(%-?)(%d+)$')
                local low = tonumber(string.sub(digits, -9))
                local high = (#digits > 9) and tonumber(string.sub(digits, 1, -10)) or 0
                if sign == '-' then
                    return -high, -low
                end
                return high, low
            end
            -- What an increment leaves, exactly: the sum's text, or false when it lies outside 64 bits.
            local function incremented(value, delta)
                local vh, vl = split(value or '0')
                local dh, dl = split(delta)
                local high, low = vh + dh, vl + dl
                if low >= 1e9 then
                    high, low = high + 1, low - 1e9
                elseif low <= -1e9 then
                    high, low = high - 1, low + 1e9
                end
                if high > 0 and low < 0 then
                    high, low = high - 1, low + 1e9
                elseif high < 0 and low > 0 then
                    high, low = high + 1, low - 1e9
                end
                if high > 9223372036 or (high == 9223372036 and low > 854775807)
                        or high < -9223372036 or (high == -9223372036 and low < -854775808) then
                    return false
                end
                if high == 0 then
                    return string.format('%d', low)
                end
                return string.format('%d%09d', high, math.abs(low))
            end
            local function refuse(reason)
                return {3, reason}
            end
            local i = 4
            while i <= #ARGV do
                local command, key, count = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
                local args = {}
                for j = 1, count do
                    args[j] = ARGV[i + 2 + j]
                end
                i = i + 3 + count
                local held = types[key]
                if held == nil then
                    held = redis.call('TYPE', key)['ok']
                end
                local want = wanted[command]
                if want ~= nil and held ~= 'none' and held ~= want then
                    return refuse(command .. ' ' .. key .. ': the key holds a ' .. held .. ', not a ' .. want)
                end
                if command == 'INCRBY' then
                    local value = strings[key]
                    if value == nil and held == 'string' then
                        value = redis.call('GET', key)
                    end
                    if value and not integer(value) then
                        return refuse(command .. ' ' .. key .. ': the value is not a 64-bit integer')
                    end
                    local sum = incremented(value, args[1])
                    if sum == false then
                        return refuse(command .. ' ' .. key .. ': the sum overflows a 64-bit integer')
                    end
                    strings[key] = sum
                elseif command == 'HINCRBY' then
                    fields[key] = fields[key] or {}
                    local value = fields[key][args[1]]
                    if value == nil and held == 'hash' and not cleared[key] then
                        value = redis.call('HGET', key, args[1])
                    end
                    if value and not integer(value) then
                        return refuse(command .. ' ' .. key .. ' ' .. args[1] .. ': the field is not a 64-bit integer')
                    end
                    local sum = incremented(value, args[2])
                    if sum == false then
                        return refuse(command .. ' ' .. key .. ' ' .. args[1] .. ': the sum overflows a 64-bit integer')
                    end
                    fields[key][args[1]] = sum
                elseif command == 'HSET' then
                    fields[key] = fields[key] or {}
                    fields[key][args[1]] = args[2]
                elseif command == 'SET' then
                    strings[key] = args[1]
                elseif command == 'DEL' then
                    strings[key] = false
                    fields[key] = {}
                    cleared[key] = true
                end
                if command == 'DEL' then
                    types[key] = 'none'
                elseif command == 'SET' then
                    types[key] = 'string'
                elseif want ~= nil then
                    types[key] = want
                else
                    types[key] = held
                end
                writes[#writes + 1] = {command, key, args}
            end
            for _, write in ipairs(writes) do
                redis.call(write[1], write[2], unpack(write[3]))
            end
            redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
            redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
            return {1}
            """, List.class);

    private static final Logger logger = LoggerFactory.getLogger(RedisAtomicInbox.class);

    private final RedisInboxStore store;

    private final StringRedisTemplate redis;

    private final RedisClusterSlots slots;

    private final Clock clock;

    /**
     * Creates the inbox over a store's records.
     * @param store the store whose records it shares (and whose retention deletes them)
     * @param clock the clock of the records
     */
    public RedisAtomicInbox(RedisInboxStore store, Clock clock) {
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.redis = new StringRedisTemplate(store.connectionFactory());
        this.slots = new RedisClusterSlots(this.redis);
    }

    /**
     * Runs a handler unless this consumer already processed the message, and makes its writes with the message's
     * record in one script.
     * @param consumer who processes; 1 to {@value Inbox#MAX_LENGTH} characters, not blank
     * @param messageId the message's id as the sender gave it; 1 to {@value Inbox#MAX_LENGTH} characters, not blank
     * @param handler says what to write; it may read Redis or anything else, but only its writes are exactly once
     * @return whether this call recorded the message and made its writes; {@code false} for a duplicate, whose
     * writes are discarded
     * @throws IllegalStateException when a write would fail on what its key holds (nothing written or recorded)
     * @throws IllegalArgumentException when a key lies outside the inbox's slot on a Redis Cluster, or is one of the
     * inbox's own (nothing written)
     * @throws DataAccessException when Redis could not be reached twice: whether the script ran is unknown (logged
     * at WARN)
     */
    public boolean process(String consumer, String messageId, Consumer<RedisInboxWrites> handler) {
        requireName("consumer", consumer);
        requireName("messageId", messageId);
        Objects.requireNonNull(handler, "handler must not be null");
        if (this.store.contains(consumer, messageId)) {
            return false;
        }
        RedisInboxWrites writes = new RedisInboxWrites();
        handler.accept(writes);
        Script script = script(consumer, messageId, writes.writes());
        for (String key : script.keys().subList(2, script.keys().size())) {
            if (key.equals(this.store.recordsKey()) || key.equals(this.store.tokensKey())) {
                throw new IllegalArgumentException("The inbox of consumer '" + consumer + "' cannot write its own key '"
                        + key + "' with message '" + messageId + "'");
            }
        }
        String outside = this.slots.keyOutsideSlotOf(this.store.recordsKey(), script.keys());
        if (outside != null) {
            throw new IllegalArgumentException("The inbox of consumer '" + consumer + "' cannot write '" + outside
                    + "' with message '" + messageId + "': on a Redis Cluster a handler's keys must carry the "
                    + "inbox's hash tag {inbox}, so that one script writes them with the record");
        }
        List<?> outcome;
        try {
            outcome = run(script);
        }
        catch (QueryTimeoutException | RedisConnectionFailureException lost) {
            outcome = runAgain(script, consumer, messageId, lost);
        }
        long status = ((Number) outcome.get(0)).longValue();
        if (status == 3) {
            throw new IllegalStateException("The inbox of consumer '" + consumer + "' wrote and recorded nothing for "
                    + "message '" + messageId + "': " + outcome.get(1));
        }
        if (status == 0) {
            logger.debug("Message '{}' of consumer '{}' was recorded while its handler ran: {} writes discarded",
                    messageId, consumer, writes.writes().size());
        }
        return status != 0;
    }

    private List<?> runAgain(Script script, String consumer, String messageId, DataAccessException lost) {
        try {
            return run(script);
        }
        catch (RuntimeException ex) {
            ex.addSuppressed(lost);
            logger.warn("Inbox script of message '{}' for consumer '{}' failed twice ({}): whether it recorded the "
                    + "message and made its writes is unknown", messageId, consumer, ex.toString());
            throw ex;
        }
    }

    /**
     * Runs the script once; a seam for tests that lose its reply.
     * @return the script's outcome
     */
    List<?> run(Script script) {
        List<?> outcome = this.redis.execute(PROCESS, script.keys(), script.arguments().toArray());
        if (outcome == null || outcome.isEmpty()) {
            throw new IllegalStateException("The inbox script answered nothing");
        }
        return outcome;
    }

    private Script script(String consumer, String messageId, List<RedisInboxWrites.Write> writes) {
        List<String> keys = new ArrayList<>();
        keys.add(this.store.recordsKey());
        keys.add(this.store.tokensKey());
        Map<String, Integer> indexes = new LinkedHashMap<>();
        List<String> arguments = new ArrayList<>();
        arguments.add(RedisInboxStore.member(consumer, messageId));
        arguments.add(Long.toString(this.clock.millis()));
        arguments.add(UUID.randomUUID().toString());
        for (RedisInboxWrites.Write write : writes) {
            Integer index = indexes.computeIfAbsent(write.key(), (key) -> {
                keys.add(key);
                return keys.size();
            });
            arguments.add(write.command());
            arguments.add(Integer.toString(index));
            arguments.add(Integer.toString(write.arguments().size()));
            arguments.addAll(write.arguments());
        }
        return new Script(keys, arguments);
    }

    private static void requireName(String what, String value) {
        Objects.requireNonNull(value, what + " must not be null");
        if (value.isBlank() || value.length() > Inbox.MAX_LENGTH) {
            throw new IllegalArgumentException("An inbox " + what + " is 1 to " + Inbox.MAX_LENGTH
                    + " characters, not blank, was '" + value + "'");
        }
    }

    /** A run's keys and arguments; the same for a run again, claim token included. */
    record Script(List<String> keys, List<String> arguments) {
    }

    @Override
    public String toString() {
        return "RedisAtomicInbox[" + this.store.recordsKey() + "]";
    }
}
