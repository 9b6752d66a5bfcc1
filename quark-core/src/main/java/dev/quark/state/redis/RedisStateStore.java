package dev.quark.state.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.redis.RedisClusterSlots;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.StateKey;
import dev.quark.state.StateStore;
import dev.quark.state.StateWriteAttachment;
import dev.quark.state.StoredState;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Keeps states in Redis, one hash per state:
 * <pre>
 * {prefix}state:{actor type}:{actor id}:{state name}   hash: version -&gt; 7, payload -&gt; {"balance":120}
 * </pre>
 * for instance {@code quark:state:Account:alice:account}. Actor type names and state names contain no
 * {@code :}, so the key is unambiguous even when an actor id does. Saves and deletes run as Lua scripts that
 * compare the stored version with the expected one and write in the same atomic step; a load is one
 * {@code HMGET}. Each script touches one key, within Redis Cluster's one-slot rule, except a save with a
 * {@link RedisStateAttachment} (for instance outbox messages), which writes the attachment's keys in the same script
 * on a standalone Redis or with Sentinel; on a Redis Cluster, where those keys lie in other slots than the state's,
 * the script writes the attachment staged in the state's slot, and the attachment carries the writes on after the
 * save ({@link RedisStagedAttachment}).
 */
public class RedisStateStore implements StateStore {

    /**
     * Writes when the stored version (0 when absent) is the expected one. Returns {1, new version} or
     * {0, stored version}.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> SAVE = RedisScript.of("""
            local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
            if current ~= tonumber(ARGV[1]) then
                return {0, current}
            end
            redis.call('HSET', KEYS[1], 'version', current + 1, 'payload', ARGV[2])
            return {1, current + 1}
            """, List.class);

    /**
     * Deletes when the stored version (0 when absent) is the expected one. Returns {1, 0} or {0, stored version}.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> DELETE = RedisScript.of("""
            local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
            if current ~= tonumber(ARGV[1]) then
                return {0, current}
            end
            redis.call('DEL', KEYS[1])
            return {1, 0}
            """, List.class);

    /**
     * The save with attached writes: the version check of {@link #SAVE}, then the attachment's Lua as a function of
     * {@code attached_keys} (KEYS after the first) and {@code attached_args} (ARGV after the second), then the state's
     * write. Returns {1, new version}, {0, stored version} or {2, the attachment's refusal}.
     */
    private static final String SAVE_ATTACHED = """
            local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
            if current ~= tonumber(ARGV[1]) then
                return {0, current}
            end
            local attached_keys = {}
            for i = 2, #KEYS do
                attached_keys[i - 1] = KEYS[i]
            end
            local attached_args = {}
            for i = 3, #ARGV do
                attached_args[i - 2] = ARGV[i]
            end
            local function quark_attached(attached_keys, attached_args)
            %s
            end
            local refusal = quark_attached(attached_keys, attached_args)
            if refusal then
                return {2, refusal}
            end
            redis.call('HSET', KEYS[1], 'version', current + 1, 'payload', ARGV[2])
            return {1, current + 1}
            """;

    private static final List<Object> FIELDS = List.of("version", "payload");

    @SuppressWarnings("rawtypes")
    private final Map<String, RedisScript<List>> attachedScripts = new ConcurrentHashMap<>();

    private final RedisConnectionFactory connectionFactory;

    private final StringRedisTemplate redis;

    private final String keyPrefix;

    private final RedisAttachmentSlots attachmentSlots;

    /**
     * Creates a store.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     */
    public RedisStateStore(RedisConnectionFactory connectionFactory, String keyPrefix) {
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
        this.connectionFactory = connectionFactory;
        this.redis = new StringRedisTemplate(connectionFactory);
        this.attachmentSlots = new RedisAttachmentSlots(new RedisClusterSlots(this.redis));
    }

    /**
     * Returns the Redis key a state is kept under.
     * @param key the state's key
     * @return the Redis key
     */
    public String redisKey(StateKey key) {
        return this.keyPrefix + "state:" + key.actorType() + ":" + key.actorId() + ":" + key.name();
    }

    @Override
    public Optional<StoredState> load(StateKey key) {
        List<Object> values = this.redis.opsForHash().multiGet(redisKey(key), FIELDS);
        Object version = values.get(0);
        Object payload = values.get(1);
        if (version == null && payload == null) {
            return Optional.empty();
        }
        if (version == null || payload == null) {
            throw new IllegalStateException("Redis hash " + redisKey(key) + " is not a Quark state: it lacks the field "
                    + ((version == null) ? "'version'" : "'payload'"));
        }
        return Optional.of(new StoredState((String) payload, Long.parseLong((String) version)));
    }

