package dev.quark.autoconfigure.messaging;

import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.SingletonBeanRegistry;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.transaction.ConfigurableTransactionManager;
import org.springframework.transaction.support.ResourceTransactionManager;

import dev.quark.messaging.store.jdbc.OutboxCommitListener;

/**
 * Warns at start-up about each transaction manager of the outbox's {@code DataSource} without an
 * {@link OutboxCommitListener}: one the application defines itself, which Spring Boot does not customize. In its
 * transactions a first outbox enqueue made while they commit (a {@code BEFORE_COMMIT} listener) is refused only after
 * the database committed the rest, and one made in an {@code afterCommit} callback is only logged. Checking, not
 * adding: Quark does not change beans the application configured.
 * <p>
 * Only managers whose resource ({@link ResourceTransactionManager#getResourceFactory()}) is that {@code DataSource},
 * under any {@link DelegatingDataSource} such as a {@code TransactionAwareDataSourceProxy}, are checked: those of
 * Kafka, RabbitMQ or another database never commit an outbox message. Managers not created yet (lazy beans) are left
 * alone rather than created for the check.
 */
final class OutboxCommitListenerCheck implements SmartInitializingSingleton {

    private static final Logger logger = LoggerFactory.getLogger(OutboxCommitListenerCheck.class);

    private final ListableBeanFactory beanFactory;

    private final ObjectProvider<DataSource> dataSource;

    OutboxCommitListenerCheck(ListableBeanFactory beanFactory, ObjectProvider<DataSource> dataSource) {
        this.beanFactory = beanFactory;
        this.dataSource = dataSource;
    }

    @Override
    public void afterSingletonsInstantiated() {
        unlistened().forEach((manager) -> logger.warn("Transaction manager {} has no OutboxCommitListener: in its "
                + "transactions an outbox message first enqueued while they commit (a BEFORE_COMMIT listener) is "
                + "refused after the commit, and one first enqueued in an afterCommit callback is only logged. Add "
                + "the quarkOutboxCommitListener bean to it with addListener", manager));
    }

    /**
     * Returns the created transaction managers of the outbox's {@code DataSource} without an
     * {@link OutboxCommitListener}.
     * @return the managers
     */
    List<ConfigurableTransactionManager> unlistened() {
        DataSource outbox = this.dataSource.getIfUnique();
        if (outbox == null) {
            return List.of();
        }
        DataSource target = unwrapped(outbox);
        List<ConfigurableTransactionManager> unlistened = new ArrayList<>();
        for (String name : this.beanFactory.getBeanNamesForType(ConfigurableTransactionManager.class, true, false)) {
            if (this.beanFactory instanceof SingletonBeanRegistry singletons && !singletons.containsSingleton(name)) {
                continue;
            }
            ConfigurableTransactionManager manager = this.beanFactory.getBean(name,
                    ConfigurableTransactionManager.class);
            if (target.equals(resourceOf(manager)) && manager.getTransactionExecutionListeners()
                .stream()
                .noneMatch(OutboxCommitListener.class::isInstance)) {
                unlistened.add(manager);
            }
        }
        return unlistened;
    }

    private static @Nullable DataSource resourceOf(ConfigurableTransactionManager manager) {
        if (manager instanceof ResourceTransactionManager resources
                && resources.getResourceFactory() instanceof DataSource resource) {
            return unwrapped(resource);
        }
        return null;
    }

    private static DataSource unwrapped(DataSource dataSource) {
        DataSource current = dataSource;
        while (current instanceof DelegatingDataSource delegating && delegating.getTargetDataSource() != null) {
            current = delegating.getTargetDataSource();
        }
        return current;
    }
}
