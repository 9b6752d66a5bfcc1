package dev.quark.messaging.store.redis;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.data.redis.RedisConnectionFailureException;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

import dev.quark.messaging.store.InboxStore;

/**
 * Keeps processed message ids in Redis, in a sorted set and a hash:
 * <pre>
 * {prefix}{inbox}:records    sorted set: {consumer length}:{consumer}{message id} -&gt; when it was recorded (ms)
 * {prefix}{inbox}:tokens     hash: the same member -&gt; the claim token of the record call that made it
 * </pre>
 * for instance {@code quark:{inbox}:records} holding {@code 7:billing0193…}; the length prefix keeps consumer and id
 * apart whatever characters they contain. {@link #record} is one Lua script: it adds the member with a fresh claim
 * token unless it is there (atomic, so of concurrent records of one id exactly one succeeds), and answers "recorded by
 * me" when the member is there with the same token. When the script's reply is lost (a command timeout, a connection
 * failure) the call retries it once with the same token, so a record applied whose reply was lost is still this
 * call's and the handler runs; when the retry fails too the record's outcome is unknown, logged at WARN and thrown.
 * There is no transaction: the record is made before the handler runs and forgotten when
 * it fails (as in memory), so a crash of the process between the record and the end of the handler leaves the message
 * recorded with its handler's work unfinished, and a duplicate arriving while the first delivery's handler runs is
 * acknowledged without waiting for it. Retention scans the set by time, a batch per script. A handler whose effect is
 * Redis writes gets them made with the record in one script by {@link RedisAtomicInbox}, which shares these records.
 */
public class RedisInboxStore implements InboxStore {

    /** Removes up to ARGV[2] records older than ARGV[1] (ms, exclusive); returns how many. */
    private static final RedisScript<Long> DELETE_BEFORE = RedisScript.of("""
            local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
            if #old == 0 then
                return 0
            end
            redis.call('HDEL', KEYS[2], unpack(old))
            return redis.call('ZREM', KEYS[1], unpack(old))
            """, Long.class);

    /**
     * Records ARGV[1] at ARGV[2] (ms) with claim token ARGV[3] unless it is recorded. Returns 1 when this call recorded
     * it, 2 when it was recorded by an earlier call with the same token (a retry whose first reply was lost), 0 for a
     * duplicate.
     */
    private static final RedisScript<Long> RECORD = RedisScript.of("""
            if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 1 then
                redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
                return 1
            end
            if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[3] then
                return 2
            end
            return 0
            """, Long.class);

    /** Forgets record ARGV[1] and its claim token. */
    private static final RedisScript<Long> FORGET = RedisScript.of("""
            redis.call('HDEL', KEYS[2], ARGV[1])
            return redis.call('ZREM', KEYS[1], ARGV[1])
            """, Long.class);

    private static final Logger logger = LoggerFactory.getLogger(RedisInboxStore.class);

    private final RedisConnectionFactory connectionFactory;

    private final StringRedisTemplate redis;

    private final String key;

    private final String tokensKey;

    /**
     * Creates a store.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     */
    public RedisInboxStore(RedisConnectionFactory connectionFactory, String keyPrefix) {
        this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        this.key = Objects.requireNonNull(keyPrefix, "keyPrefix must not be null") + "{inbox}:records";
        this.tokensKey = keyPrefix + "{inbox}:tokens";
        this.redis = new StringRedisTemplate(connectionFactory);
    }

    /**
     * Returns the connection factory of the records' Redis.
     * @return the connection factory
     */
    RedisConnectionFactory connectionFactory() {
        return this.connectionFactory;
    }

    /**
     * Returns the key of the records' sorted set.
     * @return the key
     */
    public String recordsKey() {
        return this.key;
    }

    /**
     * Returns the key of the hash of the records' claim tokens.
     * @return the key
     */
    public String tokensKey() {
        return this.tokensKey;
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

    /**
     * {@inheritDoc}
     * <p>
     * Retries once, with the same claim token, when the first reply is lost to a command timeout or a connection
     * failure: the retry answers {@code true} when the first call's record was applied. When the retry fails too, the
     * record may or may not be applied: logged at WARN, the retry's exception (the first one suppressed) is thrown.
     */
    @Override
    public boolean record(String consumer, String messageId, Instant at) {
        String token = UUID.randomUUID().toString();
        long atMillis = at.toEpochMilli();
        long outcome;
        try {
            outcome = recordScript(consumer, messageId, atMillis, token);
        }
        catch (QueryTimeoutException | RedisConnectionFailureException lost) {
            outcome = retryRecord(consumer, messageId, atMillis, token, lost);
        }
        return outcome != 0;
    }

    private long retryRecord(String consumer, String messageId, long atMillis, String token,
            DataAccessException lost) {
        try {
            return recordScript(consumer, messageId, atMillis, token);
        }
        catch (RuntimeException ex) {
            ex.addSuppressed(lost);
            logger.warn("Inbox record of message '{}' for consumer '{}' failed twice ({}): whether it was recorded is "
                    + "unknown; if it was, its redelivery is taken for a duplicate until member '{}' is removed from {}",
                    messageId, consumer, ex, member(consumer, messageId), this.key);
            throw ex;
        }
    }

    /**
     * Runs the record script once; a seam for tests that lose its reply.
     * @return 1 recorded now, 2 recorded earlier with this token, 0 a duplicate
     */
    long recordScript(String consumer, String messageId, long atMillis, String token) {
        Long outcome = this.redis.execute(RECORD, List.of(this.key, this.tokensKey), member(consumer, messageId),
                Long.toString(atMillis), token);
        return (outcome != null) ? outcome : 0;
    }

    @Override
    public void forget(String consumer, String messageId) {
        this.redis.execute(FORGET, List.of(this.key, this.tokensKey), member(consumer, messageId));
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
        Long deleted = this.redis.execute(DELETE_BEFORE, List.of(this.key, this.tokensKey), Long.toString(before.toEpochMilli()),
                Integer.toString(limit));
        return (deleted != null) ? deleted.intValue() : 0;
    }

    @Override
    public String toString() {
        return "RedisInboxStore[" + this.key + "]";
    }
}