    @Override
    public long save(StateKey key, String payload, long expectedVersion) {
        long[] result = run(SAVE, key, Long.toString(expectedVersion), payload);
        if (result[0] != 1) {
            throw new ConcurrencyException(key, expectedVersion, result[1]);
        }
        return result[1];
    }

    /**
     * Saves a state and, in the same Lua script, the attached writes when the attachment is a
     * {@link RedisStateAttachment} of this store's Redis. On a Redis Cluster, when the attachment's keys lie in
     * another hash slot than the state's (one script cannot write both there), the script writes the attachment's
     * form {@linkplain RedisStateAttachment#stagedUnder staged} in the state's slot instead, and the attachment
     * carries the writes on after the save ({@link RedisStagedAttachment}); the save succeeds even when that step
     * fails (it is logged, and the writes stay staged for their owner).
     * @throws UnsupportedOperationException on a Redis Cluster, when a key of the attachment lies in another hash
     * slot than the state's and the attachment cannot be staged, naming both; nothing is written
     * @throws IllegalStateException on a Redis Cluster, when the staged form's keys do not hash to the state's slot (a
     * brace in the key prefix moves their hash tag), naming the staged key; nothing is written
     */
    @Override
    @SuppressWarnings("rawtypes")
    public long save(StateKey key, String payload, long expectedVersion, StateWriteAttachment attachment) {
        if (!(attachment instanceof RedisStateAttachment attached)) {
            return StateStore.super.save(key, payload, expectedVersion, attachment);
        }
        if (attached.connectionFactory() != this.connectionFactory) {
            throw new UnsupportedOperationException("State " + key + " is kept by " + this + " on another Redis "
                    + "connection factory than the one of " + attachment.description() + "; both must use the same");
        }
        RedisStateAttachment ran = this.attachmentSlots.runnableBeside(redisKey(key), attached, "save state " + key,
                "state");
        long version = saveAttached(key, payload, expectedVersion, ran);
        RedisAttachmentSlots.afterWrite(ran, "State " + key);
        return version;
    }

    @SuppressWarnings("rawtypes")
    private long saveAttached(StateKey key, String payload, long expectedVersion, RedisStateAttachment attached) {
        RedisScript<List> script = this.attachedScripts.computeIfAbsent(attached.script(),
                (lua) -> RedisScript.of(SAVE_ATTACHED.formatted(lua), List.class));
        List<String> keys = new ArrayList<>(1 + attached.keys().size());
        keys.add(redisKey(key));
        keys.addAll(attached.keys());
        List<String> arguments = new ArrayList<>(2 + attached.arguments().size());
        arguments.add(Long.toString(expectedVersion));
        arguments.add(payload);
        arguments.addAll(attached.arguments());
        List<?> reply = this.redis.execute(script, keys, arguments.toArray());
        if (reply == null || reply.size() != 2) {
            throw new IllegalStateException("Unexpected reply from Redis for " + redisKey(key) + ": " + reply);
        }
        long outcome = ((Number) reply.get(0)).longValue();
        if (outcome == 2) {
            throw new IllegalArgumentException("Refused to save state " + key + " with " + attached.description()
                    + ": " + reply.get(1));
        }
        long version = ((Number) reply.get(1)).longValue();
        if (outcome != 1) {
            throw new ConcurrencyException(key, expectedVersion, version);
        }
        return version;
    }

    @Override
    public void delete(StateKey key, long expectedVersion) {
        long[] result = run(DELETE, key, Long.toString(expectedVersion));
        if (result[0] != 1) {
            throw new ConcurrencyException(key, expectedVersion, result[1]);
        }
    }

    @SuppressWarnings("rawtypes")
    private long[] run(RedisScript<List> script, StateKey key, String... arguments) {
        List<?> reply = this.redis.execute(script, List.of(redisKey(key)), (Object[]) arguments);
        if (reply == null || reply.size() != 2) {
            throw new IllegalStateException("Unexpected reply from Redis for " + redisKey(key) + ": " + reply);
        }
        return new long[] { ((Number) reply.get(0)).longValue(), ((Number) reply.get(1)).longValue() };
    }

    @Override
    public String toString() {
        return "RedisStateStore[keys " + this.keyPrefix + "state:*]";
    }
}
