package dev.quark.autoconfigure.metrics;

import java.time.Clock;
import java.time.Duration;

import dev.quark.autoconfigure.durabletasks.QuarkDurableTasksWorkerAutoConfiguration;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.worker.DurableTaskMetrics;
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

/**
 * Auto-configuration of the {@code quark.durabletasks.*} Micrometer metrics, when the application has a
 * {@link MeterRegistry}. The worker looks its {@link DurableTaskMetrics} up when it is created, so this runs after
 * the durable-task auto-configuration, whose store the instance gauges count.
 */
@AutoConfiguration(after = { QuarkDurableTasksWorkerAutoConfiguration.class, MetricsAutoConfiguration.class,
        CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@ConditionalOnClass({ MeterRegistry.class, MetricsAutoConfiguration.class, DurableTaskMetrics.class })
@ConditionalOnBean(MeterRegistry.class)
public final class QuarkDurableTasksMetricsAutoConfiguration {

    /** How often the instance gauges count instances at most. */
    static final Duration COUNT_INTERVAL = Duration.ofSeconds(30);

    @Bean
    @ConditionalOnMissingBean
    DurableTaskMetrics quarkDurableTaskMetrics(MeterRegistry registry) {
        return new MicrometerDurableTaskMetrics(registry);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(DurableTaskStore.class)
    DurableTaskInstanceGauges quarkDurableTaskInstanceGauges(DurableTaskStore store, ObjectProvider<Clock> clock) {
        return new DurableTaskInstanceGauges(store, clock.getIfUnique(Clock::systemUTC), COUNT_INTERVAL);
    }
}
