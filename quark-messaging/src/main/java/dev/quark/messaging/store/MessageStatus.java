package dev.quark.messaging.store;

/**
 * Where a stored outbox message is in its life:
 * <pre>
 *   enqueue ──▶ PENDING ──publish acknowledged──▶ DELIVERED ──retention──▶ (deleted)
 *                 │  ▲
 *   publish failed│  │retry due (exponential backoff)
 *                 ▼  │
 *               PENDING (retry_at set) ──last attempt failed──▶ DEAD ──retention──▶ (deleted)
 * </pre>
 */
public enum MessageStatus {

    /** Waiting for delivery, for the first time or for a retry. */
    PENDING,

    /** Acknowledged by its destination. */
    DELIVERED,

    /** Given up on after the last attempt: a dead letter. */
    DEAD
}
