package dev.quark.autoconfigure.health;

import dev.quark.autoconfigure.jobs.QuarkJobsAutoConfiguration;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.runtime.JobOrchestrator;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code quarkJobs} health indicator.
 */
@AutoConfiguration(after = QuarkJobsAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class, JobQueue.class })
@ConditionalOnBean(JobQueue.class)
@ConditionalOnEnabledHealthIndicator("quark-jobs")
public final class QuarkJobsHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "quarkJobsHealthIndicator")
    JobQueueHealthIndicator quarkJobsHealthIndicator(JobQueue queue, ObjectProvider<JobOrchestrator> orchestrator) {
        return new JobQueueHealthIndicator(queue, orchestrator.getIfUnique());
    }
}
