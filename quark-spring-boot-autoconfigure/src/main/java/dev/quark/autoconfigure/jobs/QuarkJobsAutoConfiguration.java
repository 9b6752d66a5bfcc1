package dev.quark.autoconfigure.jobs;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import dev.quark.autoconfigure.backend.ConditionalOnQuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkChangelog;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.postgres.PostgresNotificationsSetup;
import dev.quark.autoconfigure.postgres.QuarkPostgresProperties;
import dev.quark.autoconfigure.redis.QuarkRedisProperties;
import dev.quark.jobs.JobFilter;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.RecurringJobRequest;
import dev.quark.jdbc.PostgresNotificationSender;
import dev.quark.jobs.filter.MdcJobFilter;
import dev.quark.jobs.runtime.DefaultJobQueue;
import dev.quark.jobs.runtime.JobFilters;
import dev.quark.jobs.runtime.JobHandlerRegistry;
import dev.quark.jobs.runtime.JobMetrics;
import dev.quark.jobs.runtime.JobOrchestrator;
import dev.quark.jobs.runtime.JobPayloadCodec;
import dev.quark.jobs.runtime.JobRetention;
import dev.quark.jobs.runtime.RecurringDeclarations;
import dev.quark.jobs.runtime.RecurringJobScheduler;
import dev.quark.jobs.runtime.WorkflowAdvancer;
import dev.quark.jobs.runtime.WorkflowSweeper;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.RecurringJobStore;
import dev.quark.jobs.store.WorkflowStore;
import dev.quark.jobs.store.jdbc.JdbcJobStore;
import dev.quark.jobs.store.jdbc.JdbcRecurringJobStore;
import dev.quark.jobs.store.jdbc.JdbcWorkflowStore;
import dev.quark.jobs.store.memory.InMemoryJobStore;
import dev.quark.jobs.store.memory.InMemoryRecurringJobStore;
import dev.quark.jobs.store.memory.InMemoryWorkflowStore;
import dev.quark.jobs.store.redis.RedisJobStore;
import dev.quark.jobs.store.redis.RedisRecurringJobStore;
import dev.quark.jobs.store.redis.RedisWorkflowStore;
import dev.quark.lease.LeaseStore;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Auto-configuration of durable jobs: the {@link JobQueue} bean over the {@link JobStore} of the backend that
 * {@code quark.jobs.backend} (else {@code quark.backend}) selects, the {@link JobHandler} beans registered by type,
 * and, unless {@code quark.jobs.workers=0}, the {@link JobOrchestrator} that runs them, started and stopped with the
 * context, beside the {@link JobRetention} that deletes finished jobs past {@code quark.jobs.retention.*}. Payloads are JSON through the application's {@link JsonMapper}.
 * <p>
 * This is the {@value #AREA} area of the shared backend wiring; its backend also keeps the recurring jobs, run by the
 * {@link RecurringJobScheduler} (the recurring jobs declared in code, {@code RecurringJobRequest} beans and
 * {@link dev.quark.jobs.Recurring @Recurring} on handler classes, are synchronized at start-up), and on PostgreSQL
 * contributes the jobs changelog. Workers claim jobs with the lease store of {@link QuarkLeasesAutoConfiguration}.
 * Every {@link JobFilter} bean is asked before enqueues (it may change or veto a job) and told about enqueues and
 * attempts, in order; with {@code quark.jobs.context.mdc-keys} an {@link MdcJobFilter} carries those MDC entries
 * from the enqueuing thread to the workers. The backend also keeps the
 * {@link dev.quark.jobs.JobWorkflow workflows}: the orchestrator advances a workflow after each of its steps' outcomes
 * and a {@link WorkflowSweeper} (every {@code quark.jobs.workflows.sweep-interval}) catches up with the rest.
 */
@AutoConfiguration(after = { QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class },
        afterName = { "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration",
                "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
                "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration" })
@ConditionalOnClass(JobQueue.class)
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@EnableConfigurationProperties(QuarkJobsProperties.class)
public final class QuarkJobsAutoConfiguration {

    /** The area's name in the backend wiring. */
    static final String AREA = "jobs";

    @Bean
    @ConditionalOnMissingBean
    JobPayloadCodec quarkJobPayloadCodec(ObjectProvider<JsonMapper> jsonMapper) {
        return new JobPayloadCodec(jsonMapper.getIfUnique(JsonMapper::shared));
    }

    @Bean
    @ConditionalOnMissingBean
    JobHandlerRegistry quarkJobHandlers(ObjectProvider<JobHandler<?>> handlers, JobPayloadCodec codec,
            QuarkJobsProperties properties, ConfigurableListableBeanFactory beanFactory) {
        List<JobHandler<?>> all = new ArrayList<>(handlers.orderedStream().toList());
        all.addAll(RecurringMethods.find(beanFactory));
        return new JobHandlerRegistry(all, codec, properties.retryPolicy(), properties.getTimeout());
    }

    @Bean
    static RecurringMethodsCheck quarkRecurringMethodsCheck() {
        return new RecurringMethodsCheck();
    }

    @Bean
    @ConditionalOnMissingBean
    @Conditional(OnMdcKeysCondition.class)
    MdcJobFilter quarkMdcJobFilter(QuarkJobsProperties properties) {
        return new MdcJobFilter(properties.getContext().getMdcKeys());
    }

    @Bean
    @ConditionalOnMissingBean
    JobFilters quarkJobFilters(ObjectProvider<JobFilter> filters) {
        return new JobFilters(filters.orderedStream().toList());
    }

    @Bean
    @ConditionalOnMissingBean(JobQueue.class)
    @ConditionalOnBean(JobStore.class)
    DefaultJobQueue quarkJobQueue(JobStore store, ObjectProvider<RecurringJobStore> recurring,
            ObjectProvider<WorkflowStore> workflows, JobHandlerRegistry handlers, JobPayloadCodec codec,
            ObjectProvider<Clock> clock, ObjectProvider<JobMetrics> metrics, JobFilters filters) {
        return new DefaultJobQueue(store, recurring.getIfUnique(), workflows.getIfUnique(), handlers, codec,
                clock.getIfUnique(Clock::systemUTC), metrics.getIfUnique(() -> JobMetrics.NONE), filters);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(DefaultJobQueue.class)
    @ConditionalOnBooleanProperty(name = "quark.jobs.workflows.sweep-enabled", matchIfMissing = true)
    WorkflowSweeperLifecycle quarkWorkflowSweeperLifecycle(DefaultJobQueue queue, QuarkJobsProperties properties,
            ObjectProvider<Clock> clock) {
        WorkflowAdvancer advancer = queue.workflows();
        WorkflowSweeper sweeper = (advancer != null) ? new WorkflowSweeper(advancer,
                properties.getWorkflows().getSweepInterval(), clock.getIfUnique(Clock::systemUTC), null) : null;
        return new WorkflowSweeperLifecycle(sweeper);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean({ RecurringJobStore.class, DefaultJobQueue.class })
    @ConditionalOnBooleanProperty(name = "quark.jobs.recurring.enabled", matchIfMissing = true)
    RecurringJobScheduler quarkRecurringJobScheduler(RecurringJobStore store, DefaultJobQueue queue,
            QuarkJobsProperties properties, ObjectProvider<Clock> clock) {
        return new RecurringJobScheduler(store, queue, properties.getRecurring().getPollInterval(),
                properties.getRecurring().getMisfireThreshold(), clock.getIfUnique(Clock::systemUTC), null);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(RecurringJobScheduler.class)
    RecurringJobsLifecycle quarkRecurringJobsLifecycle(RecurringJobScheduler scheduler, DefaultJobQueue queue,
            ObjectProvider<RecurringJobRequest> declared, JobHandlerRegistry handlers, JobPayloadCodec codec) {
        List<RecurringJobRequest> requests = new ArrayList<>(declared.orderedStream().toList());
        requests.addAll(RecurringDeclarations.read(handlers, codec));
        return new RecurringJobsLifecycle(scheduler, queue, requests);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(JobStore.class)
    @Conditional(OnJobWorkersCondition.class)
    JobOrchestrator quarkJobOrchestrator(JobStore store, JobHandlerRegistry handlers, JobPayloadCodec codec,
            QuarkJobsProperties properties, Environment environment, BeanFactory beanFactory,
            ObjectProvider<Clock> clock, ObjectProvider<JobMetrics> metrics, JobFilters filters,
            ObjectProvider<DefaultJobQueue> queue) {
        LeaseStore leases = QuarkLeasesAutoConfiguration.leaseStore(beanFactory, environment, AREA);
        JobOrchestrator.Builder builder = JobOrchestrator.builder(store, leases, handlers, codec)
            .workers(properties.getWorkers())
            .pollInterval(properties.getPollInterval())
            .leaseDuration(properties.getLeaseDuration())
            .shutdownTimeout(properties.getShutdownTimeout())
            .logLimit(properties.getLogLimit())
            .clock(clock.getIfUnique(Clock::systemUTC))
            .metrics(metrics.getIfUnique(() -> JobMetrics.NONE))
            .filters(filters);
        String nodeId = properties.getNodeId();
        if (nodeId != null) {
            builder.owner(nodeId);
        }
        Integer prefetch = properties.getPrefetch();
        if (prefetch != null) {
            builder.prefetch(prefetch);
        }
        Integer maxPrefetch = properties.getMaxPrefetch();
        if (maxPrefetch != null) {
            builder.maxPrefetch(maxPrefetch);
        }
        DefaultJobQueue localQueue = queue.getIfUnique();
        WorkflowAdvancer workflows = (localQueue != null) ? localQueue.workflows() : null;
        if (workflows != null) {
            builder.outcomeListener(workflows);
        }
        return builder.build();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(JobOrchestrator.class)
    JobOrchestratorLifecycle quarkJobOrchestratorLifecycle(JobOrchestrator orchestrator,
            ObjectProvider<DefaultJobQueue> queue) {
        return new JobOrchestratorLifecycle(orchestrator, queue.getIfUnique());
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(JobStore.class)
    JobRetention quarkJobRetention(JobStore store, QuarkJobsProperties properties, ObjectProvider<Clock> clock) {
        return new JobRetention(store, properties.retentions(), properties.getRetention().getInterval(),
                clock.getIfUnique(Clock::systemUTC), null);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(JobRetention.class)
    JobRetentionLifecycle quarkJobRetentionLifecycle(JobRetention retention) {
        return new JobRetentionLifecycle(retention);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.MEMORY)
    static class InMemoryJobsConfiguration {

        @Bean
        @ConditionalOnMissingBean(JobStore.class)
        InMemoryJobStore quarkInMemoryJobStore() {
            return new InMemoryJobStore();
        }

        @Bean
        @ConditionalOnMissingBean(RecurringJobStore.class)
        InMemoryRecurringJobStore quarkInMemoryRecurringJobStore(JobStore jobs) {
            return new InMemoryRecurringJobStore(jobs);
        }

        @Bean
        @ConditionalOnMissingBean(WorkflowStore.class)
        InMemoryWorkflowStore quarkInMemoryWorkflowStore() {
            return new InMemoryWorkflowStore();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.POSTGRES)
    @Import(DatabaseInitializationDependencyConfigurer.class)
    static class JdbcJobsConfiguration {

        @Bean
        @ConditionalOnMissingBean(JobStore.class)
        @DependsOnDatabaseInitialization
        JdbcJobStore quarkJdbcJobStore(DataSource dataSource, QuarkPostgresProperties postgres,
                QuarkJobsProperties properties, ObjectProvider<Clock> clock,
                ObjectProvider<PostgresNotificationSender> notifications) {
            return new JdbcJobStore(dataSource, postgres.tablePrefix(), clock.getIfUnique(Clock::systemUTC),
                    properties.getPostgres().isNotifyEnabled()
                            ? PostgresNotificationsSetup.sender(notifications, "quark.jobs.postgres.notify-enabled")
                            : null);
        }

        /**
         * The node's sender of PostgreSQL notifications, after commit on a connection it borrows per batch (shared
         * with the durable tasks' when they notify too); it keeps none. (The warning about a small pool comes when the
         * shared listener opens, {@code QuarkPostgresNotificationsAutoConfiguration}.)
         */
        @Bean
        @ConditionalOnMissingBean(PostgresNotificationSender.class)
        @ConditionalOnClass(name = "org.postgresql.PGConnection")
        @Conditional(OnJobNotificationsCondition.class)
        PostgresNotificationSender quarkPostgresNotificationSender(DataSource dataSource) {
            return new PostgresNotificationSender(dataSource, "quark");
        }

        @Bean
        @ConditionalOnMissingBean(RecurringJobStore.class)
        @DependsOnDatabaseInitialization
        JdbcRecurringJobStore quarkJdbcRecurringJobStore(DataSource dataSource, QuarkPostgresProperties postgres,
                QuarkJobsProperties properties, ObjectProvider<PostgresNotificationSender> notifications) {
            return new JdbcRecurringJobStore(dataSource, postgres.tablePrefix(),
                    properties.getPostgres().isNotifyEnabled()
                            ? PostgresNotificationsSetup.sender(notifications, "quark.jobs.postgres.notify-enabled")
                            : null);
        }

        @Bean
        @ConditionalOnMissingBean(WorkflowStore.class)
        @DependsOnDatabaseInitialization
        JdbcWorkflowStore quarkJdbcWorkflowStore(DataSource dataSource, QuarkPostgresProperties postgres) {
            return new JdbcWorkflowStore(dataSource, postgres.tablePrefix());
        }

        @Bean
        @ConditionalOnMissingBean(name = "quarkJobsChangelog")
        QuarkChangelog quarkJobsChangelog() {
            return new QuarkChangelog(AREA, JdbcJobStore.CHANGELOG);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.REDIS)
    static class RedisJobsConfiguration {

        @Bean
        @ConditionalOnMissingBean(JobStore.class)
        RedisJobStore quarkRedisJobStore(RedisConnectionFactory connectionFactory, QuarkRedisProperties redis,
                QuarkJobsProperties properties) {
            return new RedisJobStore(connectionFactory, redis.getKeyPrefix(), properties.getRedis().isNotifyEnabled());
        }

        @Bean
        @ConditionalOnMissingBean(RecurringJobStore.class)
        RedisRecurringJobStore quarkRedisRecurringJobStore(RedisConnectionFactory connectionFactory,
                QuarkRedisProperties redis, QuarkJobsProperties properties) {
            return new RedisRecurringJobStore(connectionFactory, redis.getKeyPrefix(),
                    properties.getRedis().isNotifyEnabled());
        }

        @Bean
        @ConditionalOnMissingBean(WorkflowStore.class)
        RedisWorkflowStore quarkRedisWorkflowStore(RedisConnectionFactory connectionFactory, QuarkRedisProperties redis) {
            return new RedisWorkflowStore(connectionFactory, redis.getKeyPrefix());
        }
    }
}
