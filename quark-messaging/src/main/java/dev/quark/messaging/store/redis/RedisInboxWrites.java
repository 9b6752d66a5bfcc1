package dev.quark.messaging.store.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Redis writes of a message's handler, which {@link RedisAtomicInbox} makes in one script with the message's
 * record: all of them and the record, or none. The handler only says what to write; nothing reaches Redis until the
 * inbox runs the script, in the order the writes were added.
 * <pre>{@code
 * redisInbox.process("billing", messageId, (writes) -> writes
 *     .hashIncrement("account:" + account, "balance", amount)
 *     .streamAdd("account-events:" + account, Map.of("type", "billed", "amount", Long.toString(amount))));
 * }</pre>
 * Each write names the Redis command it runs. Values are strings, as a {@code StringRedisTemplate} writes them.
 */
public final class RedisInboxWrites {

    /** The most fields of a stream entry: the script passes a write's arguments on through Lua's stack. */
    static final int MAX_STREAM_FIELDS = 1_000;

    /** The longest time to live: Redis refuses one that overflows its clock, and "forever" is no time to live. */
    static final Duration MAX_TIME_TO_LIVE = Duration.ofDays(36_500);

    /** One command: its name, its key, its other arguments. */
    record Write(String command, String key, List<String> arguments) {
    }

    private final List<Write> writes = new ArrayList<>();

    RedisInboxWrites() {
    }

    /**
     * Sets a string ({@code SET}).
     * @param key the key
     * @param value the value
     * @return these writes
     */
    public RedisInboxWrites set(String key, String value) {
        return add("SET", key, requireValue(value));
    }

    /**
     * Sets a string that expires ({@code SET ... PX}).
     * @param key the key
     * @param value the value
     * @param timeToLive how long it lives, from a millisecond to 36,500 days
     * @return these writes
     */
    public RedisInboxWrites set(String key, String value, Duration timeToLive) {
        return add("SET", key, requireValue(value), "PX", Long.toString(millis(timeToLive)));
    }

    /**
     * Deletes a key of any type ({@code DEL}).
     * @param key the key
     * @return these writes
     */
    public RedisInboxWrites delete(String key) {
        return add("DEL", key);
    }

    /**
     * Adds to an integer kept as a string ({@code INCRBY}); a missing key counts as 0.
     * @param key the key
     * @param delta what to add, negative to subtract
     * @return these writes
     */
    public RedisInboxWrites increment(String key, long delta) {
        return add("INCRBY", key, Long.toString(delta));
    }

    /**
     * Sets a field of a hash ({@code HSET}).
     * @param key the hash's key
     * @param field the field
     * @param value the value
     * @return these writes
     */
    public RedisInboxWrites hashPut(String key, String field, String value) {
        return add("HSET", key, requireValue(field), requireValue(value));
    }

    /**
     * Adds to an integer field of a hash ({@code HINCRBY}); a missing field counts as 0.
     * @param key the hash's key
     * @param field the field
     * @param delta what to add, negative to subtract
     * @return these writes
     */
    public RedisInboxWrites hashIncrement(String key, String field, long delta) {
        return add("HINCRBY", key, requireValue(field), Long.toString(delta));
    }

    /**
     * Adds a member to a set ({@code SADD}).
     * @param key the set's key
     * @param member the member
     * @return these writes
     */
    public RedisInboxWrites setAdd(String key, String member) {
        return add("SADD", key, requireValue(member));
    }

    /**
     * Adds a member to a sorted set, or moves it to a new score ({@code ZADD}).
     * @param key the sorted set's key
     * @param member the member
     * @param score its score, a finite number
     * @return these writes
     */
    public RedisInboxWrites sortedSetAdd(String key, String member, double score) {
        if (!Double.isFinite(score)) {
            throw new IllegalArgumentException("A sorted set score is a finite number, was " + score);
        }
        return add("ZADD", key, Double.toString(score), requireValue(member));
    }

    /**
     * Appends to a list ({@code RPUSH}).
     * @param key the list's key
     * @param value the value
     * @return these writes
     */
    public RedisInboxWrites listRightPush(String key, String value) {
        return add("RPUSH", key, requireValue(value));
    }

    /**
     * Appends an entry to a stream, with an id Redis gives ({@code XADD key * ...}).
     * @param key the stream's key
     * @param fields the entry's fields, 1 to {@value #MAX_STREAM_FIELDS}, in their iteration order
     * @return these writes
     */
    public RedisInboxWrites streamAdd(String key, Map<String, String> fields) {
        Objects.requireNonNull(fields, "fields must not be null");
        if (fields.isEmpty() || fields.size() > MAX_STREAM_FIELDS) {
            throw new IllegalArgumentException("A stream entry for '" + key + "' has 1 to " + MAX_STREAM_FIELDS
                    + " fields, had " + fields.size());
        }
        List<String> arguments = new ArrayList<>(1 + 2 * fields.size());
        arguments.add("*");
        new LinkedHashMap<>(fields).forEach((field, value) -> {
            arguments.add(requireValue(field));
            arguments.add(requireValue(value));
        });
        return add("XADD", key, arguments.toArray(String[]::new));
    }

    /**
     * Sets a key's time to live ({@code PEXPIRE}); nothing for a missing key.
     * @param key the key
     * @param timeToLive how long it lives from now, from a millisecond to 36,500 days
     * @return these writes
     */
    public RedisInboxWrites expire(String key, Duration timeToLive) {
        return add("PEXPIRE", key, Long.toString(millis(timeToLive)));
    }

    /**
     * Returns the writes, in the order they were added.
     * @return the writes
     */
    List<Write> writes() {
        return Collections.unmodifiableList(this.writes);
    }

    private RedisInboxWrites add(String command, String key, String... arguments) {
        Objects.requireNonNull(key, "key must not be null");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("A key of " + command + " must not be empty");
        }
        this.writes.add(new Write(command, key, List.of(arguments)));
        return this;
    }

    private static String requireValue(String value) {
        return Objects.requireNonNull(value, "values, fields and members must not be null");
    }

    private static long millis(Duration timeToLive) {
        Objects.requireNonNull(timeToLive, "timeToLive must not be null");
        if (timeToLive.compareTo(Duration.ofMillis(1)) < 0 || timeToLive.compareTo(MAX_TIME_TO_LIVE) > 0) {
            throw new IllegalArgumentException("A time to live is 1 ms to " + MAX_TIME_TO_LIVE.toDays()
                    + " days (for a key that lives for ever, set none), was " + timeToLive);
        }
        return timeToLive.toMillis();
    }
}
