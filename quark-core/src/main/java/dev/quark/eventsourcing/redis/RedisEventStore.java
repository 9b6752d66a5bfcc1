package dev.quark.eventsourcing.redis;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.eventsourcing.AppendResult;
import dev.quark.eventsourcing.ConcurrencyException;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.EventStoreArguments;
import dev.quark.eventsourcing.FeedPosition;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.Snapshot;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.redis.RedisClusterSlots;
import dev.quark.state.StateWriteAttachment;
import dev.quark.state.redis.RedisAttachmentSlots;
import dev.quark.state.redis.RedisStagedAttachment;
import dev.quark.state.redis.RedisStateAttachment;

import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Keeps each event stream in a Redis Stream, with two keys beside it:
 * <pre>
 * {prefix}events:{&lt;stream&gt;}            stream: entry id &lt;version&gt;-0, fields id, type, schema, payload, at
 * {prefix}events:{&lt;stream&gt;}:ids        hash: event id -&gt; version, and {@code version} -&gt; the stream's version
 * {prefix}events:{&lt;stream&gt;}:snapshot   hash: version, payload
 * </pre>
 * for instance {@code quark:events:{Account/alice}}. The braces make the three keys one Redis Cluster hash slot.
 * An append is one Lua script: it looks the event ids up, compares the stream's version with the expected version,
 * and {@code XADD}s the events with their versions as entry ids, all in one atomic step; so a stream's entry ids are
 * its versions and {@code XRANGE} reads from a version directly. The stream's version is the id of its last entry
 * (or its last generated id once every entry was truncated), not its length, so that a stream
 * {@linkplain #truncateStream truncated} before a snapshot keeps it. An append also records it in the ids hash and
 * reads it from there (one {@code HGET}, not an {@code XREVRANGE}); its {@code XADD} of the next id checks it
 * against the stream (an id not above the stream's last is refused), so a stream last appended to by an earlier
 * Quark version, which does not record it, is read from its head.
 * <p>
 * <b>No global feed.</b> Each stream is ordered, but there is no gap-free order across streams: streams live on
 * different keys (and, in a cluster, on different nodes), and nothing orders an append to one after an append
 * to another. {@link #feed()} is empty. Use PostgreSQL when projections must follow every stream in one order.
 */
public class RedisEventStore implements EventStore {

    /**
     * The version of the stream at a key: the entry id of its last entry. A stream truncated through its last event
     * has no entries but keeps its key and its last generated id ({@code XTRIM} leaves an empty stream in place), which
     * is then its version; a stream never appended to (or deleted) has no key and version 0.
     */
    private static final String HEAD_FUNCTION = """
            local function quark_head(key)
                local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
                if #last > 0 then
                    return tonumber(string.match(last[1][1], '^(%d+)'))
                end
                if redis.call('EXISTS', key) == 0 then
                    return 0
                end
                local info = redis.call('XINFO', 'STREAM', key)
                for i = 1, #info, 2 do
                    if info[i] == 'last-generated-id' then
                        return tonumber(string.match(info[i + 1], '^(%d+)'))
                    end
                end
                return 0
            end
            """;

    /** The first check of an append: ids already there. Returns early with the outcome. */
    private static final String APPEND_CHECKS = """
            local n = tonumber(ARGV[2])
            local found, last = 0, 0
            for i = 0, n - 1 do
                local v = redis.call('HGET', KEYS[2], ARGV[3 + i * 4])
                if v then
                    found = found + 1
                    last = math.max(last, tonumber(v))
                end
            end
            if found > 0 then
                return {2, found, last}
            end
            """;

    /**
     * The stream's version as an append reads it: the {@code version} field of the ids hash, written by every append
     * of this version; the stream's head ({@code XREVRANGE}) for a stream without it (last appended to by an earlier
     * version). An earlier version's append leaves the field behind the stream, never ahead of it: a field that
     * differs from the expected version is checked against the head before a conflict is reported, and one that
     * matches it makes the writes' first {@code XADD} find its id taken, when they fall back to the head.
     */
    private static final String RECORDED_VERSION = """
            local recorded = redis.call('HGET', KEYS[2], 'version')
            local current = recorded and tonumber(recorded) or quark_head(KEYS[1])
            if recorded and ARGV[1] ~= '-1' and tonumber(ARGV[1]) ~= current then
                current = quark_head(KEYS[1])
            end
            """;

    /** The stream's version read from its head, exact before an attachment's writes. */
    private static final String HEAD_VERSION = """
            local current = quark_head(KEYS[1])
            """;

    /** The version check of an append, after {@code current} was read. Returns early with a conflict. */
    private static final String VERSION_CHECK = """
            local expected = tonumber(ARGV[1])
            if expected ~= -1 and expected ~= current then
                return {0, current}
            end
            """;

    /**
     * The writes of an append, after its checks: the events, their ids and the stream's version in the ids hash. When
     * the first {@code XADD} finds its id taken, the version read was behind (see {@link #RECORDED_VERSION}): the
     * stream's head is read and checked instead, before anything was written.
     */
    private static final String APPEND_WRITES = """
            local t = redis.call('TIME')
            local at = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
            local function quark_add(i)
                local b = 3 + i * 4
                return redis.pcall('XADD', KEYS[1], string.format('%.0f', current + i + 1) .. '-0', 'id', ARGV[b],
                        'type', ARGV[b + 1], 'schema', ARGV[b + 2], 'payload', ARGV[b + 3], 'at', at)
            end
            local added = quark_add(0)
            if type(added) == 'table' and added.err then
                current = quark_head(KEYS[1])
                if expected ~= -1 and expected ~= current then
                    return {0, current}
                end
                added = quark_add(0)
            end
            for i = 0, n - 1 do
                if i > 0 then
                    added = quark_add(i)
                end
                if type(added) == 'table' and added.err then
                    return added
                end
                local version = string.format('%.0f', current + i + 1)
                if i == n - 1 then
                    redis.call('HSET', KEYS[2], ARGV[3 + i * 4], version, 'version', version)
                else
                    redis.call('HSET', KEYS[2], ARGV[3 + i * 4], version)
                end
            end
            return {1, current + n}
            """;

    /**
     * Appends when the ids are new and the version is the expected one. Returns {1, new version}, {0, current
     * version} for a conflict, or {2, ids found, highest version found} when some ids are already there.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> APPEND = RedisScript.of(HEAD_FUNCTION + APPEND_CHECKS + RECORDED_VERSION
            + VERSION_CHECK + APPEND_WRITES, List.class);

    /**
     * Runs an attachment's Lua after the checks of {@link #APPEND}, as a function of {@code attached_keys} (KEYS after
     * the second) and {@code attached_args} (ARGV after the events'); the attachment's text goes between this and
     * {@link #ATTACHED_CALL}. Returns {3, the attachment's refusal} when it refuses: nothing is written then.
     */
    private static final String ATTACHED_FUNCTION = """
            local attached_keys = {}
            for i = 3, #KEYS do
                attached_keys[i - 2] = KEYS[i]
            end
            local attached_args = {}
            for i = 3 + n * 4, #ARGV do
                attached_args[i - 2 - n * 4] = ARGV[i]
            end
            local function quark_attached(attached_keys, attached_args)
            """;

    private static final String ATTACHED_CALL = """
            end
            local refusal = quark_attached(attached_keys, attached_args)
            if refusal then
                return {3, refusal}
            end
            """;

    /**
     * Deletes a stream's three keys when it is at the expected version. Returns {1, events deleted} or {0, current
     * version} for a conflict.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> DELETE = RedisScript.of(HEAD_FUNCTION + """
            local current = quark_head(KEYS[1])
            local expected = tonumber(ARGV[1])
            if expected ~= -1 and expected ~= current then
                return {0, current}
            end
            local count = redis.call('XLEN', KEYS[1])
            redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
            return {1, count}
            """, List.class);

    /**
     * Truncates one batch of the stream (KEYS[1]) through a version (ARGV[1]) when the stream is at the expected
     * version (ARGV[2], -1 for any) and the version is neither beyond the stream's version nor beyond its snapshot's
     * (KEYS[3]): reads at most ARGV[3] entries up to it, trims the stream through the last of them ({@code XTRIM
     * MINID}, which keeps the key and the last generated id), then deletes their ids from the ids hash (KEYS[2]). Returns
     * {1, events deleted, 1 when entries through the version remain} or, when refused, {0, stream version, snapshot
     * version} (bad version) or {-1, stream version} (not at the expected version).
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> TRUNCATE = RedisScript.of(HEAD_FUNCTION + """
            local head = quark_head(KEYS[1])
            local expected = tonumber(ARGV[2])
            if expected ~= -1 and expected ~= head then
                return {-1, head}
            end
            local snapshot = tonumber(redis.call('HGET', KEYS[3], 'version') or '0')
            local through = tonumber(ARGV[1])
            if through > head or through > snapshot then
                return {0, head, snapshot}
            end
            local batch = tonumber(ARGV[3])
            local entries = redis.call('XRANGE', KEYS[1], '-', ARGV[1] .. '-0', 'COUNT', batch)
            if #entries == 0 then
                return {1, 0, 0}
            end
            local ids = {}
            for _, entry in ipairs(entries) do
                local fields = entry[2]
                for i = 1, #fields, 2 do
                    if fields[i] == 'id' then
                        ids[#ids + 1] = fields[i + 1]
                    end
                end
            end
            local last = tonumber(string.match(entries[#entries][1], '^(%d+)'))
            -- trimmed before the ids are deleted: a server without XTRIM MINID (before Redis 6.2) fails here, and
            -- a script is not rolled back, so nothing must be written before it
            local trimmed = redis.call('XTRIM', KEYS[1], 'MINID', string.format('%.0f', last + 1) .. '-0')
            for i = 1, #ids, 1000 do
                redis.call('HDEL', KEYS[2], unpack(ids, i, math.min(i + 999, #ids)))
            end
            local more = 0
            if #entries == batch and last < through then
                more = 1
            end
            return {1, trimmed, more}
            """, List.class);

    /** The stream's (KEYS[1]) version. */
    static final RedisScript<Long> VERSION = RedisScript.of(HEAD_FUNCTION + "return quark_head(KEYS[1])\n", Long.class);

    /**
     * Keeps the snapshot (KEYS[1]) when the stream (KEYS[2]) is at the expected version (ARGV[3], -1 for any), and the
     * snapshot is newer than the kept one and not beyond the stream's version, which a deletion of the stream after
     * the snapshot's events were appended leaves it. Returns {1, stream version} when it was kept, {0, stream version}
     * when not, {-1, stream version} when the stream is not at the expected version.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> SAVE_SNAPSHOT = RedisScript.of(HEAD_FUNCTION + """
            local head = quark_head(KEYS[2])
            local expected = tonumber(ARGV[3])
            if expected ~= -1 and expected ~= head then
                return {-1, head}
            end
            local kept = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
            local given = tonumber(ARGV[1])
            if given > kept and given <= head then
                redis.call('HSET', KEYS[1], 'version', ARGV[1], 'payload', ARGV[2])
                return {1, head}
            end
            return {0, head}
            """, List.class);

    /** The default {@linkplain #truncationBatch() truncation batch}. */
    public static final int DEFAULT_TRUNCATION_BATCH = 1000;

    /** The largest {@linkplain #truncationBatch() truncation batch}. */
    public static final int MAX_TRUNCATION_BATCH = 10_000;

    private static final List<Object> SNAPSHOT_FIELDS = List.of("version", "payload");

    @SuppressWarnings("rawtypes")
    private final Map<String, RedisScript<List>> attachedScripts = new ConcurrentHashMap<>();

    private final RedisConnectionFactory connectionFactory;

    private final StringRedisTemplate redis;

    private final String keyPrefix;

    private final int truncationBatch;

    private final RedisAttachmentSlots attachmentSlots;

    /**
     * Creates a store that truncates in batches of {@value #DEFAULT_TRUNCATION_BATCH} events.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     */
    public RedisEventStore(RedisConnectionFactory connectionFactory, String keyPrefix) {
        this(connectionFactory, keyPrefix, DEFAULT_TRUNCATION_BATCH);
    }

    /**
     * Creates a store.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     * @param truncationBatch the most events one Lua script of a {@linkplain #truncateStream truncation} deletes, 1 to
     * {@value #MAX_TRUNCATION_BATCH}: a larger batch blocks Redis longer, a smaller one takes more round trips
     * @throws IllegalArgumentException when the batch is out of range
     */
    public RedisEventStore(RedisConnectionFactory connectionFactory, String keyPrefix, int truncationBatch) {
        this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
        if (truncationBatch < 1 || truncationBatch > MAX_TRUNCATION_BATCH) {
            throw new IllegalArgumentException("The truncation batch of a Redis event store must be 1 to "
                    + MAX_TRUNCATION_BATCH + " events, was " + truncationBatch);
        }
        this.truncationBatch = truncationBatch;
        this.redis = new StringRedisTemplate(connectionFactory);
        this.attachmentSlots = new RedisAttachmentSlots(new RedisClusterSlots(this.redis));
    }

    /**
     * Returns the most events one Lua script of a truncation deletes.
     * @return the batch size
     */
    public int truncationBatch() {
        return this.truncationBatch;
    }

    /**
     * Returns the key of the Redis Stream that holds an event stream.
     * @param stream the event stream
     * @return the key
     */
    public String redisKey(String stream) {
        return this.keyPrefix + "events:{" + stream + "}";
    }

    @Override
    public AppendResult append(String stream, List<NewEvent> events, long expectedVersion) {
        EventStoreArguments.append(stream, events, expectedVersion);
        String key = redisKey(stream);
        return outcome(stream, events, expectedVersion,
                this.redis.execute(APPEND, List.of(key, key + ":ids"), arguments(events, expectedVersion).toArray()));
    }

    /**
     * Appends events and makes the writes of a {@link RedisStateAttachment} of this store's Redis (for instance
     * outbox messages) in the append's Lua script: after the id and version checks, before the events are added, in
     * one atomic step. Keys of the attachment lie outside the stream's hash slot: on a Redis Cluster (where Redis
     * would refuse such a script, {@code CROSSSLOT}) the script writes the attachment's form
     * {@linkplain RedisStateAttachment#stagedUnder staged} in the stream's slot instead, and the attachment carries
     * the writes on after the append ({@link RedisStagedAttachment}; a failure of that step is logged and does not
     * fail the append). An append whose events were all appended before ({@link AppendResult#duplicate()}) writes
     * nothing of the attachment. Standalone Redis and Sentinel run every attachment in place.
     * @throws UnsupportedOperationException on a Redis Cluster, when a key of the attachment lies in another hash
     * slot than the stream's and the attachment cannot be staged, naming both; nothing is written
     * @throws IllegalStateException on a Redis Cluster, when the staged form's keys do not hash to the stream's slot (a
     * brace in the key prefix moves their hash tag), naming the staged key; nothing is written
     */
    @Override
    @SuppressWarnings("rawtypes")
    public AppendResult append(String stream, List<NewEvent> events, long expectedVersion,
            StateWriteAttachment attachment) {
        Objects.requireNonNull(attachment, "attachment must not be null");
        if (!(attachment instanceof RedisStateAttachment attached)) {
            return EventStore.super.append(stream, events, expectedVersion, attachment);
        }
        if (attached.connectionFactory() != this.connectionFactory) {
            throw new UnsupportedOperationException("Event stream '" + stream + "' is kept by " + this + " on another "
                    + "Redis connection factory than the one of " + attachment.description()
                    + "; both must use the same");
        }
        EventStoreArguments.append(stream, events, expectedVersion);
        RedisStateAttachment ran = this.attachmentSlots.runnableBeside(redisKey(stream), attached,
                "append to event stream '" + stream + "'", "stream");
        AppendResult result = appendAttached(stream, events, expectedVersion, ran);
        if (!result.duplicate()) {
            RedisAttachmentSlots.afterWrite(ran, "Event stream '" + stream + "'");
        }
        return result;
    }

    @SuppressWarnings("rawtypes")
    private AppendResult appendAttached(String stream, List<NewEvent> events, long expectedVersion,
            RedisStateAttachment attached) {
        RedisScript<List> script = this.attachedScripts.computeIfAbsent(attached.script(), (lua) -> RedisScript
            .of(HEAD_FUNCTION + APPEND_CHECKS + HEAD_VERSION + VERSION_CHECK + ATTACHED_FUNCTION + lua + "\n"
                    + ATTACHED_CALL + APPEND_WRITES, List.class));
        String key = redisKey(stream);
        List<String> keys = new ArrayList<>(2 + attached.keys().size());
        keys.add(key);
        keys.add(key + ":ids");
        keys.addAll(attached.keys());
        List<String> arguments = arguments(events, expectedVersion);
        arguments.addAll(attached.arguments());
        List reply = this.redis.execute(script, keys, arguments.toArray());
        if (reply != null && reply.size() == 2 && ((Number) reply.get(0)).longValue() == 3) {
            throw new IllegalArgumentException("Refused to append to event stream '" + stream + "' with "
                    + attached.description() + ": " + reply.get(1));
        }
        return outcome(stream, events, expectedVersion, reply);
    }

    private static List<String> arguments(List<NewEvent> events, long expectedVersion) {
        List<String> arguments = new ArrayList<>(2 + events.size() * 4);
        arguments.add(Long.toString(expectedVersion));
        arguments.add(Integer.toString(events.size()));
        for (NewEvent event : events) {
            arguments.add(event.eventId().toString());
            arguments.add(event.type());
            arguments.add(Integer.toString(event.schemaVersion()));
            arguments.add(event.payload());
        }
        return arguments;
    }

    @SuppressWarnings("rawtypes")
    private AppendResult outcome(String stream, List<NewEvent> events, long expectedVersion, List reply) {
        if (reply == null || reply.size() < 2) {
            throw new IllegalStateException("Unexpected reply from Redis for " + redisKey(stream) + ": " + reply);
        }
        long outcome = ((Number) reply.get(0)).longValue();
        if (outcome == 1) {
            return new AppendResult(((Number) reply.get(1)).longValue(), false);
        }
        if (outcome == 0) {
            throw new ConcurrencyException(stream, expectedVersion, ((Number) reply.get(1)).longValue());
        }
        EventStoreArguments.repeated(stream, events, (int) ((Number) reply.get(1)).longValue());
        return new AppendResult(((Number) reply.get(2)).longValue(), true);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public long deleteStream(String stream, long expectedVersion) {
        EventStoreArguments.delete(stream, expectedVersion);
        String key = redisKey(stream);
        List reply = this.redis.execute(DELETE, List.of(key, key + ":ids", key + ":snapshot"),
                Long.toString(expectedVersion));
        if (reply == null || reply.size() != 2) {
            throw new IllegalStateException("Unexpected reply from Redis for " + key + ": " + reply);
        }
        long count = ((Number) reply.get(1)).longValue();
        if (((Number) reply.get(0)).longValue() != 1) {
            throw new ConcurrencyException(stream, expectedVersion, count);
        }
        return count;
    }

    /**
     * Truncates a stream in batches of at most {@link #truncationBatch()} events, one Lua script each, so that a long
     * truncation never blocks Redis for long: the first script checks the expected version, and each checks the
     * version against the stream's and its snapshot's, then deletes the next batch's ids and trims the stream through
     * its last entry ({@code XTRIM MINID}). Between batches a reader sees the stream start later than before, never
     * beyond the snapshot, so snapshot and kept events always rebuild the state; appends go on between batches (they
     * append after the truncated version and are never deleted). The stream keeps its key when every entry was
     * deleted, so that its last generated id keeps its version. Only the first batch checks the expected version: when
     * the stream is deleted (or its snapshot goes back) between batches, the next batch is refused and the truncation
     * returns what it deleted; but when it is deleted and written again to at least the version, with a snapshot at or
     * beyond it, the next batches pass their checks and go on deleting the rewritten stream's events up to the version
     * (covered by its snapshot, so its state can still be rebuilt). Needs Redis 6.2 or later ({@code XTRIM MINID}).
     */
    @Override
    public long truncateStream(String stream, long version) {
        return truncateStream(stream, version, ANY_VERSION);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public long truncateStream(String stream, long version, long expectedVersion) {
        EventStoreArguments.truncate(stream, version);
        EventStoreArguments.expectedVersion(stream, expectedVersion, "A truncation");
        String key = redisKey(stream);
        List<String> keys = List.of(key, key + ":ids", key + ":snapshot");
        String batch = Integer.toString(this.truncationBatch);
        long deleted = 0;
        long expected = expectedVersion;
        for (boolean first = true;; first = false) {
            List reply = this.redis.execute(TRUNCATE, keys, Long.toString(version), Long.toString(expected), batch);
            if (reply == null || reply.size() < 2) {
                throw new IllegalStateException("Unexpected reply from Redis for " + key + ": " + reply);
            }
            long outcome = ((Number) reply.get(0)).longValue();
            if (outcome == -1) {
                EventStoreArguments.expect(stream, expected, ((Number) reply.get(1)).longValue(), "nothing was truncated");
                throw new IllegalStateException("Unexpected reply from Redis for " + key + ": " + reply);
            }
            if (outcome != 1) {
                if (!first) {
                    return deleted;     // deleted, or its snapshot went back, since the previous batch
                }
                EventStoreArguments.truncatable(stream, version, ((Number) reply.get(1)).longValue(),
                        ((Number) reply.get(2)).longValue());
                throw new IllegalStateException("Unexpected reply from Redis for " + key + ": " + reply);
            }
            deleted += ((Number) reply.get(1)).longValue();
            if (((Number) reply.get(2)).longValue() == 0) {
                return deleted;
            }
            expected = ANY_VERSION;
        }
    }

    @Override
    public List<StoredEvent> read(String stream, long fromVersion, int limit) {
        EventStoreArguments.read(stream, fromVersion, limit);
        String key = redisKey(stream);
        List<MapRecord<String, Object, Object>> records = this.redis.opsForStream()
            .range(key, Range.rightUnbounded(Range.Bound.inclusive(fromVersion + "-0")), Limit.limit().count(limit));
        if (records == null) {
            return List.of();
        }
        List<StoredEvent> events = new ArrayList<>(records.size());
        for (MapRecord<String, Object, Object> record : records) {
            events.add(event(stream, key, record));
        }
        return events;
    }

    private static StoredEvent event(String stream, String key, MapRecord<String, Object, Object> record) {
        Map<Object, Object> fields = record.getValue();
        try {
            return new StoredEvent(stream, Long.parseLong(record.getId().getValue().split("-")[0]), UUID.fromString(field(fields, "id")),
                    field(fields, "type"), Integer.parseInt(field(fields, "schema")), field(fields, "payload"),
                    Instant.ofEpochMilli(Long.parseLong(field(fields, "at"))), FeedPosition.NONE);
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalStateException("Redis stream " + key + " entry " + record.getId()
                    + " is not a Quark event: " + ex.getMessage(), ex);
        }
    }

    private static String field(Map<Object, Object> fields, String name) {
        Object value = fields.get(name);
        if (value == null) {
            throw new IllegalArgumentException("it lacks the field '" + name + "'");
        }
        return value.toString();
    }

    @Override
    public long version(String stream) {
        EventStoreArguments.stream(stream);
        Long head = this.redis.execute(VERSION, List.of(redisKey(stream)));
        return (head != null) ? head : 0;
    }

    @Override
    public void saveSnapshot(String stream, Snapshot snapshot) {
        saveSnapshot(stream, snapshot, ANY_VERSION);
    }

    /**
     * Keeps a snapshot when the stream is at the expected version, and unless it is beyond the stream's version, in
     * one Lua script.
     */
    @Override
    @SuppressWarnings("rawtypes")
    public void saveSnapshot(String stream, Snapshot snapshot, long expectedVersion) {
        EventStoreArguments.expectedVersion(stream, expectedVersion, "A snapshot");
        Objects.requireNonNull(snapshot, "snapshot must not be null");
        String key = redisKey(stream);
        List reply = this.redis.execute(SAVE_SNAPSHOT, List.of(key + ":snapshot", key),
                Long.toString(snapshot.version()), snapshot.payload(), Long.toString(expectedVersion));
        if (reply == null || reply.size() != 2) {
            throw new IllegalStateException("Unexpected reply from Redis for " + key + ": " + reply);
        }
        if (((Number) reply.get(0)).longValue() == -1) {
            EventStoreArguments.expect(stream, expectedVersion, ((Number) reply.get(1)).longValue(),
                    "no snapshot was saved");
            throw new IllegalStateException("Unexpected reply from Redis for " + key + ": " + reply);
        }
    }

    @Override
    public Optional<Snapshot> loadSnapshot(String stream) {
        EventStoreArguments.stream(stream);
        String key = redisKey(stream) + ":snapshot";
        List<Object> values = this.redis.opsForHash().multiGet(key, SNAPSHOT_FIELDS);
        if (values.get(0) == null && values.get(1) == null) {
            return Optional.empty();
        }
        if (values.get(0) == null || values.get(1) == null) {
            throw new IllegalStateException("Redis hash " + key + " is not a Quark snapshot: it lacks the field "
                    + ((values.get(0) == null) ? "'version'" : "'payload'"));
        }
        return Optional.of(new Snapshot(Long.parseLong((String) values.get(0)), (String) values.get(1)));
    }

    @Override
    public String toString() {
        return "RedisEventStore[keys " + this.keyPrefix + "events:*]";
    }
}
