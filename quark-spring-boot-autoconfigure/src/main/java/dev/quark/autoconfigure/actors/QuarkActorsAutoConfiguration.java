package dev.quark.autoconfigure.actors;

import java.time.Clock;
import java.util.Map;

import dev.quark.actor.ActorRefFactory;
import dev.quark.runtime.ActivationHook;
import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.ActorReminderSource;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.CallContextPropagator;
import dev.quark.runtime.RuntimeScheduler;
import dev.quark.runtime.filter.IncomingCallFilter;
import dev.quark.runtime.filter.OutgoingCallFilter;
import dev.quark.runtime.routing.ActorLocator;
import dev.quark.runtime.routing.ActorTypeNames;
import dev.quark.runtime.routing.RemoteCallSender;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * Auto-configuration of the actor runtime: an {@link ActorRuntime} bean, which is also the application's
 * {@link ActorRefFactory}, hosting every {@link dev.quark.actor.QuarkActor} class found in the
 * application's packages.
 * <p>
 * Beans of type {@link OutgoingCallFilter} and {@link IncomingCallFilter} become the runtime's call filters,
 * in {@code @Order}/{@code Ordered} order (lowest first, outermost), and {@link CallContextPropagator} beans
 * (the trace context of {@code QuarkTracingAutoConfiguration}) its context propagators, in that order; a unique {@link ActorLocator},
 * {@link RemoteCallSender} or {@link ActorTypeNames} bean replaces the single-silo default, which is how a
 * cluster plugs in. An {@link ActorReminderSource} bean (the {@code ReminderRegistry} of
 * {@code QuarkRemindersAutoConfiguration}) gives actors their reminders.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@EnableConfigurationProperties(QuarkActorsProperties.class)
@Import(ActorBeanDefinitionRegistrar.class)
public final class QuarkActorsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ActorRuntime quarkActorRuntime(QuarkActorsProperties properties, ConfigurableListableBeanFactory beanFactory,
            ObjectProvider<Clock> clock, ObjectProvider<ActorMetrics> metrics,
            ObjectProvider<RuntimeScheduler> scheduler, ObjectProvider<ActivationHook> activationHooks,
            ObjectProvider<OutgoingCallFilter> outgoingFilters, ObjectProvider<IncomingCallFilter> incomingFilters,
            ObjectProvider<CallContextPropagator> contextPropagators, ObjectProvider<ActorLocator> locator, ObjectProvider<RemoteCallSender> remoteCallSender,
            ObjectProvider<ActorTypeNames> actorTypeNames, ObjectProvider<ActorReminderSource> reminders,
            ObjectProvider<ActorRuntimeBuilderCustomizer> customizers) {
        Map<Class<?>, String> actors = ActorBeans.find(beanFactory);
        ActorRuntime.Builder builder = ActorRuntime.builder()
            .instanceFactory(new SpringActorInstanceFactory(beanFactory, actors))
            .clock(clock.getIfUnique(Clock::systemUTC))
            .metrics(metrics.getIfAvailable(() -> ActorMetrics.NONE))
            .idleTimeout(properties.getIdleTimeout())
            .collectionInterval(properties.getCollectionInterval())
            .mailboxCapacity(properties.getMailboxCapacity())
            .mailboxFullTimeout(properties.getMailboxFullTimeout())
            .callTimeout(properties.getCallTimeout())
            .platformCallerSpin(properties.getPlatformCallerSpin())
            .shutdownTimeout(properties.getShutdownTimeout())
            .turnScheduler(properties.getTurnScheduler())
            .readyQueueMaxRunners(properties.getReadyQueue().getMaxRunners());
        applyShedding(properties, builder);
        scheduler.ifUnique(builder::scheduler);
        actors.keySet().forEach(builder::actor);
        activationHooks.orderedStream().forEach(builder::activationHook);
        outgoingFilters.orderedStream().forEach(builder::outgoingFilter);
        incomingFilters.orderedStream().forEach(builder::incomingFilter);
        contextPropagators.orderedStream().forEach(builder::contextPropagator);
        // ifAvailable, not ifUnique: two routing beans must fail the start, never fall back to one silo.
        locator.ifAvailable(builder::actorLocator);
        remoteCallSender.ifAvailable(builder::remoteCallSender);
        actorTypeNames.ifAvailable(builder::actorTypeNames);
        reminders.ifAvailable(builder::reminders);
        customizers.orderedStream().forEach((customizer) -> customizer.customize(builder));
        return builder.build();
    }

    private static void applyShedding(QuarkActorsProperties properties, ActorRuntime.Builder builder) {
        builder.sheddingCheckInterval(properties.getSheddingCheckInterval());
        Integer maxActivations = properties.getMaxActivations();
        if (maxActivations != null) {
            builder.maxActivations(maxActivations);
        }
        QuarkActorsProperties.MemoryPressure memoryPressure = properties.getMemoryPressure();
        if (memoryPressure.isEnabled()) {
            builder.memoryPressure(memoryPressure.getLimitPercent(), memoryPressure.getTargetPercent());
        }
    }

    @Bean
    @ConditionalOnMissingBean
    ActorRuntimeLifecycle quarkActorRuntimeLifecycle(ActorRuntime runtime) {
        return new ActorRuntimeLifecycle(runtime);
    }
}
