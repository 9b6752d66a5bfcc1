package dev.quark.messaging.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import dev.quark.messaging.store.InboxStore;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.OutboxStore;

/**
 * Deletes delivered messages, dead letters and inbox records past their retention, in batches.
 */
public final class MessagingRetention {

    private static final int BATCH = 1000;

    private static final int MAX_BATCHES = 1000;

    private final OutboxStore outbox;

    private final @Nullable InboxStore inbox;

    private final Retentions retentions;

    private final Clock clock;

    /**
     * Creates the retention.
     * @param outbox the outbox store
     * @param inbox the inbox store, or {@code null}
     * @param retentions how long each kind is kept
     * @param clock the clock
     */
    public MessagingRetention(OutboxStore outbox, @Nullable InboxStore inbox, Retentions retentions, Clock clock) {
        this.outbox = Objects.requireNonNull(outbox, "outbox must not be null");
        this.inbox = inbox;
        this.retentions = Objects.requireNonNull(retentions, "retentions must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
    }

    /**
     * Deletes what is past its retention.
     * @return how many messages and records were deleted
     */
    public int purge() {
        Instant now = this.clock.instant();
        int deleted = drain(() -> this.outbox.deleteFinished(MessageStatus.DELIVERED,
                now.minus(this.retentions.delivered()), BATCH));
        deleted += drain(() -> this.outbox.deleteFinished(MessageStatus.DEAD, now.minus(this.retentions.deadLetters()),
                BATCH));
        InboxStore inboxStore = this.inbox;
        if (inboxStore != null) {
            deleted += drain(() -> inboxStore.deleteBefore(now.minus(this.retentions.inbox()), BATCH));
        }
        return deleted;
    }

    private static int drain(java.util.function.IntSupplier batch) {
        int total = 0;
        for (int i = 0; i < MAX_BATCHES; i++) {
            int deleted = batch.getAsInt();
            total += deleted;
            if (deleted < BATCH) {
                break;
            }
        }
        return total;
    }

    /**
     * How long finished messages and inbox records are kept.
     *
     * @param delivered delivered messages
     * @param deadLetters dead letters
     * @param inbox inbox records
     */
    public record Retentions(Duration delivered, Duration deadLetters, Duration inbox) {

        /**
         * Validates the retentions.
         */
        public Retentions {
            Objects.requireNonNull(delivered, "delivered must not be null");
            Objects.requireNonNull(deadLetters, "deadLetters must not be null");
            Objects.requireNonNull(inbox, "inbox must not be null");
        }
    }
}
