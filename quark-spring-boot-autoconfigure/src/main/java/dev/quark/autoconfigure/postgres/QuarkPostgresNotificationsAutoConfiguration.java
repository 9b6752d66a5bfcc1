package dev.quark.autoconfigure.postgres;

import dev.quark.jdbc.PostgresNotificationListeners;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the node's shared PostgreSQL listening connections: one {@link PostgresNotificationListeners}
 * bean, on which the cluster membership's watch, the jobs' wake-ups and the durable tasks' wake-ups subscribe their
 * channels, so that a node holds one listening connection per data source rather than one per area. A data source's
 * connection is taken when the first area subscribes (with a warning when its pool is small,
 * {@link PostgresNotificationsSetup#warnIfSmallPool}) and given back when {@link PostgresNotificationListenersLifecycle}
 * stops, after the areas. Needs the PostgreSQL driver.
 */
@AutoConfiguration(beforeName = { "dev.quark.autoconfigure.cluster.QuarkClusterAutoConfiguration",
        "dev.quark.autoconfigure.jobs.QuarkJobsAutoConfiguration",
        "dev.quark.autoconfigure.durabletasks.QuarkDurableTasksAutoConfiguration" })
@ConditionalOnClass(name = "org.postgresql.PGConnection")
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
public final class QuarkPostgresNotificationsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    PostgresNotificationListeners quarkPostgresNotificationListeners(ListableBeanFactory beans) {
        return new PostgresNotificationListeners("quark",
                (dataSource) -> PostgresNotificationsSetup.warnIfSmallPool(dataSource, beans));
    }

    @Bean
    @ConditionalOnMissingBean
    PostgresNotificationListenersLifecycle quarkPostgresNotificationListenersLifecycle(
            PostgresNotificationListeners listeners) {
        return new PostgresNotificationListenersLifecycle(listeners);
    }
}
