package dev.quark.reminder.redis;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

import dev.quark.lease.FencingToken;
import dev.quark.redis.RedisClusterSlots;
import dev.quark.reminder.DueReminders;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderChange;
import dev.quark.reminder.ReminderChangesTrimmedException;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.reminder.StoredSchedule;
import dev.quark.runtime.ActorAddress;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.dao.QueryTimeoutException;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.ReturnType;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.util.ClassUtils;

/**
 * Keeps reminders in Redis, ten keys per bucket, all with the bucket as their hash tag so that each script
 * touches one Redis Cluster slot:
 * <pre>
 * {prefix}reminders:{b}:due    sorted set: reminder -&gt; fire time of its next tick (epoch ms)
 * {prefix}reminders:{b}:def    hash: reminder -&gt; {"due":…,"period":…,"cron":…,"zone":…,"maxTicks":…,"end":…,"payload":"base64"}
 * {prefix}reminders:{b}:tick   hash: reminder -&gt; registration:scheduledAt:number:attempt:fireAt
 * {prefix}reminders:{b}:keys   sorted set, all scores 0: reminder, for the lexical range of one actor
 * {prefix}reminders:{b}:fence  string: the fencing token the bucket's current owner stamped it with
 * {prefix}reminders:{b}:version  string: the bucket's change version, incremented by every registration and removal
 * {prefix}reminders:{b}:changes  sorted set: reminder -&gt; the change version of its last registration or removal
 * {prefix}reminders:{b}:changed  sorted set: reminder -&gt; when it was last registered or removed (epoch ms)
 * {prefix}reminders:{b}:trimmed  string: the highest change version trimmed from {@code changes}
 * {prefix}reminders:{b}:logged   string: the change version of the last change recorded by this version of the table
 * </pre>
 * for instance {@code quark:reminders:{517}:due}, where a reminder is {@code type NUL id NUL name} (none of the
 * three contains NUL). Every change runs as a Lua script over one bucket's keys, so a reader never sees half of
 * one. A read of due reminders or a batch of next ticks is one script call per bucket, all sent in one pipeline:
 * the table is read with as many round trips as there are reads, not reminders. A next tick is written only
 * while the stored tick carries the registration it was fired for.
 * <p>
 * A registration or removal increments the bucket's change version and records it for the reminder in the same
 * script; writes of next ticks touch neither. The same script first trims the bucket's change entries older than
 * {@link ReminderTable#CHANGE_RETENTION} (at most {@link ReminderTable#TRIM_BATCH}, by the table's clock), and raises
 * {@code trimmed} to the highest version it removed: a read of changes after an earlier version fails with
 * {@link ReminderChangesTrimmedException}. The clock is the table's (passed to the scripts), not Redis's.
 * <p>
 * <b>Rolling upgrade from the first version of change tracking.</b> Its registrations and removals increment
 * {@code version} and write {@code changes} but not {@code changed} or {@code logged}, and its removals prune the
 * oldest {@code changes} entries beyond the bucket's reminders and 1,000 more, without raising {@code trimmed}: a
 * reader could miss a live reminder's change. So a bucket whose {@code version} is not the {@code logged} one of the
 * last change recorded here counts as trimmed up to that version, and the next change recorded here raises
 * {@code trimmed} to it: readers behind it read the bucket whole, once.
 */
public class RedisReminderTable implements ReminderTable {

    /**
     * Records the change of a reminder (ARGV[1]) at a time (ARGV[2], epoch ms), after trimming the bucket's change
     * entries changed before ARGV[3], at most ARGV[4] of them: KEYS[5..9] are version, changes, changed, trimmed,
     * logged. A version other than {@code logged} was reached by a node of the first version of change tracking
     * (rolling upgrade), whose removals pruned change entries by count without raising {@code trimmed}: readers
     * behind that version are told to read the bucket whole, as after a trim.
     */
    private static final String RECORD_CHANGE = """
            local current = redis.call('GET', KEYS[5]) or '0'
            if current ~= (redis.call('GET', KEYS[9]) or '0')
                    and tonumber(current) > tonumber(redis.call('GET', KEYS[8]) or '0') then
                redis.call('SET', KEYS[8], current)
            end
            local stale = redis.call('ZRANGEBYSCORE', KEYS[7], '-inf', '(' .. ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
            if #stale > 0 then
                local floor = tonumber(redis.call('GET', KEYS[8]) or '0')
                for _, old in ipairs(stale) do
                    local version = tonumber(redis.call('ZSCORE', KEYS[6], old) or '0')
                    if version > floor then
                        floor = version
                    end
                    redis.call('ZREM', KEYS[6], old)
                    redis.call('ZREM', KEYS[7], old)
                end
                redis.call('SET', KEYS[8], string.format('%.0f', floor))
            end
            local version = redis.call('INCR', KEYS[5])
            redis.call('ZADD', KEYS[6], version, ARGV[1])
            redis.call('ZADD', KEYS[7], ARGV[2], ARGV[1])
            redis.call('SET', KEYS[9], version)
            """;

