package dev.quark.autoconfigure.messaging;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.transaction.ConfigurableTransactionManager;

import dev.quark.messaging.store.jdbc.OutboxCommitListener;

/**
 * Warns at start-up about each transaction manager without an {@link OutboxCommitListener}: one the application
 * defines itself, which Spring Boot does not customize. In its transactions a first outbox enqueue made while they
 * commit (a {@code BEFORE_COMMIT} listener) is refused only after the database committed the rest, and one made in an
 * {@code afterCommit} callback is only logged. Checking, not adding: Quark does not change beans the application
 * configured.
 */
final class OutboxCommitListenerCheck implements SmartInitializingSingleton {

    private static final Logger logger = LoggerFactory.getLogger(OutboxCommitListenerCheck.class);

    private final ObjectProvider<ConfigurableTransactionManager> transactionManagers;

    OutboxCommitListenerCheck(ObjectProvider<ConfigurableTransactionManager> transactionManagers) {
        this.transactionManagers = transactionManagers;
    }

    @Override
    public void afterSingletonsInstantiated() {
        unlistened().forEach((manager) -> logger.warn("Transaction manager {} has no OutboxCommitListener: in its "
                + "transactions an outbox message first enqueued while they commit (a BEFORE_COMMIT listener) is "
                + "refused after the commit, and one first enqueued in an afterCommit callback is only logged. Add "
                + "the quarkOutboxCommitListener bean to it with addListener", manager));
    }

    /**
     * Returns the transaction managers without an {@link OutboxCommitListener}.
     * @return the managers
     */
    List<ConfigurableTransactionManager> unlistened() {
        return this.transactionManagers.orderedStream()
            .filter((manager) -> manager.getTransactionExecutionListeners()
                .stream()
                .noneMatch(OutboxCommitListener.class::isInstance))
            .toList();
    }
}
