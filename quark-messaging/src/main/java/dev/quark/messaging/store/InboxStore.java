package dev.quark.messaging.store;

import java.time.Instant;

/**
 * Keeps which messages each consumer processed, for {@link dev.quark.messaging.Inbox}.
 * <p>
 * On PostgreSQL {@link #record} writes in the caller's transaction, and, while another transaction recorded the same
 * id and has not finished, waits for it: the record and the handler's work commit or roll back together.
 */
public interface InboxStore {

    /**
     * Records that a consumer processes a message, unless it was recorded.
     * @param consumer the consumer
     * @param messageId the message id
     * @param at when
     * @return whether this call recorded it; {@code false} for a duplicate
     */
    boolean record(String consumer, String messageId, Instant at);

    /**
     * Forgets a record, for backends without transactions when the handler failed.
     * @param consumer the consumer
     * @param messageId the message id
     */
    void forget(String consumer, String messageId);

    /**
     * Returns whether a consumer processed a message.
     * @param consumer the consumer
     * @param messageId the message id
     * @return whether it is recorded
     */
    boolean contains(String consumer, String messageId);

    /**
     * Deletes records older than an instant.
     * @param before the instant
     * @param limit the most to delete
     * @return how many were deleted
     */
    int deleteBefore(Instant before, int limit);
}
