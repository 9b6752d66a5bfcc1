package dev.quark.lease.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.quark.lease.AbstractLeaseStore;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseHolder;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Keeps leases in Redis, one hash per held lease and one counter for the tokens:
 * <pre>
 * {prefix}{lease}:resource:{resource}   hash: owner -&gt; node-1, token -&gt; 42; expires with the lease (PEXPIRE)
 * {prefix}{lease}:token                 the last token issued (INCR); never expires
 * </pre>
 * for instance {@code quark:{lease}:resource:jobs:42}. Every operation is one Lua script over all the leases it
 * concerns, so a batch is one round trip and atomic. The keys' expiry is Redis's own, so the Redis server's
 * clock decides when a lease expires; the store's {@link Clock} only computes {@link Lease#validUntil()}. Since
 * the scripts touch several keys, every key carries the hash tag {@code {lease}}: on Redis Cluster they all
 * live in one slot.
 * <p>
 * Tokens survive a new store and a restart of Redis only as far as Redis keeps its data: run it with persistence
 * (AOF, {@code appendfsync everysec} or stricter) when fencing must hold across a Redis restart. A lease released
 * or expired leaves no key behind.
 */
public class RedisLeaseStore extends AbstractLeaseStore {

    /**
     * KEYS: the counter, then the candidates; ARGV: owner, duration in ms, max. Grants free candidates, in order,
     * until max are granted. Returns {index of a candidate (1-based), token, ...}.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> ACQUIRE = RedisScript.of("""
            local granted = {}
            local max = tonumber(ARGV[3])
            local count = 0
            for i = 2, #KEYS do
                if count == max then
                    break
                end
                if redis.call('EXISTS', KEYS[i]) == 0 then
                    local token = redis.call('INCR', KEYS[1])
                    redis.call('HSET', KEYS[i], 'owner', ARGV[1], 'token', token)
                    redis.call('PEXPIRE', KEYS[i], ARGV[2])
                    count = count + 1
                    granted[#granted + 1] = i - 1
                    granted[#granted + 1] = token
                end
            end
            return granted
            """, List.class);

    /**
     * KEYS: the leases; ARGV: duration in ms, then each lease's token. Extends those whose key still holds the
     * token. Returns the indexes (1-based) of the leases extended.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> EXTEND = RedisScript.of("""
            local extended = {}
            for i = 1, #KEYS do
                if redis.call('HGET', KEYS[i], 'token') == ARGV[i + 1] then
                    redis.call('PEXPIRE', KEYS[i], ARGV[1])
                    extended[#extended + 1] = i
                end
            end
            return extended
            """, List.class);

    /**
     * KEYS: the leases; ARGV: each lease's token. Deletes the keys that still hold the token. Returns the indexes
     * (1-based) of the leases deleted.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> REMOVE = RedisScript.of("""
            local removed = {}
            for i = 1, #KEYS do
                if redis.call('HGET', KEYS[i], 'token') == ARGV[i] then
                    redis.call('DEL', KEYS[i])
                    removed[#removed + 1] = i
                end
            end
            return removed
            """, List.class);

    /**
     * KEYS: the lease. Returns {} when free, else {owner, token, remaining ms}.
     */
    @SuppressWarnings("rawtypes")
    static final RedisScript<List> READ = RedisScript.of("""
            local lease = redis.call('HMGET', KEYS[1], 'owner', 'token')
            if not lease[1] then
                return {}
            end
            return {lease[1], lease[2], redis.call('PTTL', KEYS[1])}
            """, List.class);

    /**
     * KEYS: the token counter; ARGV: the token to exceed. Sets the counter to it unless it is higher already, so
     * that the next INCR issues a greater token. Returns the counter.
     */
    static final RedisScript<Long> RAISE = RedisScript.of("""
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            local target = tonumber(ARGV[1])
            if current < target then
                redis.call('SET', KEYS[1], ARGV[1])
                return target
            end
            return current
            """, Long.class);

    private static final String TAG = "{lease}:";

    private final StringRedisTemplate redis;

    private final String keyPrefix;

