package dev.quark.autoconfigure.messaging;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.transaction.ConfigurableTransactionManager;

import dev.quark.autoconfigure.backend.TransactionManagersOfDataSource;
import dev.quark.messaging.store.jdbc.OutboxCommitListener;

/**
 * Warns at start-up about each transaction manager of the outbox's {@code DataSource} without an
 * {@link OutboxCommitListener}: one the application defines itself, which Spring Boot does not customize. In its
 * transactions a first outbox enqueue made while they commit (a {@code BEFORE_COMMIT} listener) is refused only after
 * the database committed the rest, and one made in an {@code afterCommit} callback is only logged. Checking, not
 * adding: Quark does not change beans the application configured.
 * <p>
 * Which managers are the outbox's: {@link TransactionManagersOfDataSource}. The listener is also the
 * {@code EndingTransactionMarker} of Quark's other JDBC stores, so this check stands for theirs too.
 */
final class OutboxCommitListenerCheck implements SmartInitializingSingleton {

    private static final Logger logger = LoggerFactory.getLogger(OutboxCommitListenerCheck.class);

    private final TransactionManagersOfDataSource managers;

    OutboxCommitListenerCheck(TransactionManagersOfDataSource managers) {
        this.managers = managers;
    }

    @Override
    public void afterSingletonsInstantiated() {
        unlistened().forEach((manager) -> logger.warn("Transaction manager {} has no OutboxCommitListener: in its "
                + "transactions an outbox message first enqueued while they commit (a BEFORE_COMMIT listener) is "
                + "refused after the commit, and one first enqueued in an afterCommit callback is only logged; "
                + "messages, jobs, states and events written to PostgreSQL while they end (an AFTER_COMMIT or "
                + "AFTER_ROLLBACK event listener) are lost when the pool's connections have auto-commit off. Add "
                + "the quarkOutboxCommitListener bean to it with addListener", manager));
    }

    /**
     * Returns the created transaction managers of the outbox's {@code DataSource} without an
     * {@link OutboxCommitListener}.
     * @return the managers
     */
    List<ConfigurableTransactionManager> unlistened() {
        return this.managers.createdWithout(OutboxCommitListener.class);
    }
}
