package dev.quark.samples.cluster;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.jspecify.annotations.Nullable;

/**
 * The silos' outbox as its backend stores it, read by the test (never written): which messages a partition holds
 * pending, whether a message was delivered, how many are pending or dead. The silos' HTTP API shows which partitions a
 * dispatcher holds ({@code /actuator/health/quarkOutbox}) but not what each holds pending, which is what tells a kill
 * that lands mid-delivery. One implementation per backend: {@link RedisOutboxView}, {@link PostgresOutboxView}.
 */
interface OutboxView extends AutoCloseable {

    /**
     * Returns the messages pending in some partitions, by partition.
     * @param partitions the partitions
     * @return the partitions holding pending messages, each with its messages in no particular order
     */
    Map<Integer, List<PendingMessage>> pendingByPartition(Collection<Integer> partitions);

    /**
     * Returns the ids of the messages pending in some partitions.
     * @param partitions the partitions
     * @return their pending message ids
     */
    default Set<String> pending(Collection<Integer> partitions) {
        Set<String> ids = new TreeSet<>();
        pendingByPartition(partitions).values().forEach((messages) -> messages.forEach((m) -> ids.add(m.id())));
        return ids;
    }

    /** Returns how many messages are pending, in every partition. */
    long pendingCount();

    /** Returns how many messages are dead letters. */
    long deadCount();

    /**
     * Tells whether a message is marked delivered.
     * @param messageId the message's id
     * @return whether it is
     */
    boolean delivered(String messageId);

    @Override
    void close();

    /**
     * A message pending in the outbox.
     * @param id its id
     * @param destination its destination ({@code bank.credits}, {@code bank.ledger})
     * @param key its key: the account the message goes to
     * @param payload its payload as stored (JSON)
     * @param attempts its failed delivery attempts so far
     * @param lastError the error of its last failed attempt, if any
     */
    record PendingMessage(String id, String destination, String key, String payload, int attempts,
            @Nullable String lastError) {
    }
}
