package dev.quark.samples.cluster;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

/**
 * The silos' outbox as it lies in Redis, read by the test (never written): which messages a partition holds pending,
 * whether a message was delivered, how many are pending or dead. The keys are those docs/messaging.md lists
 * ({@code <prefix>{outbox}:pending:<n>}, {@code :delivered}, {@code :dead}, {@code :msg:<id>}). The silos' HTTP API
 * shows which partitions a dispatcher holds ({@code /actuator/health/quarkOutbox}) but not what each holds pending,
 * which is what tells a kill that lands mid-delivery.
 */
final class RedisOutboxView implements AutoCloseable {

    private final RedisClient client;

    private final StatefulRedisConnection<String, String> connection;

    private final String outbox;

    /**
     * Connects to the silos' Redis.
     * @param redisUrl the server's URL
     * @param keyPrefix the silos' {@code quark.redis.key-prefix}
     */
    RedisOutboxView(String redisUrl, String keyPrefix) {
        this.client = RedisClient.create(redisUrl);
        this.connection = this.client.connect();
        this.outbox = keyPrefix + "{outbox}:";
    }

    /**
     * Returns the ids of the messages pending in some partitions.
     * @param partitions the partitions
     * @return their pending message ids
     */
    Set<String> pending(Collection<Integer> partitions) {
        Set<String> ids = new TreeSet<>();
        for (int partition : partitions) {
            ids.addAll(redis().zrange(this.outbox + "pending:" + partition, 0, -1));
        }
        return ids;
    }

    /**
     * Returns the ids of the messages pending in some partitions, by partition.
     * @param partitions the partitions
     * @return the partitions holding pending messages, each with their ids
     */
    Map<Integer, Set<String>> pendingByPartition(Collection<Integer> partitions) {
        Map<Integer, Set<String>> pending = new TreeMap<>();
        for (int partition : partitions) {
            Set<String> ids = pending(List.of(partition));
            if (!ids.isEmpty()) {
                pending.put(partition, ids);
            }
        }
        return pending;
    }

    long pendingCount() {
        return redis().zcard(this.outbox + "pending");
    }

    long deadCount() {
        return redis().zcard(this.outbox + "dead");
    }

    boolean delivered(String messageId) {
        return redis().zscore(this.outbox + "delivered", messageId) != null;
    }

    /**
     * Returns a stored message's fields (destination, key, status, attempts, ...).
     * @param messageId the message's id
     * @return its fields, empty when it is not stored
     */
    Map<String, String> message(String messageId) {
        return redis().hgetall(this.outbox + "msg:" + messageId);
    }

    private RedisCommands<String, String> redis() {
        return this.connection.sync();
    }

    @Override
    public void close() {
        this.connection.close();
        this.client.shutdown();
    }
}
