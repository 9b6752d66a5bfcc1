package dev.quark.autoconfigure.metrics;

import java.time.Clock;

import dev.quark.autoconfigure.jobs.QuarkJobsAutoConfiguration;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.runtime.JobOrchestrator;
import dev.quark.jobs.runtime.JobMetrics;
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
 * Auto-configuration of the Micrometer metrics of jobs ({@code quark.jobs.*}), when the application has a
 * {@link MeterRegistry}.
 */
@AutoConfiguration(before = QuarkJobsAutoConfiguration.class, after = { MetricsAutoConfiguration.class,
        CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class })
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@ConditionalOnClass({ MeterRegistry.class, MetricsAutoConfiguration.class, JobQueue.class })
@ConditionalOnBean(MeterRegistry.class)
public final class QuarkJobsMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    JobMetrics quarkJobMetrics(MeterRegistry registry) {
        return new MicrometerJobMetrics(registry);
    }

    @Bean
    @ConditionalOnMissingBean(name = "quarkJobCountGauges")
    JobCountGauges quarkJobCountGauges(ObjectProvider<JobQueue> queue, ObjectProvider<Clock> clock) {
        return new JobCountGauges(queue::getObject, clock.getIfUnique(Clock::systemUTC));
    }

    @Bean
    @ConditionalOnMissingBean(name = "quarkJobPrefetchGauge")
    JobPrefetchGauge quarkJobPrefetchGauge(ObjectProvider<JobOrchestrator> orchestrator) {
        return new JobPrefetchGauge(orchestrator::getIfAvailable);
    }
}
