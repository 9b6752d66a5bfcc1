package dev.quark.autoconfigure.durabletasks;

import java.time.Clock;

import dev.quark.durabletasks.DurableTaskClient;
import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.client.InstanceUpdates;
import dev.quark.durabletasks.client.StoreDurableTaskClient;
import dev.quark.durabletasks.payload.PayloadConverter;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.jdbc.JdbcDurableTaskStore;
import dev.quark.durabletasks.store.jdbc.PostgresDurableTaskWakeUps;
import dev.quark.durabletasks.store.redis.RedisDurableTaskStore;
import dev.quark.durabletasks.store.redis.RedisDurableTaskWakeUps;
import dev.quark.durabletasks.worker.DurableTaskMetrics;
import dev.quark.durabletasks.worker.DurableTaskWorker;
import dev.quark.jdbc.PostgresNotificationListeners;
import dev.quark.lease.LeaseKeeper;
import dev.quark.redis.RedisChannelSubscriptions;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Auto-configuration of the durable-task worker, started and stopped with the context (unless
 * {@code quark.durabletasks.worker.enabled=false}), and of the {@link DurableTaskClient}, on the
 * {@link DurableTaskStore} that {@link QuarkDurableTasksAutoConfiguration} (or the application) defined; none on a
 * backend durable tasks do not support yet. The worker's metrics are the application's {@link DurableTaskMetrics}
 * bean, its scheduler a unique {@link LeaseKeeper.Scheduler} bean (a test's virtual time), if there are.
 */
@AutoConfiguration(after = QuarkDurableTasksAutoConfiguration.class)
@ConditionalOnClass(DurableTaskClient.class)
@ConditionalOnBean(DurableTaskStore.class)
public final class QuarkDurableTasksWorkerAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "quark.durabletasks.worker.enabled", matchIfMissing = true)
    DurableTaskWorker quarkDurableTaskWorker(DurableTaskStore store, DurableTaskRegistry registry,
            PayloadConverter converter, QuarkDurableTasksProperties properties, InstanceUpdates updates,
            ConfigurableListableBeanFactory beanFactory, Environment environment, ObjectProvider<Clock> clock,
            ObjectProvider<DurableTaskMetrics> metrics, ObjectProvider<LeaseKeeper.Scheduler> scheduler) {
        QuarkDurableTasksProperties.Worker worker = properties.getWorker();
        DurableTaskWorker.Builder builder = DurableTaskWorker
            .builder(store, DurableTaskBeans.leaseStore(beanFactory, environment), registry)
            .payloadConverter(converter)
            .clock(clock.getIfUnique(Clock::systemUTC))
            .concurrency(worker.getMaxConcurrentSteps(), worker.getMaxConcurrentActivities())
            .pollInterval(worker.getPollInterval())
            .leaseDuration(worker.getLeaseDuration())
            .stepTimeout(worker.getStepTimeout())
            .shutdownTimeout(worker.getShutdownTimeout())
            .historyLimits(properties.getHistory().getWarnEvents(), properties.getHistory().getMaxEvents())
            .metrics(metrics.getIfAvailable(() -> DurableTaskMetrics.NONE))
            .instanceListener(updates::changed);
        scheduler.ifUnique(builder::scheduler);
        Integer instanceCacheSize = properties.getInstanceCacheSize();
        if (instanceCacheSize != null) {
            builder.instanceCacheSize(instanceCacheSize);
        }
        String owner = worker.getOwner();
        if (owner != null) {
            builder.owner(owner);
        }
        return builder.build();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "quark.durabletasks.worker.enabled", matchIfMissing = true)
    DurableTaskWorkerLifecycle quarkDurableTaskWorkerLifecycle(DurableTaskWorker worker, DurableTaskRegistry registry,
            DurableTaskStore store, ObjectProvider<PostgresNotificationListeners> listeners,
            ObjectProvider<RedisChannelSubscriptions> redisSubscriptions) {
        // Only a store that notifies gets wake-ups: one that sends nothing would leave the listening connection idle.
        // They listen on the store's own database, on its shared listening connection. The JDBC classes are only touched where the driver and Spring
        // JDBC are there, the Redis ones where Spring Data Redis is.
        ClassLoader classLoader = getClass().getClassLoader();
        if (ClassUtils.isPresent("org.postgresql.PGConnection", classLoader)
                && ClassUtils.isPresent("org.springframework.jdbc.core.simple.JdbcClient", classLoader)) {
            PostgresDurableTaskWakeUps wakeUps = PostgresWakeUps.of(store, worker, listeners.getIfUnique());
            if (wakeUps != null) {
                return new DurableTaskWorkerLifecycle(worker, registry, wakeUps,
                        (started) -> ((PostgresDurableTaskWakeUps) started).start());
            }
        }
        if (ClassUtils.isPresent("org.springframework.data.redis.listener.RedisMessageListenerContainer",
                classLoader)) {
            RedisDurableTaskWakeUps wakeUps = RedisWakeUps.of(store, worker, redisSubscriptions);
            if (wakeUps != null) {
                return new DurableTaskWorkerLifecycle(worker, registry, wakeUps,
                        (started) -> ((RedisDurableTaskWakeUps) started).start());
            }
        }
        return new DurableTaskWorkerLifecycle(worker, registry);
    }

    /**
     * The wake-ups of a notifying PostgreSQL store, in a class of their own so that the JDBC store's class is loaded
     * only where Spring JDBC is.
     */
    private static final class PostgresWakeUps {

        static @Nullable PostgresDurableTaskWakeUps of(DurableTaskStore store, DurableTaskWorker worker,
                @Nullable PostgresNotificationListeners listeners) {
            if (store instanceof JdbcDurableTaskStore jdbc && jdbc.notifying()) {
                return (listeners != null)
                        ? new PostgresDurableTaskWakeUps(listeners, jdbc.dataSource(), jdbc.channel(), worker::wake)
                        : new PostgresDurableTaskWakeUps(jdbc.dataSource(), jdbc.channel(), worker::wake);
            }
            return null;
        }
    }

    /**
     * The wake-ups of a notifying Redis store, in a class of their own so that the Redis store's class is loaded only
     * where Spring Data Redis is. They subscribe on the node's shared subscription connection of the store's factory
     * (beside the membership and the jobs), or on one of their own when the application has no shared subscriptions.
     */
    private static final class RedisWakeUps {

        static @Nullable RedisDurableTaskWakeUps of(DurableTaskStore store, DurableTaskWorker worker,
                ObjectProvider<RedisChannelSubscriptions> subscriptions) {
            if (store instanceof RedisDurableTaskStore redis && redis.notifying()) {
                return RedisDurableTaskWakeUps.of(subscriptions.getIfUnique(), redis, worker::wake, worker::wakeAt);
            }
            return null;
        }
    }

    @Bean
    @ConditionalOnMissingBean
    DurableTaskClient quarkDurableTaskClient(DurableTaskStore store, PayloadConverter converter,
            ObjectProvider<DurableTaskRegistry> registry, InstanceUpdates updates, ObjectProvider<Clock> clock,
            ObjectProvider<DurableTaskWorker> worker, QuarkDurableTasksProperties properties) {
        // With a worker running here, names and inputs are checked against what it runs; without one, workers
        // elsewhere decide. The registry and the worker are looked up late: activities may use the client.
        boolean enabled = properties.getWorker().isEnabled();
        return StoreDurableTaskClient.withRegistryLookup(store, converter, clock.getIfUnique(Clock::systemUTC), () -> {
            DurableTaskRegistry known = enabled ? registry.getIfAvailable() : null;
            return (known != null && DurableTaskWorkerLifecycle.hasWork(known)) ? known : null;
        }, () -> worker.ifAvailable(DurableTaskWorker::wake), updates);
    }
}
