package dev.quark.cluster.membership.redis;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.redis.RedisChannelSubscriptions;
import dev.quark.redis.RedisPrimaryReads;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Keeps the membership table of one cluster in Redis:
 * <pre>
 * {prefix}membership:{cluster}                 hash, the table
 *     incarnation        -&gt; 0b5e...-...          set by the first write or remove, never changed after
 *     version            -&gt; 12                   raised by one by every write and remove
 *     silo:{silo id}      -&gt; {"format":1,...}    the entry without its heartbeat (JSON, see below)
 *     heartbeat:{silo id} -&gt; 1718006400123       its last heartbeat, milliseconds since the epoch
 * {prefix}membership:{cluster}:alive:{silo id} string, the silo's epoch; exists while the silo beats: every
 *                                              heartbeat sets it to expire after the silo TTL
 * {prefix}membership:{cluster}                 pub/sub channel (channels and keys are apart in Redis): every
 *                                              write and remove publishes the new version
 * </pre>
 * for instance {@code quark:membership:{quark}}. The braces around the cluster name are Redis Cluster's hash
 * tag: every key of a cluster lives in one slot, so each script may touch them all. Writes and removes are Lua
 * scripts that compare the version, change the hash, raise the version (and set the incarnation when the hash
 * has none, that is when the table is new or was lost) and publish the hint in one atomic step; the heartbeat
 * script checks the entry's epoch and status and sets the heartbeat and the liveness key; a read is one
 * {@code HGETALL}. The entry JSON is documented on {@link #entryJson(SiloEntry)}.
 * <p>
 * The liveness keys are not read back: the table's heartbeats are what failure detection uses. They let an
 * operator see at a glance which silos still beat ({@code SCAN 0 MATCH quark:membership:{quark}:alive:*}),
 * as the seed's {@code quark:silo:{id}} keys did.
 */
public class RedisMembershipProvider implements MembershipProvider {

    /**
     * Writes an entry when the table holds the expected version, keeping the stored heartbeat when it is later
     * and of the same epoch, and setting the incarnation when the table has none. Returns {1, new version} or
     * {0, stored version}.
     * <p>
     * KEYS: table, liveness key. ARGV: expected version, silo id, entry JSON, heartbeat millis, epoch, status,
     * channel, new incarnation.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> WRITE = RedisScript.of("""
            local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
            if current ~= tonumber(ARGV[1]) then
                return {0, current}
            end
            redis.call('HSETNX', KEYS[1], 'incarnation', ARGV[8])
            local heartbeat = ARGV[4]
            local stored = redis.call('HGET', KEYS[1], 'silo:' .. ARGV[2])
            if stored then
                local beat = redis.call('HGET', KEYS[1], 'heartbeat:' .. ARGV[2])
                if beat and cjson.decode(stored)['epoch'] == ARGV[5] and tonumber(beat) > tonumber(heartbeat) then
                    heartbeat = beat
                end
            end
            redis.call('HSET', KEYS[1], 'version', current + 1, 'silo:' .. ARGV[2], ARGV[3],
                'heartbeat:' .. ARGV[2], heartbeat)
            if ARGV[6] == 'DEAD' then
                redis.call('DEL', KEYS[2])
            end
            redis.call('PUBLISH', ARGV[7], current + 1)
            return {1, current + 1}
            """, List.class);

    /**
     * Removes an entry when the table holds the expected version, setting the incarnation when the table has
     * none. Returns {1, new version} or {0, stored version}.
     * <p>
     * KEYS: table, liveness key. ARGV: expected version, silo id, channel, new incarnation.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> REMOVE = RedisScript.of("""
            local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
            if current ~= tonumber(ARGV[1]) then
                return {0, current}
            end
            redis.call('HSETNX', KEYS[1], 'incarnation', ARGV[4])
            redis.call('HDEL', KEYS[1], 'silo:' .. ARGV[2], 'heartbeat:' .. ARGV[2])
            redis.call('HSET', KEYS[1], 'version', current + 1)
            redis.call('DEL', KEYS[2])
            redis.call('PUBLISH', ARGV[3], current + 1)
            return {1, current + 1}
            """, List.class);

    /**
     * Records a heartbeat when the table has an entry of this epoch that is not dead. Returns 1 or 0.
     * <p>
     * KEYS: table, liveness key. ARGV: silo id, epoch, heartbeat millis, TTL millis.
     */
    static final RedisScript<Long> HEARTBEAT = RedisScript.of("""
            local stored = redis.call('HGET', KEYS[1], 'silo:' .. ARGV[1])
            if not stored then
                return 0
            end
            local entry = cjson.decode(stored)
            if entry['epoch'] ~= ARGV[2] or entry['status'] == 'DEAD' then
                return 0
            end
            redis.call('HSET', KEYS[1], 'heartbeat:' .. ARGV[1], ARGV[3])
            redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
            return 1
            """, Long.class);

    private static final String VERSION = "version";

    private static final String INCARNATION = "incarnation";

    private static final String SILO = "silo:";

    private static final String HEARTBEAT_FIELD = "heartbeat:";

    private final RedisConnectionFactory connectionFactory;

    private final StringRedisTemplate redis;

    private final String tableKey;

    private final Duration siloTtl;

    private final RedisChannelSubscriptions subscriptions;

    /**
     * Creates the table of one cluster.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     * @param clusterName the cluster's name (not blank, no braces); clusters with other names sharing the
     * Redis server have tables of their own
     * @param siloTtl how long a silo's liveness key lives after its last heartbeat, at least a millisecond
     * @throws IllegalArgumentException naming the bad value, or the read setting of a connection factory that reads
     * from Redis replicas ({@link RedisPrimaryReads})
     * @see #RedisMembershipProvider(RedisConnectionFactory, String, String, Duration, RedisChannelSubscriptions)
     */
    public RedisMembershipProvider(RedisConnectionFactory connectionFactory, String keyPrefix, String clusterName,
            Duration siloTtl) {
        this(connectionFactory, keyPrefix, clusterName, siloTtl,
                new RedisChannelSubscriptions("quark-membership-subscriptions"));
    }

    /**
     * Creates the table of one cluster whose watches subscribe through the given subscriptions, which they share with
     * the other providers and areas given the same (one subscription connection per connection factory, also used by
     * the jobs' and durable tasks' wake-ups); in a Spring application, the context's bean, closed with it.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     * @param clusterName the cluster's name (not blank, no braces)
     * @param siloTtl how long a silo's liveness key lives after its last heartbeat, at least a millisecond
     * @param subscriptions the subscriptions of the watches
     * @throws IllegalArgumentException naming the bad value, or the read setting of a connection factory that reads
     * from Redis replicas ({@link RedisPrimaryReads})
     */
    public RedisMembershipProvider(RedisConnectionFactory connectionFactory, String keyPrefix, String clusterName,
            Duration siloTtl, RedisChannelSubscriptions subscriptions) {
        this.subscriptions = Objects.requireNonNull(subscriptions, "subscriptions must not be null");
        this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
        Objects.requireNonNull(clusterName, "clusterName must not be null");
        this.siloTtl = Objects.requireNonNull(siloTtl, "siloTtl must not be null");
        if (clusterName.isBlank() || clusterName.indexOf('{') >= 0 || clusterName.indexOf('}') >= 0) {
            throw new IllegalArgumentException(
                    "Cluster name '" + clusterName + "' must not be blank nor contain '{' or '}' (Redis hash tags)");
        }
        if (siloTtl.toMillis() < 1) {
            throw new IllegalArgumentException("Silo TTL must be at least 1ms, was " + siloTtl);
        }
        this.tableKey = keyPrefix + "membership:{" + clusterName + "}";
        if (hashTag(this.tableKey) == null) {
            throw new IllegalArgumentException("Key prefix '" + keyPrefix + "' holds an empty hash tag '{}', so the "
                    + "membership keys of a cluster would not share a Redis Cluster slot");
        }
        RedisPrimaryReads.require(connectionFactory, "The Redis membership table of cluster '" + clusterName + "'");
        this.redis = new StringRedisTemplate(connectionFactory);
    }

    /**
     * Returns the key of the hash that holds the table.
     * @return the key, such as {@code quark:membership:{quark}}
     */
    public String tableKey() {
        return this.tableKey;
    }

    /**
     * Returns the key that exists while a silo beats.
     * @param siloId the silo
     * @return the key, such as {@code quark:membership:{quark}:alive:silo-a}
     */
    public String livenessKey(String siloId) {
        return this.tableKey + ":alive:" + siloId;
    }

    /**
     * Returns the pub/sub channel that every write and remove publishes the new version on.
     * @return the channel, named like the table's key
     */
    public String channel() {
        return this.tableKey;
    }

    /**
     * Returns the JSON an entry is kept as, in the hash field {@code silo:{silo id}}:
     * <pre>
     * {"format":1,"siloId":"silo-a","address":{"host":"10.0.0.5","port":7100},
     *  "startTime":"2025-06-10T08:00:00.123Z","status":"ACTIVE","epoch":"3","actorTypes":["Account","Bank"],
     *  "suspicions":[{"suspectingSiloId":"silo-b","at":"2025-06-10T08:00:05Z"}]}
     * </pre>
     * Instants are ISO-8601 in UTC, truncated to milliseconds; the epoch is a string, so that the scripts
     * compare it exactly (Lua numbers are doubles); actor types are sorted. {@code "transportSecurity":"TLS"} or
     * {@code "PLAINTEXT"} follows when the entry says whether the silo's links use TLS (absent, or a value this version
     * does not know: {@code TransportSecurity.UNKNOWN}). The last heartbeat is not in it:
     * it is the field {@code heartbeat:{silo id}}. A later release that changes the format raises
     * {@code format}; this one refuses formats it does not know.
     * @param entry the entry
     * @return its JSON
     */
    public static String entryJson(SiloEntry entry) {
        return SiloEntryJson.write(entry);
    }

    @Override
    public MembershipSnapshot read() {
        Map<Object, Object> hash = this.redis.opsForHash().entries(this.tableKey);
        if (hash.isEmpty()) {
            return MembershipSnapshot.EMPTY;
        }
        Map<String, String> fields = new HashMap<>();
        hash.forEach((field, value) -> fields.put((String) field, (String) value));
        String version = fields.get(VERSION);
        if (version == null) {
            throw new IllegalStateException("Redis hash " + this.tableKey + " is not a Quark membership table: it "
                    + "lacks the field 'version'");
        }
        List<SiloEntry> entries = new ArrayList<>();
        fields.forEach((field, value) -> {
            if (field.startsWith(SILO)) {
                entries.add(entry(field.substring(SILO.length()), value, fields));
            }
        });
        return MembershipSnapshot.of(fields.getOrDefault(INCARNATION, MembershipSnapshot.NO_INCARNATION),
                Long.parseLong(version), entries);
    }

    private SiloEntry entry(String siloId, String json, Map<String, String> fields) {
        String heartbeat = fields.get(HEARTBEAT_FIELD + siloId);
        if (heartbeat == null) {
            throw new IllegalStateException("Redis hash " + this.tableKey + " has the entry 'silo:" + siloId
                    + "' but not its field 'heartbeat:" + siloId + "'");
        }
        try {
            return SiloEntryJson.read(json, Instant.ofEpochMilli(Long.parseLong(heartbeat)));
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalStateException("Redis hash " + this.tableKey + " holds a bad entry in the field 'silo:"
                    + siloId + "': " + ex.getMessage(), ex);
        }
    }

    @Override
    public boolean write(SiloEntry entry, long expectedVersion) {
        Objects.requireNonNull(entry, "entry must not be null");
        return versioned(WRITE, entry.siloId(), Long.toString(expectedVersion), entry.siloId(),
                SiloEntryJson.write(entry), Long.toString(millis(entry.lastHeartbeat())),
                Long.toString(entry.epoch()), entry.status().name(), channel(),
                MembershipSnapshot.newIncarnation());
    }

    @Override
    public boolean remove(String siloId, long expectedVersion) {
        Objects.requireNonNull(siloId, "siloId must not be null");
        return versioned(REMOVE, siloId, Long.toString(expectedVersion), siloId, channel(),
                MembershipSnapshot.newIncarnation());
    }

    @SuppressWarnings("rawtypes")
    private boolean versioned(RedisScript<List> script, String siloId, String... arguments) {
        List<?> reply = this.redis.execute(script, List.of(this.tableKey, livenessKey(siloId)), (Object[]) arguments);
        if (reply == null || reply.size() != 2) {
            throw new IllegalStateException("Unexpected reply from Redis for " + this.tableKey + ": " + reply);
        }
        return ((Number) reply.get(0)).longValue() == 1;
    }

    @Override
    public boolean heartbeat(String siloId, long epoch, Instant at) {
        Objects.requireNonNull(siloId, "siloId must not be null");
        Objects.requireNonNull(at, "at must not be null");
        Long reply = this.redis.execute(HEARTBEAT, List.of(this.tableKey, livenessKey(siloId)), siloId,
                Long.toString(epoch), Long.toString(millis(at)), Long.toString(this.siloTtl.toMillis()));
        return reply != null && reply == 1;
    }

    /**
     * Subscribes to the cluster's channel on the one subscription connection of the connection factory that every
     * user of this provider's {@link RedisChannelSubscriptions} shares (the watches, and in a Spring application the
     * jobs' and durable tasks' wake-ups too: a {@link RedisMessageListenerContainer} per factory, closed with its last
     * subscription),
     * and runs the listener on virtual threads of the watch. It waits for Redis to confirm the subscription at most
     * 5 seconds: when the confirmation is late (or subscribing failed, which is tried again) it logs so and returns
     * all the same, and the listener is told once when the confirmation comes, since changes may have been missed
     * until then; meanwhile the membership agent's table refresh reads what a hint would have announced, so a join
     * does not fail for a late pub/sub answer. The client resubscribes after a lost connection, and every watch is
     * then told once, since changes may have been missed meanwhile.
     */
    @Override
    public Watch watch(Runnable listener) {
        Objects.requireNonNull(listener, "listener must not be null");
        return RedisMembershipWatch.start(this.subscriptions, this.connectionFactory, channel(), listener);
    }

    private static long millis(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MILLIS).toEpochMilli();
    }

    /**
     * Returns the part of a key Redis Cluster hashes: what is between the first '{' and the next '}', the
     * whole key when there is no such pair, or {@code null} when that part is empty ('{}' makes Redis hash the
     * whole key, which would put a cluster's keys in different slots).
     */
    static @Nullable String hashTag(String key) {
        int open = key.indexOf('{');
        if (open < 0) {
            return key;
        }
        int close = key.indexOf('}', open + 1);
        if (close < 0) {
            return key;
        }
        return (close == open + 1) ? null : key.substring(open + 1, close);
    }

    @Override
    public String toString() {
        return "RedisMembershipProvider[" + this.tableKey + "]";
    }
}