    /**
     * Stores a reminder: definition (ARGV[5]), tick (ARGV[6]), due index (fire time ARGV[7]), actor index, and its
     * change.
     */
    static final RedisScript<Long> SAVE = RedisScript.of("""
            redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
            redis.call('HSET', KEYS[3], ARGV[1], ARGV[6])
            redis.call('ZADD', KEYS[1], ARGV[7], ARGV[1])
            redis.call('ZADD', KEYS[4], 0, ARGV[1])
            """ + RECORD_CHANGE + """
            return 1
            """, Long.class);

    /**
     * Removes a reminder and records the change; returns 1 when there was one.
     */
    static final RedisScript<Long> DELETE = RedisScript.of("""
            redis.call('ZREM', KEYS[1], ARGV[1])
            redis.call('HDEL', KEYS[3], ARGV[1])
            redis.call('ZREM', KEYS[4], ARGV[1])
            local removed = redis.call('HDEL', KEYS[2], ARGV[1])
            if removed == 1 then
            """ + RECORD_CHANGE + """
            end
            return removed
            """, Long.class);

    /** Reads a bucket's change version. */
    static final String VERSION = """
            return tonumber(redis.call('GET', KEYS[1]) or '0')
            """;

    /**
     * Reads the changes of a bucket after a version (ARGV[1]), at most ARGV[2], in version order, after the bucket's
     * trimmed version: {trimmed, member, version, definition or '', tick or '', ...}; only {trimmed} when the bucket
     * was trimmed beyond ARGV[1]. KEYS are changes, def, tick, trimmed, version, logged: a version other than
     * {@code logged} (a node of the first version of change tracking changed the bucket last) counts as trimmed.
     */
    static final String CHANGES = """
            local trimmed = redis.call('GET', KEYS[4]) or '0'
            local version = redis.call('GET', KEYS[5]) or '0'
            if version ~= (redis.call('GET', KEYS[6]) or '0') and tonumber(version) > tonumber(trimmed) then
                trimmed = version
            end
            local result = {trimmed}
            if tonumber(trimmed) > tonumber(ARGV[1]) then
                return result
            end
            local read = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0,
                tonumber(ARGV[2]))
            for i = 1, #read, 2 do
                local member = read[i]
                local definition = redis.call('HGET', KEYS[2], member)
                local tick = redis.call('HGET', KEYS[3], member)
                result[#result + 1] = member
                result[#result + 1] = read[i + 1]
                result[#result + 1] = definition or ''
                result[#result + 1] = tick or ''
            end
            return result
            """;

    /** Reads reminders by member: {member, definition, tick, ...}, skipping the missing. */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> FIND = RedisScript.of("""
            local result = {}
            local members = ARGV
            if #KEYS == 3 then
                members = redis.call('ZRANGEBYLEX', KEYS[3], ARGV[1], ARGV[2])
            end
            for _, member in ipairs(members) do
                local definition = redis.call('HGET', KEYS[1], member)
                local tick = redis.call('HGET', KEYS[2], member)
                if definition and tick then
                    result[#result + 1] = member
                    result[#result + 1] = definition
                    result[#result + 1] = tick
                end
            end
            return result
            """, List.class);

    /**
     * Reads the due reminders of a bucket from ARGV[3] to ARGV[1], earliest first: {member, definition, tick, ...}.
     */
    static final String DUE = """
            local result = {}
            local members = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[3], ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
            for _, member in ipairs(members) do
                local definition = redis.call('HGET', KEYS[2], member)
                local tick = redis.call('HGET', KEYS[3], member)
                if definition and tick then
                    result[#result + 1] = member
                    result[#result + 1] = definition
                    result[#result + 1] = tick
                end
            end
            return result
            """;

    /** Counts the reminders of a bucket due before ARGV[1] (exclusive, as {@code (millis}). */
    static final String COUNT_DUE = """
            return redis.call('ZCOUNT', KEYS[1], '-inf', ARGV[1])
            """;

    /**
     * How long a batch of script calls waits for Redis's replies unless the table is given another bound: Lettuce's
     * own default command timeout.
     */
    public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(60);

    /**
     * Stamps a bucket with a fencing token unless it holds a greater one; returns 1 when it did.
     */
    static final String STAMP = """
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            if current > tonumber(ARGV[1]) then
                return 0
            end
            redis.call('SET', KEYS[1], ARGV[1])
            return 1
            """;

    /** Reads the token a bucket was last stamped with; 0 when it was never stamped. */
    static final String STAMPS = """
            return tonumber(redis.call('GET', KEYS[1]) or '0')
            """;

