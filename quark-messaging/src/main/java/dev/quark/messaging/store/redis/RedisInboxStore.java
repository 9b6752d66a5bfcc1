package dev.quark.messaging.store.redis;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

import dev.quark.messaging.store.InboxStore;

/**
 * Keeps processed message ids in Redis, in one sorted set:
 * <pre>
 * {prefix}{inbox}:records    sorted set: {consumer length}:{consumer}{message id} -&gt; when it was recorded (ms)
 * </pre>
 * for instance {@code quark:{inbox}:records} holding {@code 7:billing0193…}; the length prefix keeps consumer and id
 * apart whatever characters they contain. {@link #record} is a {@code ZADD NX}: atomic, so of concurrent records of
 * one id exactly one succeeds. There is no transaction: the record is made before the handler runs and forgotten when
 * it fails (as in memory), so a crash of the process between the record and the end of the handler leaves the message
 * recorded with its handler's work unfinished, and a duplicate arriving while the first delivery's handler runs is
 * acknowledged without waiting for it. Retention scans the set by time, a batch per script.
 */
public class RedisInboxStore implements InboxStore {

    /** Removes up to ARGV[2] records older than ARGV[1] (ms, exclusive); returns how many. */
    private static final RedisScript<Long> DELETE_BEFORE = RedisScript.of("""
            local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
            if #old == 0 then
                return 0
            end
            return redis.call('ZREM', KEYS[1], unpack(old))
            """, Long.class);

    private final StringRedisTemplate redis;

    private final String key;

    /**
     * Creates a store.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     */
    public RedisInboxStore(RedisConnectionFactory connectionFactory, String keyPrefix) {
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        this.key = Objects.requireNonNull(keyPrefix, "keyPrefix must not be null") + "{inbox}:records";
        this.redis = new StringRedisTemplate(connectionFactory);
    }

    /**
     * Returns the key of the records' sorted set.
     * @return the key
     */
    public String recordsKey() {
        return this.key;
    }

    /**
     * Returns the member a record is kept as.
     * @param consumer the consumer
     * @param messageId the message id
     * @return the member
     */
    public static String member(String consumer, String messageId) {
        return consumer.length() + ":" + consumer + messageId;
    }

    @Override
    public boolean record(String consumer, String messageId, Instant at) {
        Boolean added = this.redis.opsForZSet().addIfAbsent(this.key, member(consumer, messageId), at.toEpochMilli());
        return Boolean.TRUE.equals(added);
    }

    @Override
    public void forget(String consumer, String messageId) {
        this.redis.opsForZSet().remove(this.key, member(consumer, messageId));
    }

    @Override
    public boolean contains(String consumer, String messageId) {
        return this.redis.opsForZSet().score(this.key, member(consumer, messageId)) != null;
    }

    @Override
    public int deleteBefore(Instant before, int limit) {
        if (limit <= 0) {
            return 0;
        }
        Long deleted = this.redis.execute(DELETE_BEFORE, List.of(this.key), Long.toString(before.toEpochMilli()),
                Integer.toString(limit));
        return (deleted != null) ? deleted.intValue() : 0;
    }

    @Override
    public String toString() {
        return "RedisInboxStore[" + this.key + "]";
    }
}
