package dev.quark.messaging.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quark.messaging.MessageId;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.StoredMessage;

/**
 * The operator's view of the outbox's dead letters: lists them and resends them after their cause was fixed (a
 * destination back up, a publisher redeployed). A resent message is pending again with no attempts and a new
 * sequence: it is delivered after every message of its key pending at the resend, with its original id. The later
 * messages of its key that were delivered while it was dead stay delivered: the resent one reaches the destination
 * after them, out of the original order. Every resend is logged at {@code INFO}.
 */
public final class DeadLetters {

    private static final Logger logger = LoggerFactory.getLogger(DeadLetters.class);

    private static final int BATCH = 500;

    private final OutboxStore store;

    /**
     * Creates the view.
     * @param store the outbox store
     */
    public DeadLetters(OutboxStore store) {
        this.store = Objects.requireNonNull(store, "store must not be null");
    }

    /**
     * Lists dead letters, oldest first.
     * @param limit the most to return, at least 1
     * @return the dead letters, with their last errors
     */
    public List<StoredMessage> list(int limit) {
        return this.store.deadLetters(positive(limit));
    }

    /**
     * Resends one dead letter.
     * @param id the dead letter's id
     * @return whether it was resent; {@code false} when there is no dead letter with that id (pending, delivered,
     * deleted by retention, or never there)
     */
    public boolean resend(MessageId id) {
        Objects.requireNonNull(id, "id must not be null");
        boolean resent = this.store.requeue(id);
        if (resent) {
            logger.info("Resending dead letter {}", id);
        }
        return resent;
    }

    /**
     * Resends every dead letter of a destination, oldest first: they keep their order among themselves. Bounded by the
     * outbox's last sequence when the call began ({@link OutboxStore#lastSequence()}): a resent message draws a higher
     * one, so one that dies again while the call runs is not resent twice, and dead letters of other destinations do
     * not count. Asks until the store has none left: a batch may come back short of its limit while more remain (dead
     * letters requeued meanwhile by another caller are skipped).
     * @param destination the destination
     * @return the ids resent, in their new order
     */
    public List<MessageId> resendAll(String destination) {
        Objects.requireNonNull(destination, "destination must not be null");
        long throughSequence = this.store.lastSequence();
        List<MessageId> resent = new ArrayList<>();
        List<MessageId> batch;
        do {
            batch = this.store.requeueDead(destination, throughSequence, BATCH);
            resent.addAll(batch);
        }
        while (!batch.isEmpty());
        if (!resent.isEmpty()) {
            logger.info("Resending {} dead letters of destination '{}'", resent.size(), destination);
        }
        return resent;
    }

    private static int positive(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, not " + limit);
        }
        return limit;
    }

    @Override
    public String toString() {
        return "DeadLetters[" + this.store + "]";
    }
}