    /**
     * Applies next ticks to one bucket or several: KEYS holds {@code due, def, tick, keys, fence} of each bucket, ARGV
     * first the number of updates of each bucket, then (member, registration, tick or '' to remove, fire time, fencing
     * token or '' when unfenced) per update, bucket after bucket. Returns how many were applied. Each bucket's updates
     * are checked against that bucket's fence. An advance to a tick older than the stored one (a lower tick number, or
     * the same with a lower attempt) changes nothing but counts as applied: a call cancelled at the reply timeout may
     * still run after a newer write of the same reminder, and must not move it back.
     */
    static final String APPLY = """
            local function order(tick)
                local _, _, number, attempt = string.find(tick, '^[^:]*:[^:]*:([^:]*):([^:]*):')
                return tonumber(number) or 0, tonumber(attempt) or 0
            end
            local buckets = #KEYS / 5
            local applied = 0
            local at = buckets + 1
            for b = 0, buckets - 1 do
                local k = b * 5
                local stamp = redis.call('GET', KEYS[k + 5])
                local last = at + tonumber(ARGV[b + 1]) * 5 - 1
                for i = at, last, 5 do
                    local member = ARGV[i]
                    local prefix = ARGV[i + 1] .. ':'
                    local token = ARGV[i + 4]
                    local current = redis.call('HGET', KEYS[k + 3], member)
                    if current and string.sub(current, 1, #prefix) == prefix
                            and (token == '' or (stamp and tonumber(stamp) == tonumber(token))) then
                        if ARGV[i + 2] == '' then
                            redis.call('ZREM', KEYS[k + 1], member)
                            redis.call('HDEL', KEYS[k + 2], member)
                            redis.call('HDEL', KEYS[k + 3], member)
                            redis.call('ZREM', KEYS[k + 4], member)
                        else
                            local number, attempt = order(ARGV[i + 2])
                            local storedNumber, storedAttempt = order(current)
                            if number > storedNumber or (number == storedNumber and attempt >= storedAttempt) then
                                redis.call('HSET', KEYS[k + 3], member, ARGV[i + 2])
                                redis.call('ZADD', KEYS[k + 1], ARGV[i + 3], member)
                            end
                        end
                        applied = applied + 1
                    end
                end
                at = last + 1
            end
            return applied
            """;

    /**
     * The most buckets one call of {@link #APPLY} writes on a Redis that is not a cluster. One call per bucket cost
     * more than the writes themselves: with a thousand buckets a batch of next ticks touches nearly one bucket per
     * write, and each call is a command for the client to encode and a script for Redis to start. A bound keeps each
     * call short, as Redis runs nothing else while a script runs.
     */
    static final int BUCKETS_PER_CALL = 64;

    /** The longest reply timeout: {@link Long#MAX_VALUE} nanoseconds, what a deadline on the nano clock holds. */
    public static final Duration MAX_REPLY_TIMEOUT = Duration.ofNanos(Long.MAX_VALUE);

    private static final char SEPARATOR = '\u0000';

    private static final Logger logger = LoggerFactory.getLogger(RedisReminderTable.class);

    private final StringRedisTemplate redis;

    private final String keyPrefix;

    private final JsonMapper json = JsonMapper.shared();

    private final PipelinedScript due;

    private final PipelinedScript apply;

    private final PipelinedScript stamp;

    private final PipelinedScript stamps;

    private final PipelinedScript countDue;

    private final PipelinedScript version;

    private final PipelinedScript changes;

    private final Duration replyTimeout;

    private final Clock clock;

    /** Whether the Redis is a cluster, asked once. */
    private final RedisClusterSlots slots;

    /** Set once a Redis refused a write over several buckets ({@code CROSSSLOT}): one bucket per call from then on. */
    private volatile boolean oneBucketPerCall;

    /**
     * The keys of every bucket's structures, encoded once: {@code due, def, tick} (what a read of due reminders
     * names) and {@code due, def, tick, keys, fence} (what a write of next ticks names), by bucket.
     */
    private final byte[][][] readKeys = new byte[ReminderBuckets.COUNT][][];

    private final byte[][][] applyKeys = new byte[ReminderBuckets.COUNT][][];

    /**
     * Creates a table.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     */
    public RedisReminderTable(RedisConnectionFactory connectionFactory, String keyPrefix) {
        this(connectionFactory, keyPrefix, DEFAULT_REPLY_TIMEOUT);
    }

    /**
     * Creates a table whose batched reads and writes (and the loading of their scripts) wait at most
     * {@code replyTimeout} for Redis's replies. With Lettuce the bound holds even when Lettuce's command timeout is
     * turned off: past it the read or write fails with a {@link QueryTimeoutException} naming the bucket whose reply
     * did not come (the tick manager tries again). With another client (Jedis) the calls go through Spring Data
     * Redis's pipelining and wait as long as that client's own timeouts let them: this bound does not apply. A
     * timeout above {@link #MAX_REPLY_TIMEOUT} (about 292 years) is taken as that maximum.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     * @param replyTimeout how long a batch waits for its replies, positive
     * @throws IllegalArgumentException naming the value when the timeout is not positive
     */
    public RedisReminderTable(RedisConnectionFactory connectionFactory, String keyPrefix, Duration replyTimeout) {
        this(connectionFactory, keyPrefix, replyTimeout, Clock.systemUTC());
    }

