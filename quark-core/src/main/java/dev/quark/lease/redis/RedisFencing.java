package dev.quark.lease.redis;

import java.util.Objects;

import org.springframework.data.redis.core.script.RedisScript;

/**
 * Lua for writes fenced by a lease, for areas that keep their own data in Redis (a job's hash, an outbox
 * partition's stream). Prepend {@link #FUNCTIONS} to a script, or build it with {@link #script}, and call the
 * functions before writing, in the same script, so that the check and the write are one atomic step:
 * <pre>{@code
 * // KEYS[1] = the job's hash; ARGV[1] = the lease's token, ARGV[2] = the result
 * RedisScript<Long> complete = RedisFencing.script("""
 *         if not quark_fence_holds(KEYS[1], 'lease_token', ARGV[1]) then
 *             return 0
 *         end
 *         redis.call('HSET', KEYS[1], 'status', 'done', 'result', ARGV[2])
 *         return 1
 *         """, Long.class);
 * }</pre>
 * The functions:
 * <ul>
 * <li>{@code quark_fence_stamp(key, field, token)}: after acquiring a lease, before reading the data, records the
 * token in a hash field unless the field holds a greater one; returns whether it did. From then on, writes of
 * older leases are refused. {@code false} means a newer lease already claimed the data: this one is lost.</li>
 * <li>{@code quark_fence_holds(key, field, token)}: whether the field holds exactly this token; check it before
 * every write.</li>
 * <li>{@code quark_lease_holds(lease_key, token)}: whether the lease itself is current, with the key from
 * {@link RedisLeaseStore#leaseKey(String)}: no stamp needed, but the script then touches a lease key, so on Redis
 * Cluster the area's keys must carry the same hash tag ({@code {lease}}).</li>
 * </ul>
 * Tokens are passed as decimal strings ({@link dev.quark.lease.FencingToken#toString()}) and compared as
 * numbers, exact up to 2<sup>53</sup>.
 */
public final class RedisFencing {

    /** The Lua functions, to prepend to a script. */
    public static final String FUNCTIONS = """
            local function quark_fence_stamp(key, field, token)
                local current = tonumber(redis.call('HGET', key, field) or '0')
                if current > tonumber(token) then
                    return false
                end
                redis.call('HSET', key, field, token)
                return true
            end
            local function quark_fence_holds(key, field, token)
                local current = redis.call('HGET', key, field)
                return current ~= false and tonumber(current) == tonumber(token)
            end
            local function quark_lease_holds(lease_key, token)
                local current = redis.call('HGET', lease_key, 'token')
                return current ~= false and tonumber(current) == tonumber(token)
            end
            """;

    private RedisFencing() {
    }

    /**
     * Creates a script whose body may call the fencing functions.
     * @param body the Lua body
     * @param resultType the script's result type, as for {@link RedisScript#of(String, Class)}
     * @param <T> the result type
     * @return the script
     */
    public static <T> RedisScript<T> script(String body, Class<T> resultType) {
        Objects.requireNonNull(body, "body must not be null");
        return RedisScript.of(FUNCTIONS + body, resultType);
    }
}
