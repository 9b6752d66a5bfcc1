package dev.quark.messaging.store.redis;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Outbox stores whose saves on a Redis Cluster run a test's step instead of moving their staged messages, through the
 * store's package-private seam: a step that does nothing stands in for a process that dies between a save and its
 * move, one that throws for a failing move.
 */
public final class StagingTestStores {

    private StagingTestStores() {
    }

    /**
     * Returns a store whose saves run a step after staging their messages instead of moving them.
     * @param connectionFactory the Redis Cluster
     * @param keyPrefix the key prefix
     * @param afterStagedSave given the tag of the staging area after a save staged messages in it
     * @return the store
     */
    public static RedisOutboxStore withAfterStagedSave(RedisConnectionFactory connectionFactory, String keyPrefix,
            Consumer<String> afterStagedSave) {
        return new RedisOutboxStore(connectionFactory, keyPrefix, afterStagedSave);
    }

    /**
     * Moves a staging area's messages up to a staging sequence, as a save's move that started when that was the last
     * one staged.
     * @param staging the staging areas
     * @param tag the area's tag
     * @param upTo the highest staging sequence to move
     * @return how many messages were appended
     */
    public static int moveUpTo(RedisOutboxStaging staging, String tag, String upTo) {
        return staging.move(tag, upTo, Integer.MAX_VALUE);
    }

    /**
     * Returns staging areas whose index rebuilds fail, as when the cluster cannot be scanned, counting the attempts:
     * the callbacks of the staging areas' own code (the rebuild's scan) fail, those of scripts and operations run.
     * @param connectionFactory the Redis Cluster
     * @param keyPrefix the key prefix
     * @param attempts incremented on every attempt to scan the cluster
     * @return the staging areas
     */
    public static RedisOutboxStaging withFailingScans(RedisConnectionFactory connectionFactory, String keyPrefix,
            AtomicInteger attempts) {
        StringRedisTemplate redis = new StringRedisTemplate(connectionFactory) {

            @Override
            public <T> T execute(RedisCallback<T> action) {
                if (!action.getClass().getName().startsWith(RedisOutboxStaging.class.getName())) {
                    return super.execute(action);
                }
                attempts.incrementAndGet();
                throw new DataAccessResourceFailureException("a master does not answer the SCAN");
            }
        };
        return new RedisOutboxStaging(redis, keyPrefix, keyPrefix + "{outbox}:");
    }
}