    /**
     * Creates a table whose batched reads and writes wait at most {@code replyTimeout} for Redis's replies (see
     * {@link #RedisReminderTable(RedisConnectionFactory, String, Duration)}), and whose change entries age on a clock.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     * @param replyTimeout how long a batch waits for its replies, positive
     * @param clock the clock that dates registrations and removals, for the trimming of their change entries
     * @throws IllegalArgumentException naming the value when the timeout is not positive
     */
    public RedisReminderTable(RedisConnectionFactory connectionFactory, String keyPrefix, Duration replyTimeout,
            Clock clock) {
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
        Objects.requireNonNull(replyTimeout, "replyTimeout must not be null");
        if (replyTimeout.isNegative() || replyTimeout.isZero()) {
            throw new IllegalArgumentException("Reminder table reply timeout " + replyTimeout + " is not allowed: "
                    + "it must be positive");
        }
        if (replyTimeout.compareTo(MAX_REPLY_TIMEOUT) > 0) {
            replyTimeout = MAX_REPLY_TIMEOUT;
        }
        this.replyTimeout = replyTimeout;
        this.redis = new StringRedisTemplate(connectionFactory);
        this.slots = new RedisClusterSlots(this.redis);
        this.due = new PipelinedScript(this.redis, DUE, ReturnType.MULTI, replyTimeout);
        this.apply = new PipelinedScript(this.redis, APPLY, ReturnType.INTEGER, replyTimeout);
        this.stamp = new PipelinedScript(this.redis, STAMP, ReturnType.INTEGER, replyTimeout);
        this.stamps = new PipelinedScript(this.redis, STAMPS, ReturnType.INTEGER, replyTimeout);
        this.countDue = new PipelinedScript(this.redis, COUNT_DUE, ReturnType.INTEGER, replyTimeout);
        this.version = new PipelinedScript(this.redis, VERSION, ReturnType.INTEGER, replyTimeout);
        this.changes = new PipelinedScript(this.redis, CHANGES, ReturnType.MULTI, replyTimeout);
        for (int bucket = 0; bucket < ReminderBuckets.COUNT; bucket++) {
            byte[][] apply = new byte[][] { bytes(redisKey(bucket, "due")), bytes(redisKey(bucket, "def")),
                    bytes(redisKey(bucket, "tick")), bytes(redisKey(bucket, "keys")), bytes(redisKey(bucket, "fence")) };
            this.applyKeys[bucket] = apply;
            this.readKeys[bucket] = Arrays.copyOf(apply, 3);
        }
    }

    /**
     * Returns how long a batch of script calls waits for Redis's replies (with Lettuce).
     * @return the reply timeout, at most {@link #MAX_REPLY_TIMEOUT}
     */
    public Duration replyTimeout() {
        return this.replyTimeout;
    }

    /**
     * Returns the Redis key of one of a bucket's structures.
     * @param bucket the bucket
     * @param structure {@code due}, {@code def}, {@code tick}, {@code keys}, {@code fence}, {@code version},
     * {@code changes}, {@code changed}, {@code trimmed} or {@code logged}
     * @return the key, for instance {@code quark:reminders:{517}:due}
     */
    public String redisKey(int bucket, String structure) {
        return this.keyPrefix + "reminders:{" + bucket + "}:" + structure;
    }

    /**
     * Returns the member a reminder has in its bucket's structures.
     * @param key the reminder
     * @return {@code type NUL id NUL name}
     */
    public static String member(ReminderKey key) {
        return key.toText();
    }

    @Override
    public void save(ReminderEntry entry) {
        int bucket = entry.bucket();
        Instant now = this.clock.instant();
        this.redis.execute(SAVE,
                keys(bucket, "due", "def", "tick", "keys", "version", "changes", "changed", "trimmed", "logged"),
                member(entry.key()), Long.toString(now.toEpochMilli()),
                Long.toString(now.minus(CHANGE_RETENTION).toEpochMilli()), Integer.toString(TRIM_BATCH),
                definition(entry), tick(entry.registration(), entry.tick()),
                Long.toString(entry.tick().fireAt().toEpochMilli()));
    }

