package dev.quark.autoconfigure.jobs;

import dev.quark.jobs.runtime.JobOrchestrator;
import dev.quark.jobs.runtime.RedisJobWakeUps;
import dev.quark.jobs.store.redis.RedisJobStore;
import dev.quark.redis.RedisChannelSubscriptions;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Auto-configuration of the wake-ups across nodes of the Redis job store: unless
 * {@code quark.jobs.redis.notify-enabled=false} (on by default: a {@code PUBLISH} costs Redis one more command in the
 * script that makes a job due, no lock), a node with workers whose {@link RedisJobStore}
 * {@link RedisJobStore#notifying() publishes} subscribes, on the node's shared subscription connection
 * ({@link RedisChannelSubscriptions}, one per connection factory for every area), to the types of the jobs the
 * other nodes make due ({@link RedisJobWakeUps}, held by {@link RedisJobWakeUpsLifecycle}), so that its workers claim
 * them at once rather than at their next poll.
 */
@AutoConfiguration(after = QuarkJobsAutoConfiguration.class)
@ConditionalOnClass(name = { "dev.quark.jobs.store.redis.RedisJobStore",
        "org.springframework.data.redis.listener.RedisMessageListenerContainer" })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@Conditional(OnRedisJobNotificationsCondition.class)
public final class QuarkJobsRedisNotificationsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean({ RedisJobStore.class, JobOrchestrator.class, RedisConnectionFactory.class })
    RedisJobWakeUpsLifecycle quarkRedisJobWakeUpsLifecycle(RedisConnectionFactory connectionFactory,
            RedisJobStore store, JobOrchestrator orchestrator, ObjectProvider<RedisChannelSubscriptions> subscriptions) {
        // On the node's shared subscription connection of the factory, beside the membership and the durable tasks.
        return new RedisJobWakeUpsLifecycle(subscriptions.getIfUnique(), connectionFactory, store, orchestrator);
    }
}
