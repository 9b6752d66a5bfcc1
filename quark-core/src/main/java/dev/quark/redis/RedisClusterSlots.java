package dev.quark.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.connection.ClusterSlotHashUtil;
import org.springframework.data.redis.connection.RedisClusterConnection;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Whether a store's Redis is a Redis Cluster, asked once, and which key of a script would lie outside the hash slot of
 * its first key there: a Cluster refuses such a script ({@code CROSSSLOT}). The stores ask it before a save or an
 * append with attached writes ({@code RedisStateAttachment}), so that the refusal names the state or stream and the
 * attachment, before anything is written, instead of surfacing as Redis's error. Only a connection factory that knows
 * it talks to a Cluster shows one: a standalone factory in front of a Redis that shards behind it (a proxy) is not
 * seen, and such a Redis refuses the script itself ({@code CROSSSLOT}).
 */
public final class RedisClusterSlots {

    private final StringRedisTemplate redis;

    private volatile @Nullable Boolean cluster;

    /**
     * Creates the check for one Redis.
     * @param redis the template of the store's connection factory
     */
    public RedisClusterSlots(StringRedisTemplate redis) {
        this.redis = redis;
    }

    /**
     * Returns whether the Redis is a Redis Cluster, asked on the first call.
     * @return whether it is
     */
    public boolean isCluster() {
        Boolean known = this.cluster;
        if (known == null) {
            known = Boolean.TRUE.equals(this.redis.execute(
                    (RedisCallback<Boolean>) (connection) -> connection instanceof RedisClusterConnection));
            this.cluster = known;
        }
        return known;
    }

    /**
     * Returns the first of some keys that lies in another hash slot than a key, on a Redis Cluster.
     * @param first the script's first key
     * @param others the script's other keys
     * @return that key, or {@code null} when they all lie in the first key's slot or the Redis is no Cluster (a
     * standalone Redis, or one with Sentinel, runs any script)
     */
    public @Nullable String keyOutsideSlotOf(String first, List<String> others) {
        if (others.isEmpty() || !isCluster()) {
            return null;
        }
        int slot = ClusterSlotHashUtil.calculateSlot(first.getBytes(StandardCharsets.UTF_8));
        for (String key : others) {
            if (ClusterSlotHashUtil.calculateSlot(key.getBytes(StandardCharsets.UTF_8)) != slot) {
                return key;
            }
        }
        return null;
    }
}
