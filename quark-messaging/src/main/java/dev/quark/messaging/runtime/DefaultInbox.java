package dev.quark.messaging.runtime;

import java.time.Clock;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionOperations;

import dev.quark.messaging.Inbox;
import dev.quark.messaging.store.InboxStore;

/**
 * The {@link Inbox}: records the message id and runs the handler in one transaction of the given
 * {@link TransactionOperations} (on PostgreSQL a {@code TransactionTemplate}, which joins the caller's transaction when
 * there is one); with {@link TransactionOperations#withoutTransaction()} (in memory) it forgets the record when the
 * handler fails. When that forgetting fails (on Redis: a timeout or a lost connection), the message stays recorded and
 * its redelivery is taken for a duplicate: the handler's exception is thrown with the forgetting's suppressed, and the
 * failure is logged at WARN naming the consumer and the message id.
 */
public final class DefaultInbox implements Inbox {

    private static final Logger logger = LoggerFactory.getLogger(DefaultInbox.class);

    private final InboxStore store;

    private final TransactionOperations transactions;

    private final Clock clock;

    /**
     * Creates an inbox.
     * @param store the store
     * @param transactions the transactions the record and the handler share
     * @param clock the clock of the records
     */
    public DefaultInbox(InboxStore store, TransactionOperations transactions, Clock clock) {
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.transactions = Objects.requireNonNull(transactions, "transactions must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
    }

    @Override
    public boolean process(String consumer, String messageId, Runnable handler) {
        requireName("consumer", consumer);
        requireName("messageId", messageId);
        Objects.requireNonNull(handler, "handler must not be null");
        Boolean ran = this.transactions.execute((status) -> {
            if (!this.store.record(consumer, messageId, this.clock.instant())) {
                return false;
            }
            try {
                handler.run();
            }
            catch (RuntimeException | Error ex) {
                forget(consumer, messageId, ex);
                throw ex;
            }
            return true;
        });
        return Boolean.TRUE.equals(ran);
    }

    /**
     * Forgets the record of a failed handler. In a transaction the rollback undoes the record anyway, and a handler's
     * failed SQL may have aborted it so that the forgetting fails too: the handler's exception is the one to report.
     */
    private void forget(String consumer, String messageId, Throwable failure) {
        try {
            this.store.forget(consumer, messageId);
        }
        catch (RuntimeException ex) {
            failure.addSuppressed(ex);
            if (!this.transactions.equals(TransactionOperations.withoutTransaction())) {
                return; // the rollback undoes the record
            }
            logger.warn("Inbox could not forget message '{}' of consumer '{}' after its handler failed ({}): it stays "
                    + "recorded, so its redelivery is acknowledged without running the handler", messageId, consumer,
                    ex.toString());
        }
    }

    private static void requireName(String what, String value) {
        Objects.requireNonNull(value, what + " must not be null");
        if (value.isBlank() || value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("An inbox " + what + " is 1 to " + MAX_LENGTH
                    + " characters, not blank, was '" + value + "'");
        }
    }

    @Override
    public String toString() {
        return "DefaultInbox[" + this.store + "]";
    }
}
