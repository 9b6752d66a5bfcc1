package dev.quark.autoconfigure.redis;

import dev.quark.redis.RedisChannelSubscriptions;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Auto-configuration of the node's shared Redis subscription connections: one {@link RedisChannelSubscriptions} bean,
 * on which the cluster membership's watches, the jobs' wake-ups and the durable tasks' wake-ups subscribe their
 * channels, so that a node holds one subscribed connection per connection factory rather than one per area. A
 * factory's connection is made when the first area subscribes and closed when the last one leaves (the areas leave
 * when their lifecycles stop). When the context stops, {@link RedisChannelSubscriptionsLifecycle} waits for what the
 * areas asked as they left before the connection factories (lifecycles themselves) stop; the bean is closed with the
 * context, before the connection factories: it is registered as depending on each of them, so that no subscription
 * connection outlives its factory.
 */
@AutoConfiguration(afterName = "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
        beforeName = { "dev.quark.autoconfigure.cluster.QuarkClusterAutoConfiguration",
                "dev.quark.autoconfigure.jobs.QuarkJobsRedisNotificationsAutoConfiguration",
                "dev.quark.autoconfigure.durabletasks.QuarkDurableTasksWorkerAutoConfiguration" })
@ConditionalOnClass(name = "org.springframework.data.redis.listener.RedisMessageListenerContainer")
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
public final class QuarkRedisSubscriptionsAutoConfiguration {

    /** The name of the shared subscriptions' bean. */
    static final String BEAN_NAME = "quarkRedisChannelSubscriptions";

    @Bean(name = BEAN_NAME)
    @ConditionalOnMissingBean
    RedisChannelSubscriptions quarkRedisChannelSubscriptions(ConfigurableListableBeanFactory beanFactory) {
        // Destroyed before every connection factory, so that its connections close while their factory still runs.
        for (String factory : beanFactory.getBeanNamesForType(RedisConnectionFactory.class, true, false)) {
            beanFactory.registerDependentBean(factory, BEAN_NAME);
        }
        return new RedisChannelSubscriptions("quark-redis-subscriptions");
    }

    @Bean
    @ConditionalOnMissingBean
    RedisChannelSubscriptionsLifecycle quarkRedisChannelSubscriptionsLifecycle(
            RedisChannelSubscriptions subscriptions) {
        return new RedisChannelSubscriptionsLifecycle(subscriptions);
    }
}
