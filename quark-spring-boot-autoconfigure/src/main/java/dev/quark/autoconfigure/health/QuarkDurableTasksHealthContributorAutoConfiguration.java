package dev.quark.autoconfigure.health;

import dev.quark.autoconfigure.durabletasks.QuarkDurableTasksWorkerAutoConfiguration;
import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.worker.DurableTaskWorker;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code quarkDurableTasks} health contributor.
 */
@AutoConfiguration(after = QuarkDurableTasksWorkerAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class, DurableTaskStore.class })
@ConditionalOnBean(DurableTaskStore.class)
@ConditionalOnEnabledHealthIndicator("quark-durabletasks")
public final class QuarkDurableTasksHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "quarkDurableTasksHealthIndicator")
    DurableTasksHealthIndicator quarkDurableTasksHealthIndicator(DurableTaskStore store,
            ObjectProvider<DurableTaskWorker> worker, DurableTaskRegistry registry) {
        return new DurableTasksHealthIndicator(store, worker.getIfAvailable(),
                !registry.orchestrationNames().isEmpty() || !registry.activityNames().isEmpty());
    }
}