    @Override
    public Optional<ReminderEntry> find(ReminderKey key) {
        List<?> reply = this.redis.execute(FIND, keys(key.bucket(), "def", "tick"), member(key));
        List<ReminderEntry> found = entries(reply);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.getFirst());
    }

    @Override
    public List<ReminderEntry> list(ActorAddress actor) {
        String owner = actor.typeName() + SEPARATOR + actor.id();
        if (owner.chars().filter((character) -> character == SEPARATOR).count() != 1) {
            return List.of();
        }
        List<?> reply = this.redis.execute(FIND, keys(ReminderBuckets.of(actor), "def", "tick", "keys"),
                "[" + owner + SEPARATOR, "(" + owner + '\u0001');
        return entries(reply);
    }

    @Override
    public boolean delete(ReminderKey key) {
        Instant now = this.clock.instant();
        Long removed = this.redis.execute(DELETE,
                keys(key.bucket(), "due", "def", "tick", "keys", "version", "changes", "changed", "trimmed", "logged"),
                member(key), Long.toString(now.toEpochMilli()), Long.toString(now.minus(CHANGE_RETENTION).toEpochMilli()),
                Integer.toString(TRIM_BATCH));
        return removed != null && removed > 0;
    }

    @Override
    public DueReminders due(ReminderBucketSet buckets, Instant before, int limit) {
        return due(buckets, "-inf", before, limit);
    }

    @Override
    public DueReminders due(ReminderBucketSet buckets, Instant from, Instant before, int limit) {
        return due(buckets, Long.toString(from.toEpochMilli()), before, limit);
    }

    @Override
    public long[] versions(ReminderBucketSet buckets) {
        int[] read = buckets.toArray();
        List<Object> replies = this.version.run(read.length,
                (i) -> new byte[][] { bytes(redisKey(read[i], "version")) }, (i) -> new byte[0][]);
        long[] versions = new long[ReminderBuckets.COUNT];
        for (int i = 0; i < read.length; i++) {
            versions[read[i]] = ((Number) replies.get(i)).longValue();
        }
        return versions;
    }

    @Override
    public List<ReminderChange> changes(ReminderBucketSet buckets, long[] after, int perBucket) {
        int[] read = buckets.toArray();
        byte[] count = ascii(Integer.toString(perBucket));
        List<Object> replies = this.changes.run(read.length,
                (i) -> new byte[][] { bytes(redisKey(read[i], "changes")), this.readKeys[read[i]][1],
                        this.readKeys[read[i]][2], bytes(redisKey(read[i], "trimmed")),
                        bytes(redisKey(read[i], "version")), bytes(redisKey(read[i], "logged")) },
                (i) -> new byte[][] { ascii(Long.toString(after[read[i]])), count });
        List<ReminderChange> changed = new ArrayList<>();
        List<Integer> behind = new ArrayList<>();
        for (int reply = 0; reply < replies.size(); reply++) {
            List<?> fields = (List<?>) replies.get(reply);
            if (Long.parseLong(text(fields.get(0))) > after[read[reply]]) {
                behind.add(read[reply]);
                continue;
            }
            for (int i = 1; i + 3 < fields.size(); i += 4) {
                String member = text(fields.get(i));
                long version = Long.parseLong(text(fields.get(i + 1)));
                String definition = text(fields.get(i + 2));
                String tick = text(fields.get(i + 3));
                ReminderEntry entry = (definition.isEmpty() || tick.isEmpty()) ? null : entry(member, definition, tick);
                ReminderKey key = ReminderKey.fromText(member).orElseThrow(() -> new IllegalStateException(
                        "Redis reminder member '" + member + "' is not type NUL id NUL name"));
                changed.add(new ReminderChange(key, version, entry));
            }
        }
        if (!behind.isEmpty()) {
            throw new ReminderChangesTrimmedException(ReminderBucketSet.of(behind));
        }
        return changed;
    }

    private DueReminders due(ReminderBucketSet buckets, String from, Instant before, int limit) {
        int[] read = buckets.toArray();
        String bound = "(" + before.toEpochMilli();
        int perBucket = DueReminders.perBucketLimit(limit, read.length);
        String count = Integer.toString(perBucket + 1);
        List<Object> replies = this.due.run(read.length,
                (i) -> this.readKeys[read[i]], (i) -> new byte[][] { bytes(bound), bytes(count), bytes(from) });
        List<List<ReminderEntry>> perBucketRead = new ArrayList<>(replies.size());
        for (Object reply : replies) {
            perBucketRead.add(entries((List<?>) reply));
        }
        return DueReminders.merge(perBucketRead, perBucket, before, limit);
    }

    /**
     * {@inheritDoc}
     * <p>
     * On a Redis Cluster, one call of the script per bucket (a bucket's keys share one slot, different buckets
     * usually do not); on any other Redis, one call per {@value #BUCKETS_PER_CALL} buckets. All calls go out in one
     * pipeline. A Redis that refuses a call over several slots ({@code CROSSSLOT}: one that shards behind a single
     * endpoint) gets the batch again one bucket per call, and every later batch too (logged once, as a warning);
     * the updates are idempotent, so those of a call that went through before the refusal may be applied twice.
     */
    @Override
    public int apply(List<ReminderUpdate> updates) {
        Map<Integer, Map<ReminderKey, ReminderUpdate>> byBucket = new LinkedHashMap<>();
        for (ReminderUpdate update : updates) {
            byBucket.computeIfAbsent(update.key().bucket(), (bucket) -> new LinkedHashMap<>()).put(update.key(), update);
        }
        List<Integer> buckets = List.copyOf(byBucket.keySet());
        List<Collection<ReminderUpdate>> groups = byBucket.values().stream().map(Map::values).toList();
        int perCall = (this.oneBucketPerCall || this.slots.isCluster()) ? 1 : BUCKETS_PER_CALL;
        List<Object> replies;
        try {
            replies = apply(buckets, groups, perCall);
        }
        catch (RuntimeException ex) {
            if (perCall == 1 || !isRedisError(ex, "CROSSSLOT")) {
                throw ex;
            }
            // A Redis that shards by slot behind one endpoint (a proxy) refuses scripts over several slots.
            logger.warn("Redis refused a write of next ticks over several buckets ({}): writing one bucket per call "
                    + "from now on", ex.getMessage());
            this.oneBucketPerCall = true;
            replies = apply(buckets, groups, 1);
        }
        int applied = 0;
        for (Object reply : replies) {
            applied += ((Number) reply).intValue();
        }
        return applied;
    }

    /** Sends the updates of each bucket, {@code perCall} buckets per call of {@link #APPLY}. */
    private List<Object> apply(List<Integer> buckets, List<Collection<ReminderUpdate>> groups, int perCall) {
        int calls = (buckets.size() + perCall - 1) / perCall;
        return this.apply.run(calls, (call) -> {
            int first = call * perCall;
            int count = Math.min(perCall, buckets.size() - first);
            byte[][] keys = new byte[count * 5][];
            for (int b = 0; b < count; b++) {
                System.arraycopy(this.applyKeys[buckets.get(first + b)], 0, keys, b * 5, 5);
            }
            return keys;
        }, (call) -> {
            int first = call * perCall;
            int count = Math.min(perCall, buckets.size() - first);
            int size = count;
            for (int b = 0; b < count; b++) {
                size += groups.get(first + b).size() * 5;
            }
            byte[][] arguments = new byte[size][];
            int at = count;
            for (int b = 0; b < count; b++) {
                Collection<ReminderUpdate> group = groups.get(first + b);
                arguments[b] = ascii(Integer.toString(group.size()));
                for (ReminderUpdate update : group) {
                    ReminderTick next = update.next();
                    arguments[at++] = bytes(member(update.key()));
                    arguments[at++] = ascii(Long.toString(update.registration()));
                    arguments[at++] = (next != null) ? ascii(tick(update.registration(), next)) : EMPTY;
                    arguments[at++] = (next != null) ? ascii(Long.toString(next.fireAt().toEpochMilli())) : ZERO;
                    FencingToken token = update.token();
                    arguments[at++] = (token != null) ? bytes(token.toString()) : EMPTY;
                }
            }
            return arguments;
        });
    }

    /** Returns whether a failure or one of its causes carries Redis's error code, such as {@code NOSCRIPT}. */
    private static boolean isRedisError(Throwable failure, String code) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && cause.getMessage().contains(code)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public ReminderBucketSet stamp(Map<Integer, FencingToken> tokens) {
        ReminderBucketSet.of(tokens.keySet());
        List<Map.Entry<Integer, FencingToken>> stamps = List.copyOf(tokens.entrySet());
        List<Object> replies = this.stamp.run(stamps.size(),
                (i) -> new byte[][] { bytes(redisKey(stamps.get(i).getKey(), "fence")) },
                (i) -> new byte[][] { bytes(stamps.get(i).getValue().toString()) });
        List<Integer> stamped = new ArrayList<>(stamps.size());
        for (int i = 0; i < stamps.size(); i++) {
            if (((Number) replies.get(i)).longValue() == 1) {
                stamped.add(stamps.get(i).getKey());
            }
        }
        return ReminderBucketSet.of(stamped);
    }

    @Override
    public Map<Integer, FencingToken> stamps(ReminderBucketSet buckets) {
        int[] read = buckets.toArray();
        List<Object> replies = this.stamps.run(read.length, (i) -> new byte[][] { bytes(redisKey(read[i], "fence")) },
                (i) -> new byte[0][]);
        Map<Integer, FencingToken> stamps = new LinkedHashMap<>();
        for (int i = 0; i < read.length; i++) {
            long stamp = ((Number) replies.get(i)).longValue();
            if (stamp > 0) {
                stamps.put(read[i], new FencingToken(stamp));
            }
        }
        return stamps;
    }

    @Override
    public long countDue(ReminderBucketSet buckets, Instant before) {
        int[] read = buckets.toArray();
        byte[] bound = ascii("(" + before.toEpochMilli());
        List<Object> replies = this.countDue.run(read.length, (i) -> new byte[][] { this.readKeys[read[i]][0] },
                (i) -> new byte[][] { bound });
        long count = 0;
        for (Object reply : replies) {
            count += ((Number) reply).longValue();
        }
        return count;
    }

    private List<String> keys(int bucket, String... structures) {
        List<String> keys = new ArrayList<>(structures.length);
        for (String structure : structures) {
            keys.add(redisKey(bucket, structure));
        }
        return keys;
    }

    private List<ReminderEntry> entries(@Nullable List<?> reply) {
        if (reply == null || reply.isEmpty()) {
            return List.of();
        }
        List<ReminderEntry> entries = new ArrayList<>(reply.size() / 3);
        for (int i = 0; i + 2 < reply.size(); i += 3) {
            entries.add(entry(text(reply.get(i)), text(reply.get(i + 1)), text(reply.get(i + 2))));
        }
        return entries;
    }

    private ReminderEntry entry(String member, String definition, String tick) {
        ReminderKey key = ReminderKey.fromText(member).orElseThrow(() -> new IllegalStateException(
                "Redis reminder member '" + member + "' is not type NUL id NUL name"));
        String[] parts = tick.split(":");
        if (parts.length != 5) {
            throw new IllegalStateException("Redis reminder tick '" + tick + "' of the " + key
                    + " is not registration:scheduledAt:number:attempt:fireAt");
        }
        JsonNode fields = this.json.readTree(definition);
        StoredSchedule schedule = new StoredSchedule(Instant.ofEpochMilli(fields.path("due").asLong()),
                optionalLong(fields, "period"), optionalString(fields, "cron"), optionalString(fields, "zone"),
                optionalLong(fields, "maxTicks"), fields.has("end") ? Instant.ofEpochMilli(fields.get("end").asLong()) : null);
        byte[] payload = Base64.getDecoder().decode(fields.path("payload").asString(""));
        ReminderTick next = new ReminderTick(Instant.ofEpochMilli(Long.parseLong(parts[1])), Long.parseLong(parts[2]),
                Integer.parseInt(parts[3]), Instant.ofEpochMilli(Long.parseLong(parts[4])));
        return new ReminderEntry(key, Long.parseLong(parts[0]), schedule.toSchedule(), payload, next);
    }

    private String definition(ReminderEntry entry) {
        StoredSchedule schedule = StoredSchedule.of(entry.schedule());
        ObjectNode fields = this.json.createObjectNode();
        fields.put("due", schedule.dueAt().toEpochMilli());
        if (schedule.periodMillis() != null) {
            fields.put("period", schedule.periodMillis().longValue());
        }
        if (schedule.cron() != null) {
            fields.put("cron", schedule.cron());
        }
        if (schedule.zone() != null) {
            fields.put("zone", schedule.zone());
        }
        if (schedule.maxTicks() != null) {
            fields.put("maxTicks", schedule.maxTicks().longValue());
        }
        if (schedule.endAt() != null) {
            fields.put("end", schedule.endAt().toEpochMilli());
        }
        fields.put("payload", Base64.getEncoder().encodeToString(entry.payload()));
        return this.json.writeValueAsString(fields);
    }

    private static String tick(long registration, ReminderTick tick) {
        return registration + ":" + tick.scheduledAt().toEpochMilli() + ":" + tick.number() + ":" + tick.attempt() + ":"
                + tick.fireAt().toEpochMilli();
    }

    private static @Nullable Long optionalLong(JsonNode fields, String name) {
        JsonNode value = fields.get(name);
        return (value != null && !value.isNull()) ? value.asLong() : null;
    }

    private static @Nullable String optionalString(JsonNode fields, String name) {
        JsonNode value = fields.get(name);
        return (value != null && !value.isNull()) ? value.asString() : null;
    }

    private static String text(Object value) {
        return (value instanceof byte[] bytes) ? new String(bytes, StandardCharsets.UTF_8) : value.toString();
    }

    private static byte[] bytes(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    /** Encodes text known to be ASCII (digits and colons) without the UTF-8 encoder's scan. */
    @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int) is exact for ASCII
    private static byte[] ascii(String value) {
        byte[] encoded = new byte[value.length()];
        value.getBytes(0, value.length(), encoded, 0);
        return encoded;
    }

    private static final byte[] EMPTY = new byte[0];

    private static final byte[] ZERO = { '0' };

    @Override
    public String toString() {
        return "RedisReminderTable[keys " + this.keyPrefix + "reminders:*]";
    }

    /**
     * A Lua script run once per bucket, all calls in one pipeline, by its SHA-1; loaded into Redis on first use
     * and again when Redis has forgotten it (after a restart or {@code SCRIPT FLUSH}). With Lettuce the calls go
     * out on the connection the template shares ({@link LettuceScripts}), which sends commands without waiting for
     * replies; Spring Data Redis's own pipelining would open a new connection for every pipeline, without a pool.
     */
    private static final class PipelinedScript {

        private final StringRedisTemplate redis;

        private final RedisScript<Object> script;

        private final ReturnType returnType;

        private final Duration replyTimeout;

        private volatile boolean loaded;

        PipelinedScript(StringRedisTemplate redis, String source, ReturnType returnType, Duration replyTimeout) {
            this.redis = redis;
            this.script = RedisScript.of(source);
            this.returnType = returnType;
            this.replyTimeout = replyTimeout;
        }

        List<Object> run(int calls, IntFunction<byte[][]> keys, IntFunction<byte[][]> arguments) {
            if (calls == 0) {
                return List.of();
            }
            for (int attempt = 1;; attempt++) {
                load();
                try {
                    List<Object> replies = LETTUCE_PRESENT ? this.redis.execute((RedisCallback<@Nullable List<Object>>) (
                            connection) -> LettuceScripts.run(connection, this.script.getSha1(), this.returnType, calls,
                                    keys, arguments, this.replyTimeout)) : null;
                    if (replies != null) {
                        return replies;
                    }
                    return this.redis.executePipelined((RedisCallback<@Nullable Object>) (connection) -> {
                        for (int i = 0; i < calls; i++) {
                            call(connection, keys.apply(i), arguments.apply(i));
                        }
                        return null;
                    });
                }
                catch (RuntimeException ex) {
                    if (attempt > 1 || !isRedisError(ex, "NOSCRIPT")) {
                        throw ex;
                    }
                    this.loaded = false;
                }
            }
        }

        private void call(RedisConnection connection, byte[][] keys, byte[][] arguments) {
            connection.scriptingCommands().evalSha(this.script.getSha1(), this.returnType, keys.length,
                    keysAndArguments(keys, arguments));
        }

        private void load() {
            if (this.loaded) {
                return;
            }
            this.redis.execute((RedisCallback<@Nullable String>) (connection) -> {
                String sha1 = LETTUCE_PRESENT
                        ? LettuceScripts.load(connection, this.script.getScriptAsString(), this.replyTimeout) : null;
                return (sha1 != null) ? sha1
                        : connection.scriptingCommands().scriptLoad(bytes(this.script.getScriptAsString()));
            });
            this.loaded = true;
        }
    }

    private static byte[][] keysAndArguments(byte[][] keys, byte[][] arguments) {
        byte[][] keysAndArguments = Arrays.copyOf(keys, keys.length + arguments.length);
        System.arraycopy(arguments, 0, keysAndArguments, keys.length, arguments.length);
        return keysAndArguments;
    }

    private static final boolean LETTUCE_PRESENT = ClassUtils.isPresent(
            "io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands", RedisReminderTable.class.getClassLoader());

    /**
     * Sends the calls of a {@link PipelinedScript} through Lettuce's asynchronous commands on the connection Spring
     * Data Redis shares (or the dedicated one it gave this connection), all written before the first reply is
     * awaited: the round trips of a pipeline without a connection of its own. Kept apart so that the table loads
     * without Lettuce.
     */
    static final class LettuceScripts {

        private LettuceScripts() {
        }

        /**
         * Loads a script, or returns {@code null} when the connection is not Lettuce's. Waits at most
         * {@code replyTimeout} for the reply, whatever Lettuce's command timeout.
         * @return the script's SHA-1
         * @throws QueryTimeoutException when the reply did not come in time (the call is cancelled)
         */
        @SuppressWarnings("unchecked")
        static @Nullable String load(RedisConnection connection, String source, Duration replyTimeout) {
            if (!(connection.getNativeConnection() instanceof RedisClusterAsyncCommands<?, ?> commands)) {
                return null;
            }
            RedisFuture<String> reply = ((RedisClusterAsyncCommands<byte[], byte[]>) commands)
                .scriptLoad(source.getBytes(StandardCharsets.UTF_8));
            try {
                return reply.get(nanos(replyTimeout), TimeUnit.NANOSECONDS);
            }
            catch (TimeoutException ex) {
                reply.cancel(true);
                throw new QueryTimeoutException("Redis did not answer SCRIPT LOAD of a reminder script within "
                        + replyTimeout, ex);
            }
            catch (InterruptedException ex) {
                reply.cancel(true);
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for Redis", ex);
            }
            catch (ExecutionException ex) {
                throw (ex.getCause() instanceof RuntimeException cause) ? cause
                        : new IllegalStateException(String.valueOf(ex.getCause()), ex.getCause());
            }
        }

        /** The timeout in nanoseconds, {@link Long#MAX_VALUE} when it holds more. */
        private static long nanos(Duration timeout) {
            return (timeout.compareTo(MAX_REPLY_TIMEOUT) > 0) ? Long.MAX_VALUE : timeout.toNanos();
        }

        /**
         * Runs the calls, or returns {@code null} when the connection is not Lettuce's. Waits at most
         * {@code replyTimeout} for all the replies, whatever Lettuce's command timeout (which may be off).
         * @throws QueryTimeoutException naming the first key of the call whose reply did not come in time (its
         * bucket's); the calls still unanswered are cancelled
         */
        @SuppressWarnings("unchecked")
        static @Nullable List<Object> run(RedisConnection connection, String sha1, ReturnType returnType, int calls,
                IntFunction<byte[][]> keys, IntFunction<byte[][]> arguments, Duration replyTimeout) {
            if (!(connection.getNativeConnection() instanceof RedisClusterAsyncCommands<?, ?> commands)) {
                return null;
            }
            RedisClusterAsyncCommands<byte[], byte[]> async = (RedisClusterAsyncCommands<byte[], byte[]>) commands;
            ScriptOutputType output = switch (returnType) {
                case BOOLEAN -> ScriptOutputType.BOOLEAN;
                case INTEGER -> ScriptOutputType.INTEGER;
                case MULTI -> ScriptOutputType.MULTI;
                case STATUS -> ScriptOutputType.STATUS;
                case VALUE -> ScriptOutputType.VALUE;
            };
            List<RedisFuture<Object>> replies = new ArrayList<>(calls);
            for (int i = 0; i < calls; i++) {
                replies.add(async.evalsha(sha1, output, keys.apply(i), arguments.apply(i)));
            }
            List<Object> results = new ArrayList<>(calls);
            RuntimeException failure = null;
            long deadline = System.nanoTime() + nanos(replyTimeout);
            for (int i = 0; i < calls; i++) {
                RedisFuture<Object> reply = replies.get(i);
                try {
                    results.add(reply.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                }
                catch (TimeoutException ex) {
                    replies.subList(i, calls).forEach((unanswered) -> unanswered.cancel(true));
                    throw new QueryTimeoutException("Redis did not answer the reminder script for the bucket of key '"
                            + new String(keys.apply(i)[0], StandardCharsets.UTF_8) + "' (and any others of the call) within " + replyTimeout
                            + " (call " + (i + 1) + " of " + calls + ")", ex);
                }
                catch (InterruptedException ex) {
                    replies.subList(i, calls).forEach((unanswered) -> unanswered.cancel(true));
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for Redis", ex);
                }
                catch (ExecutionException ex) {
                    if (failure == null) {
                        failure = (ex.getCause() instanceof RuntimeException cause) ? cause
                                : new IllegalStateException(String.valueOf(ex.getCause()), ex.getCause());
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
            return results;
        }
    }
}
