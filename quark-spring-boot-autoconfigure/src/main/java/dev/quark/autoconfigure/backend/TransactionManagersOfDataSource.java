package dev.quark.autoconfigure.backend;

import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.SingletonBeanRegistry;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.transaction.ConfigurableTransactionManager;
import org.springframework.transaction.TransactionExecutionListener;
import org.springframework.transaction.support.ResourceTransactionManager;

/**
 * The transaction managers of the application's {@code DataSource}, for start-up checks of the listeners Quark's
 * JDBC stores need on them. Only managers whose resource ({@link ResourceTransactionManager#getResourceFactory()}) is
 * that {@code DataSource}, under any {@link DelegatingDataSource} such as a {@code TransactionAwareDataSourceProxy},
 * are considered: those of Kafka, RabbitMQ or another database never commit a write of Quark's stores. Managers not
 * created yet (lazy beans) are left alone rather than created for a check.
 */
public final class TransactionManagersOfDataSource {

    private final ListableBeanFactory beanFactory;

    private final ObjectProvider<DataSource> dataSource;

    /**
     * Creates the lookup.
     * @param beanFactory the application's bean factory
     * @param dataSource the {@code DataSource}, considered only when it is unique
     */
    public TransactionManagersOfDataSource(ListableBeanFactory beanFactory, ObjectProvider<DataSource> dataSource) {
        this.beanFactory = beanFactory;
        this.dataSource = dataSource;
    }

    /**
     * Returns the created transaction managers of the {@code DataSource} that have no listener of a type.
     * @param listenerType the listener type, for instance {@code EndingTransactionMarker}
     * @return the managers, empty when there is no unique {@code DataSource}
     */
    public List<ConfigurableTransactionManager> createdWithout(
            Class<? extends TransactionExecutionListener> listenerType) {
        DataSource candidate = this.dataSource.getIfUnique();
        if (candidate == null) {
            return List.of();
        }
        DataSource target = unwrapped(candidate);
        List<ConfigurableTransactionManager> without = new ArrayList<>();
        for (String name : this.beanFactory.getBeanNamesForType(ConfigurableTransactionManager.class, true, false)) {
            if (this.beanFactory instanceof SingletonBeanRegistry singletons && !singletons.containsSingleton(name)) {
                continue;
            }
            ConfigurableTransactionManager manager = this.beanFactory.getBean(name,
                    ConfigurableTransactionManager.class);
            if (target.equals(resourceOf(manager))
                    && manager.getTransactionExecutionListeners().stream().noneMatch(listenerType::isInstance)) {
                without.add(manager);
            }
        }
        return without;
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
