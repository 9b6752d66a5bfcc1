package dev.quark.messaging;

/**
 * The idempotent inbox: runs a consumer's handler once per message id. The id is recorded together with the
 * handler's work: on PostgreSQL in the same transaction (the caller's, or one the inbox starts), so a handler that
 * fails records nothing and a redelivered message whose handler committed is acknowledged without running it again.
 * <pre>{@code
 * @RabbitListener(queues = "orders")
 * void on(Message message) {
 *     inbox.process("billing", message.getMessageProperties().getMessageId(), () -> bill(message));
 * }
 * }</pre>
 * Records are deleted after the configured retention; a duplicate arriving later than that runs the handler again.
 */
public interface Inbox {

    /** The longest consumer name and message id. */
    int MAX_LENGTH = 255;

    /**
     * Runs a handler unless this consumer already processed the message.
     * @param consumer who processes, for instance the service or listener name; not blank
     * @param messageId the message's id as the sender gave it; not blank
     * @param handler the work, run at most once per (consumer, message id) among the handlers that complete
     * @return whether the handler ran; {@code false} for a duplicate
     * @throws RuntimeException what the handler threw; nothing is recorded then
     */
    boolean process(String consumer, String messageId, Runnable handler);
}
