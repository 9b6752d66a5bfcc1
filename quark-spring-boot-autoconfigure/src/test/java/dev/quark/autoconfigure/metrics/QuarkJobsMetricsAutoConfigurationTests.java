package dev.quark.autoconfigure.metrics;

import java.time.Duration;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.jobs.QuarkJobsAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.NonRetryableJobException;
import dev.quark.jobs.runtime.JobMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class QuarkJobsMetricsAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
                QuarkJobsMetricsAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                QuarkLeasesAutoConfiguration.class, QuarkJobsAutoConfiguration.class))
        .withBean("echo", JobHandler.class, () -> JobHandler.of("echo", String.class, (payload, context) -> {
            if (payload.equals("poison")) {
                throw new NonRetryableJobException("poison");
            }
        }));

    @Test
    void jobsAreCountedAndTimedByTypeAndOutcome() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(MicrometerJobMetrics.class);
            JobQueue jobs = context.getBean(JobQueue.class);
            JobId ok = jobs.enqueue("echo", "hello");
            JobId poison = jobs.enqueue("echo", "poison");
            await().atMost(Duration.ofSeconds(10)).until(() -> jobs.find(ok).map(Job::isFinished).orElseThrow()
                    && jobs.find(poison).map(Job::isFinished).orElseThrow());
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get(MicrometerJobMetrics.ENQUEUED).tag("type", "echo").counter().count()).isEqualTo(2);
            await().atMost(Duration.ofSeconds(10))
                .until(() -> registry.find(MicrometerJobMetrics.EXECUTIONS).tags("outcome", "dead-lettered").timer() != null);
            assertThat(registry.get(MicrometerJobMetrics.EXECUTIONS).tags("type", "echo", "outcome", "succeeded")
                .timer()
                .count()).isEqualTo(1);
            assertThat(registry.get(MicrometerJobMetrics.EXECUTIONS).tags("type", "echo", "outcome", "dead-lettered")
                .timer()
                .count()).isEqualTo(1);
            assertThat(registry.get(MicrometerJobMetrics.LATENCY).tag("type", "echo").timer().count()).isEqualTo(2);
            assertThat(registry.get(JobCountGauges.DEAD_LETTERS).gauge().value()).isEqualTo(1.0);
            assertThat(registry.get(JobCountGauges.BACKLOG).tag("status", "enqueued").gauge().value()).isZero();
            assertThat(registry.get(JobCountGauges.RUNNING).gauge().value()).isZero();
            assertThat(jobs.counts()).containsEntry(JobStatus.SUCCEEDED, 1L);
        });
    }

    @Test
    void theNodesPrefetchIsAGauge() {
        this.contextRunner.withPropertyValues("quark.jobs.workers=3").run((context) -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            // Adaptive: the worker count (3) until measured; an idle node's claims measure no job finished: the floor.
            await().atMost(Duration.ofSeconds(10))
                .until(() -> registry.get(JobPrefetchGauge.PREFETCH).gauge().value() == 1.0);
        });
        this.contextRunner.withPropertyValues("quark.jobs.prefetch=5").run((context) -> assertThat(
                context.getBean(MeterRegistry.class).get(JobPrefetchGauge.PREFETCH).gauge().value()).isEqualTo(5.0));
        this.contextRunner.withPropertyValues("quark.jobs.workers=0").run((context) -> assertThat(
                context.getBean(MeterRegistry.class).get(JobPrefetchGauge.PREFETCH).gauge().value()).isNaN());
    }

    @Test
    void recurringInstantsSkippedForOverlapAreCountedByTypeNotByRecurringJob() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MicrometerJobMetrics metrics = new MicrometerJobMetrics(registry);
        metrics.skippedForOverlap("nightly", "report");
        metrics.skippedForOverlap("nightly", "report");
        metrics.skippedForOverlap("tenant-42", "report");
        metrics.skippedForOverlap("hourly", "cleanup");
        assertThat(registry.get(MicrometerJobMetrics.RECURRING_SKIPPED)
            .tags("type", "report", "reason", "overlap")
            .counter()
            .count()).isEqualTo(3);
        assertThat(registry.get(MicrometerJobMetrics.RECURRING_SKIPPED).tags("type", "cleanup").counter().count())
            .isEqualTo(1);
        assertThat(registry.get(MicrometerJobMetrics.RECURRING_SKIPPED).counters()).hasSize(2)
            .allSatisfy((counter) -> assertThat(counter.getId().getTag("recurring")).isNull());
    }

    @Test
    void recurringInstantsVetoedByAFilterAreCountedApartFromOverlaps() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MicrometerJobMetrics metrics = new MicrometerJobMetrics(registry);
        metrics.skippedForOverlap("nightly", "report");
        metrics.skippedForVeto("nightly", "report");
        metrics.skippedForVeto("tenant-42", "report");
        assertThat(registry.get(MicrometerJobMetrics.RECURRING_SKIPPED)
            .tags("type", "report", "reason", "vetoed")
            .counter()
            .count()).isEqualTo(2);
        assertThat(registry.get(MicrometerJobMetrics.RECURRING_SKIPPED)
            .tags("type", "report", "reason", "overlap")
            .counter()
            .count()).isEqualTo(1);
    }

    @Test
    void withoutAMeterRegistryNothingIsRecorded() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(QuarkJobsMetricsAutoConfiguration.class,
                    QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                    QuarkJobsAutoConfiguration.class))
            .run((context) -> assertThat(context).doesNotHaveBean(JobMetrics.class).hasSingleBean(JobQueue.class));
    }
}
