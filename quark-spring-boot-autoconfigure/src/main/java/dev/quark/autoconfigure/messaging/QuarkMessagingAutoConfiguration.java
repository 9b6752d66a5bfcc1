package dev.quark.autoconfigure.messaging;

import java.time.Clock;

import javax.sql.DataSource;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionOperations;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.autoconfigure.backend.ConditionalOnQuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendResolver;
import dev.quark.autoconfigure.backend.QuarkChangelog;
import dev.quark.autoconfigure.backend.TransactionManagersOfDataSource;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.postgres.QuarkPostgresProperties;
import dev.quark.autoconfigure.redis.QuarkRedisProperties;
import dev.quark.lease.LeaseStore;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.Inbox;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.Outbox;
import dev.quark.messaging.runtime.DefaultInbox;
import dev.quark.messaging.runtime.DefaultOutbox;
import dev.quark.messaging.runtime.DeadLetters;
import dev.quark.messaging.runtime.DefaultStateOutbox;
import dev.quark.messaging.runtime.MessageCodec;
import dev.quark.messaging.runtime.MessagingRetention;
import dev.quark.messaging.runtime.OutboxDispatcher;
import dev.quark.messaging.runtime.OutboxMetrics;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.state.StateOutbox;
import dev.quark.messaging.store.InboxStore;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.jdbc.JdbcInboxStore;
import dev.quark.messaging.store.jdbc.JdbcOutboxStore;
import dev.quark.messaging.store.jdbc.OutboxCommitListener;
import dev.quark.messaging.store.memory.InMemoryInboxStore;
import dev.quark.messaging.store.memory.InMemoryOutboxStore;
import dev.quark.messaging.store.redis.RedisAtomicInbox;
import dev.quark.messaging.store.redis.RedisInboxStore;
import dev.quark.messaging.store.redis.RedisOutboxStore;

/**
 * Auto-configuration of messaging: the {@link Outbox} and {@link Inbox} beans over the stores of the backend that
 * {@code quark.messaging.backend} (else {@code quark.backend}) selects, the {@link Destinations} made of the
 * application's {@link MessagePublisher} beans, and, unless {@code quark.messaging.dispatcher.enabled=false}, the
 * {@link OutboxDispatcher} that delivers messages, started and stopped with the context beside the
 * {@link MessagingRetention}. The {@link StateOutbox} saves an actor's state and enqueues messages in one write when
 * the state is kept on the same Redis or PostgreSQL as the outbox.
 * <p>
 * This is the {@value #AREA} area of the shared backend wiring, an area that claims work with leases: the dispatcher
 * claims partitions with the lease store of {@link QuarkLeasesAutoConfiguration} (on the area's backend unless
 * {@code quark.leases.backend} is set), and on PostgreSQL the area contributes the messaging changelog. On Redis the
 * stores write under {@code quark.redis.key-prefix}; the inbox there runs without a transaction (record, run, forget on
 * failure), as in memory; and every node sweeps the outbox's staging areas ({@code quark.messaging.staging.*}), where
 * the {@link StateOutbox} stages messages saved with a state on a Redis Cluster until they are moved to the outbox.
 */
@AutoConfiguration(after = { QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class },
        afterName = { "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration",
                "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
                "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
                "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
                "org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration",
                "dev.quark.autoconfigure.jobs.QuarkJobsAutoConfiguration" })
@ConditionalOnClass(Outbox.class)
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@EnableConfigurationProperties(QuarkMessagingProperties.class)
public final class QuarkMessagingAutoConfiguration {

    /** The area's name in the backend wiring. */
    static final String AREA = "messaging";

    @Bean
    @ConditionalOnMissingBean
    MessageCodec quarkMessageCodec(ObjectProvider<JsonMapper> jsonMapper) {
        return new MessageCodec(jsonMapper.getIfUnique(JsonMapper::shared));
    }

    @Bean
    @ConditionalOnMissingBean
    Destinations quarkMessagingDestinations(ObjectProvider<MessagePublisher> publishers) {
        return new Destinations(publishers.orderedStream().toList());
    }

