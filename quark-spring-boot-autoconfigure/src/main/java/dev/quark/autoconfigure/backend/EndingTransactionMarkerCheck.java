package dev.quark.autoconfigure.backend;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.transaction.ConfigurableTransactionManager;
import org.springframework.util.ClassUtils;

import dev.quark.eventsourcing.MeteredEventStore;
import dev.quark.eventsourcing.jdbc.JdbcEventStore;
import dev.quark.jdbc.EndingTransactionMarker;

/**
 * Warns at start-up about each transaction manager of the application's {@code DataSource} without an
 * {@link EndingTransactionMarker}, when one of Quark's JDBC stores that writes in the caller's transaction is in use
 * (states, events, jobs, workflows, recurring jobs): one the application defines itself, which Spring Boot does not
 * customize. In its transactions, such a store's write made while the transaction ends (an {@code afterCompletion}
 * callback, an {@code AFTER_COMMIT} or {@code AFTER_ROLLBACK} event listener) joins the finished transaction's
 * connection, and a pool handing out connections with auto-commit off rolls it back: the write is lost. Checking, not
 * adding: Quark does not change beans the application configured.
 * <p>
 * Not declared when PostgreSQL messaging is on: the outbox's own check names managers without its
 * {@code OutboxCommitListener}, which is the marker there.
 */
final class EndingTransactionMarkerCheck implements SmartInitializingSingleton {

    /** The stores that write in the caller's transaction, by class name: some live in optional modules. */
    static final List<String> JOINING_STORES = List.of("dev.quark.state.jdbc.JdbcStateStore",
            "dev.quark.eventsourcing.jdbc.JdbcEventStore", "dev.quark.jobs.store.jdbc.JdbcJobStore",
            "dev.quark.jobs.store.jdbc.JdbcWorkflowStore", "dev.quark.jobs.store.jdbc.JdbcRecurringJobStore");

    private static final Logger logger = LoggerFactory.getLogger(EndingTransactionMarkerCheck.class);

    private final ListableBeanFactory beanFactory;

    private final TransactionManagersOfDataSource managers;

    EndingTransactionMarkerCheck(ListableBeanFactory beanFactory, TransactionManagersOfDataSource managers) {
        this.beanFactory = beanFactory;
        this.managers = managers;
    }

    @Override
    public void afterSingletonsInstantiated() {
        List<String> stores = joiningStores();
        unmarked().forEach((manager) -> logger.warn("Transaction manager {} has no EndingTransactionMarker: in its "
                + "transactions, writes of {} made while they end (an afterCompletion callback, an AFTER_COMMIT or "
                + "AFTER_ROLLBACK event listener) join the finished transaction's connection and are lost when the "
                + "pool's connections have auto-commit off. Add the quarkEndingTransactionMarker bean to it with "
                + "addListener", manager, stores));
    }

    /**
     * Returns the created transaction managers of the {@code DataSource} without an {@link EndingTransactionMarker},
     * when a store that writes in the caller's transaction is in use.
     * @return the managers, empty when no such store is in use
     */
    List<ConfigurableTransactionManager> unmarked() {
        if (joiningStores().isEmpty()) {
            return List.of();
        }
        return this.managers.createdWithout(EndingTransactionMarker.class);
    }

    private List<String> joiningStores() {
        ClassLoader classLoader = getClass().getClassLoader();
        List<String> inUse = new ArrayList<>();
        for (String name : JOINING_STORES) {
            if (ClassUtils.isPresent(name, classLoader) && this.beanFactory
                .getBeanNamesForType(ClassUtils.resolveClassName(name, classLoader), true, false).length > 0) {
                inUse.add(name.substring(name.lastIndexOf('.') + 1));
            }
        }
        if (!inUse.contains(JdbcEventStore.class.getSimpleName()) && meteredJdbcEventStore()) {
            inUse.add(JdbcEventStore.class.getSimpleName());
        }
        return inUse;
    }

    /** An event store is wrapped for its metrics whenever Micrometer is there: the wrapper hides its type. */
    private boolean meteredJdbcEventStore() {
        return this.beanFactory.getBeansOfType(MeteredEventStore.class, true, false)
            .values()
            .stream()
            .anyMatch((metered) -> metered.store() instanceof JdbcEventStore);
    }
}