    private final String counterKey;

    /**
     * Creates a store.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     * @param clock the caller's clock, which computes {@link Lease#validUntil()}
     */
    public RedisLeaseStore(RedisConnectionFactory connectionFactory, String keyPrefix, Clock clock) {
        super(clock);
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
        this.redis = new StringRedisTemplate(connectionFactory);
        this.counterKey = keyPrefix + TAG + "token";
    }

    /**
     * Returns the key a resource's lease is kept under while it is held: a hash with the fields {@code owner} and
     * {@code token}. A Lua script of an area can require a lease with it (see {@link RedisFencing}).
     * @param resource the resource
     * @return the Redis key
     */
    public String leaseKey(String resource) {
        return this.keyPrefix + TAG + "resource:" + resource;
    }

    /**
     * Returns the key of the counter the tokens come from.
     * @return the Redis key
     */
    public String tokenCounterKey() {
        return this.counterKey;
    }

    @Override
    protected Map<String, FencingToken> acquire(List<String> resources, int max, String owner, Duration duration) {
        List<String> keys = new ArrayList<>(resources.size() + 1);
        keys.add(this.counterKey);
        resources.forEach((resource) -> keys.add(leaseKey(resource)));
        List<Long> reply = numbers(this.redis.execute(ACQUIRE, keys, owner, Long.toString(duration.toMillis()),
                Integer.toString(max)));
        Map<String, FencingToken> granted = new LinkedHashMap<>();
        for (int i = 0; i + 1 < reply.size(); i += 2) {
            granted.put(resources.get(Math.toIntExact(reply.get(i)) - 1), new FencingToken(reply.get(i + 1)));
        }
        return granted;
    }

    @Override
    protected Collection<Lease> extend(List<Lease> leases, Duration duration) {
        List<String> arguments = new ArrayList<>(leases.size() + 1);
        arguments.add(Long.toString(duration.toMillis()));
        leases.forEach((lease) -> arguments.add(lease.token().toString()));
        return select(leases, this.redis.execute(EXTEND, keys(leases), arguments.toArray()));
    }

    @Override
    protected Collection<Lease> remove(List<Lease> leases) {
        Object[] tokens = leases.stream().map((lease) -> lease.token().toString()).toArray();
        return select(leases, this.redis.execute(REMOVE, keys(leases), tokens));
    }

    @Override
    protected void raise(String resource, FencingToken token) {
        this.redis.execute(RAISE, List.of(this.counterKey), Long.toString(token.value()));
    }

    @Override
    protected Optional<LeaseHolder> read(String resource) {
        List<?> reply = this.redis.execute(READ, List.of(leaseKey(resource)));
        if (reply == null || reply.isEmpty()) {
            return Optional.empty();
        }
        if (reply.size() != 3 || reply.get(1) == null) {
            throw new IllegalStateException("Redis hash " + leaseKey(resource) + " is not a Quark lease: " + reply);
        }
        long remaining = ((Number) reply.get(2)).longValue();
        if (remaining < 0) {
            throw new IllegalStateException("Redis hash " + leaseKey(resource) + " is not a Quark lease: it has no expiry");
        }
        return Optional.of(new LeaseHolder(resource, String.valueOf(reply.get(0)),
                new FencingToken(Long.parseLong(String.valueOf(reply.get(1)))), Duration.ofMillis(remaining)));
    }

    private List<String> keys(List<Lease> leases) {
        return leases.stream().map((lease) -> leaseKey(lease.resource())).toList();
    }

    private static List<Lease> select(List<Lease> leases, @Nullable List<?> indexes) {
        return numbers(indexes).stream().map((index) -> leases.get(Math.toIntExact(index) - 1)).toList();
    }

    private static List<Long> numbers(@Nullable List<?> reply) {
        if (reply == null) {
            throw new IllegalStateException("Redis returned no reply to a lease script");
        }
        return reply.stream().map((value) -> ((Number) value).longValue()).toList();
    }

    @Override
    public String toString() {
        return "RedisLeaseStore[keys " + this.keyPrefix + TAG + "*]";
    }
}
