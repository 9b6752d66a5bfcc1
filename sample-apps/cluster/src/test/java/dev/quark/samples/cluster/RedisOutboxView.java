package dev.quark.samples.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;

/**
 * The silos' outbox as it lies in Redis. The keys are those docs/messaging.md lists
 * ({@code <prefix>{outbox}:pending:<n>}, {@code :pending}, {@code :delivered}, {@code :dead}, {@code :msg:<id>}).
 */
final class RedisOutboxView implements OutboxView {

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

    @Override
    public Map<Integer, List<PendingMessage>> pendingByPartition(Collection<Integer> partitions) {
        Map<Integer, List<PendingMessage>> pending = new TreeMap<>();
        RedisAsyncCommands<String, String> async = this.connection.async();
        for (int partition : partitions) {
            List<PendingMessage> messages = new ArrayList<>();
            List<String> ids = redis().zrange(this.outbox + "pending:" + partition, 0, -1);
            // Sent one after the other without waiting (the connection flushes each at once), then read: pipelined.
            List<RedisFuture<Map<String, String>>> reads = new ArrayList<>();
            ids.forEach((id) -> reads.add(async.hgetall(this.outbox + "msg:" + id)));
            for (int i = 0; i < ids.size(); i++) {
                String id = ids.get(i);
                Map<String, String> fields = LettuceFutures.awaitOrCancel(reads.get(i), 10, TimeUnit.SECONDS);
                if (!fields.isEmpty()) {
                    messages.add(new PendingMessage(id, fields.get("destination"), fields.get("key"),
                            fields.get("payload"), Integer.parseInt(fields.getOrDefault("attempts", "0")),
                            fields.get("last_error")));
                }
            }
            if (!messages.isEmpty()) {
                pending.put(partition, messages);
            }
        }
        return pending;
    }

    @Override
    public long pendingCount() {
        return redis().zcard(this.outbox + "pending");
    }

    @Override
    public long deadCount() {
        return redis().zcard(this.outbox + "dead");
    }

    @Override
    public boolean delivered(String messageId) {
        return redis().zscore(this.outbox + "delivered", messageId) != null;
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
