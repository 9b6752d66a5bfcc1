package dev.quark.autoconfigure.metrics;

import java.time.Clock;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.quark.autoconfigure.messaging.QuarkMessagingAutoConfiguration;
import dev.quark.messaging.Outbox;
import dev.quark.messaging.runtime.OutboxMetrics;
import dev.quark.messaging.store.OutboxStore;

/**
 * Auto-configuration of the Micrometer metrics of the outbox ({@code quark.outbox.*}), when the application has a
 * {@link MeterRegistry}.
 */
@AutoConfiguration(before = QuarkMessagingAutoConfiguration.class, after = { MetricsAutoConfiguration.class,
        CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@ConditionalOnClass({ MeterRegistry.class, MetricsAutoConfiguration.class, Outbox.class })
@ConditionalOnBean(MeterRegistry.class)
public final class QuarkMessagingMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    OutboxMetrics quarkOutboxMetrics(MeterRegistry registry) {
        return new MicrometerOutboxMetrics(registry);
    }

    @Bean
    @ConditionalOnMissingBean(name = "quarkOutboxGauges")
    OutboxGauges quarkOutboxGauges(ObjectProvider<OutboxStore> store, ObjectProvider<Clock> clock) {
        return new OutboxGauges(store::getObject, clock.getIfUnique(Clock::systemUTC));
    }
}
