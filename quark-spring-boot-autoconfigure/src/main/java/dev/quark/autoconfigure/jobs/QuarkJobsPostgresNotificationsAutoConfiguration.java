package dev.quark.autoconfigure.jobs;

import javax.sql.DataSource;

import dev.quark.jdbc.PostgresNotificationListeners;
import dev.quark.jobs.runtime.JobOrchestrator;
import dev.quark.jobs.runtime.PostgresJobWakeUps;
import dev.quark.jobs.store.jdbc.JdbcJobStore;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * Auto-configuration of the wake-ups across nodes of the PostgreSQL job store: with
 * {@code quark.jobs.postgres.notify-enabled} true (the default; the store's notifications go out after commit from a
 * connection of their own, {@link dev.quark.jdbc.PostgresNotificationSender}), a node with workers whose {@link JdbcJobStore} {@link JdbcJobStore#notifying()
 * notifies} listens to the notifications the other nodes' enqueues send ({@link PostgresJobWakeUps}, held by
 * {@link JobWakeUpsLifecycle}), on the data source's listening connection that it shares with the cluster membership
 * and the durable tasks ({@link PostgresNotificationListeners}), so that its workers claim those jobs at once rather
 * than at their next poll. Needs the PostgreSQL driver.
 */
@AutoConfiguration(after = QuarkJobsAutoConfiguration.class)
@ConditionalOnClass(name = { "dev.quark.jobs.store.jdbc.JdbcJobStore", "org.postgresql.PGConnection" })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@Conditional(OnJobNotificationsCondition.class)
public final class QuarkJobsPostgresNotificationsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean({ JdbcJobStore.class, JobOrchestrator.class, DataSource.class })
    JobWakeUpsLifecycle quarkJobWakeUpsLifecycle(DataSource dataSource, JdbcJobStore store,
            JobOrchestrator orchestrator, ObjectProvider<PostgresNotificationListeners> listeners) {
        return new JobWakeUpsLifecycle(dataSource, store, orchestrator, listeners.getIfUnique());
    }
}