    @Bean
    @ConditionalOnMissingBean
    Partitioner quarkOutboxPartitioner(QuarkMessagingProperties properties) {
        return new Partitioner(properties.getPartitions());
    }

    @Bean
    @ConditionalOnMissingBean(Outbox.class)
    @ConditionalOnBean(OutboxStore.class)
    DefaultOutbox quarkOutbox(OutboxStore store, Destinations destinations, MessageCodec codec,
            Partitioner partitioner, ObjectProvider<Clock> clock) {
        return new DefaultOutbox(store, destinations, codec, partitioner, clock.getIfUnique(Clock::systemUTC));
    }

    @Bean
    @ConditionalOnMissingBean(StateOutbox.class)
    @ConditionalOnBean(DefaultOutbox.class)
    DefaultStateOutbox quarkStateOutbox(DefaultOutbox outbox) {
        return new DefaultStateOutbox(outbox);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(OutboxStore.class)
    DeadLetters quarkDeadLetters(OutboxStore store) {
        return new DeadLetters(store);
    }

    @Bean
    @ConditionalOnMissingBean(Inbox.class)
    @ConditionalOnBean(InboxStore.class)
    DefaultInbox quarkInbox(InboxStore store, Environment environment,
            ObjectProvider<PlatformTransactionManager> transactionManager, ObjectProvider<DataSource> dataSource,
            ObjectProvider<Clock> clock, ObjectProvider<OutboxCommitListener> commitListener) {
        boolean postgres = new QuarkBackendResolver(environment).resolve(AREA).backend() == QuarkBackend.POSTGRES;
        // Without a transaction the record would commit before the handler ran: a crash in between loses the
        // message. With no unique transaction manager, one on Quark's DataSource keeps record and handler together;
        // it gets the OutboxCommitListener, or a handler's first enqueue in a BEFORE_COMMIT listener would be lost.
        TransactionOperations transactions = postgres
                ? new TransactionTemplate(transactionManager
                    .getIfUnique(() -> inboxTransactionManager(dataSource.getObject(), commitListener)))
                : TransactionOperations.withoutTransaction();
        return new DefaultInbox(store, transactions, clock.getIfUnique(Clock::systemUTC));
    }

    private static DataSourceTransactionManager inboxTransactionManager(DataSource dataSource,
            ObjectProvider<OutboxCommitListener> commitListener) {
        DataSourceTransactionManager manager = new DataSourceTransactionManager(dataSource);
        commitListener.ifAvailable(manager::addListener);
        return manager;
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(OutboxStore.class)
    @ConditionalOnBooleanProperty(name = "quark.messaging.dispatcher.enabled", matchIfMissing = true)
    OutboxDispatcher quarkOutboxDispatcher(OutboxStore store, Destinations destinations, Partitioner partitioner,
            QuarkMessagingProperties properties, Environment environment, BeanFactory beanFactory,
            ObjectProvider<Clock> clock, ObjectProvider<OutboxMetrics> metrics) {
        LeaseStore leases = QuarkLeasesAutoConfiguration.leaseStore(beanFactory, environment, AREA);
        OutboxDispatcher.Builder builder = OutboxDispatcher.builder(store, leases, destinations)
            .partitioner(partitioner)
            .batchSize(properties.getBatchSize())
            .pollInterval(properties.getPollInterval())
            .leaseDuration(properties.getLeaseDuration())
            .maxAttempts(properties.getMaxAttempts())
            .backoff(properties.retryBackoff())
            .clock(clock.getIfUnique(Clock::systemUTC))
            .metrics(metrics.getIfUnique(() -> OutboxMetrics.NONE));
        String nodeId = properties.getNodeId();
        if (nodeId != null) {
            builder.owner(nodeId);
        }
        return builder.build();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(OutboxStore.class)
    MessagingRetention quarkMessagingRetention(OutboxStore outbox, ObjectProvider<InboxStore> inbox,
            QuarkMessagingProperties properties, ObjectProvider<Clock> clock) {
        return new MessagingRetention(outbox, inbox.getIfUnique(), properties.retentions(),
                clock.getIfUnique(Clock::systemUTC));
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(MessagingRetention.class)
    MessagingLifecycle quarkMessagingLifecycle(ObjectProvider<OutboxDispatcher> dispatcher,
            MessagingRetention retention, QuarkMessagingProperties properties) {
        return new MessagingLifecycle(dispatcher.getIfUnique(), retention, properties.getRetention().getInterval());
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.amqp.rabbit.core.RabbitTemplate")
    static class RabbitDestinationsConfiguration {

        @Bean
        static RabbitDestinationsRegistrar quarkRabbitDestinationsRegistrar(Environment environment) {
            return new RabbitDestinationsRegistrar(environment);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.MEMORY)
    static class InMemoryMessagingConfiguration {

        @Bean
        @ConditionalOnMissingBean(OutboxStore.class)
        InMemoryOutboxStore quarkInMemoryOutboxStore() {
            return new InMemoryOutboxStore();
        }

        @Bean
        @ConditionalOnMissingBean(InboxStore.class)
        InMemoryInboxStore quarkInMemoryInboxStore() {
            return new InMemoryInboxStore();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.POSTGRES)
    @Import(DatabaseInitializationDependencyConfigurer.class)
    static class JdbcMessagingConfiguration {

        @Bean
        @ConditionalOnMissingBean(OutboxStore.class)
        @DependsOnDatabaseInitialization
        JdbcOutboxStore quarkJdbcOutboxStore(DataSource dataSource, QuarkPostgresProperties postgres) {
            return new JdbcOutboxStore(dataSource, postgres.tablePrefix());
        }

        @Bean
        @ConditionalOnMissingBean(InboxStore.class)
        @DependsOnDatabaseInitialization
        JdbcInboxStore quarkJdbcInboxStore(DataSource dataSource, QuarkPostgresProperties postgres) {
            return new JdbcInboxStore(dataSource, postgres.tablePrefix());
        }

        /**
         * Inserts, right before the commit, the messages of a transaction's first enqueue made while it commits (a
         * {@code BEFORE_COMMIT} event listener). Spring Boot adds every {@code TransactionExecutionListener} bean to
         * the transaction managers it auto-configures; {@link OutboxCommitListenerCheck} names the others.
         */
        @Bean
        @ConditionalOnMissingBean
        OutboxCommitListener quarkOutboxCommitListener() {
            return new OutboxCommitListener();
        }

        @Bean
        @ConditionalOnMissingBean
        OutboxCommitListenerCheck quarkOutboxCommitListenerCheck(ListableBeanFactory beanFactory,
                ObjectProvider<DataSource> dataSource) {
            return new OutboxCommitListenerCheck(new TransactionManagersOfDataSource(beanFactory, dataSource));
        }

        @Bean
        @ConditionalOnMissingBean(name = "quarkMessagingChangelog")
        QuarkChangelog quarkMessagingChangelog() {
            return new QuarkChangelog(AREA, JdbcOutboxStore.CHANGELOG);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnQuarkBackend(area = AREA, backend = QuarkBackend.REDIS)
    static class RedisMessagingConfiguration {

        @Bean
        @ConditionalOnMissingBean(OutboxStore.class)
        RedisOutboxStore quarkRedisOutboxStore(RedisConnectionFactory connectionFactory, QuarkRedisProperties redis) {
            return new RedisOutboxStore(connectionFactory, redis.getKeyPrefix());
        }

        @Bean
        @ConditionalOnMissingBean(InboxStore.class)
        RedisInboxStore quarkRedisInboxStore(RedisConnectionFactory connectionFactory, QuarkRedisProperties redis) {
            return new RedisInboxStore(connectionFactory, redis.getKeyPrefix());
        }

        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnBean(RedisInboxStore.class)
        RedisAtomicInbox quarkRedisAtomicInbox(RedisInboxStore store, ObjectProvider<Clock> clock) {
            return new RedisAtomicInbox(store, clock.getIfUnique(Clock::systemUTC));
        }

        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnBean(OutboxStore.class)
        RedisOutboxSweepLifecycle quarkRedisOutboxSweepLifecycle(OutboxStore outbox,
                QuarkMessagingProperties properties) {
            return new RedisOutboxSweepLifecycle(outbox, properties.getStaging().getSweepInterval(),
                    properties.getStaging().getGrace(), properties.stagingMaxAge());
        }
    }
}
