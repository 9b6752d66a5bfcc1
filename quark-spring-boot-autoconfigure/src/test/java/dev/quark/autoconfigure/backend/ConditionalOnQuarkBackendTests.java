package dev.quark.autoconfigure.backend;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.condition.ConditionEvaluationReport;
import org.springframework.boot.autoconfigure.condition.ConditionEvaluationReport.ConditionAndOutcome;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

class ConditionalOnQuarkBackendTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withUserConfiguration(AreaBeans.class);

    @Test
    void withNothingSetEveryAreaMatchesMemoryOnly() {
        this.contextRunner.run((context) -> assertThat(context.getBeansOfType(OnBackend.class).values())
            .containsExactlyInAnyOrder(new OnBackend("jobs", QuarkBackend.MEMORY),
                    new OnBackend("cluster.membership", QuarkBackend.MEMORY), new OnBackend("state", QuarkBackend.MEMORY)));
    }

    @Test
    void eachAreaMatchesItsOwnBackendOrQuarkBackend() {
        this.contextRunner
            .withPropertyValues("quark.backend=redis", "quark.jobs.backend=postgres", "quark.persistence.backend=memory")
            .run((context) -> assertThat(context.getBeansOfType(OnBackend.class).values()).containsExactlyInAnyOrder(
                    new OnBackend("jobs", QuarkBackend.POSTGRES), new OnBackend("cluster.membership", QuarkBackend.REDIS),
                    new OnBackend("state", QuarkBackend.MEMORY)));
    }

    @Test
    void theStateAreaMatchesEveryBackendOneOfItsStoresUses() {
        this.contextRunner.withPropertyValues("quark.persistence.stores.audit.backend=redis")
            .run((context) -> assertThat(context.getBeansOfType(OnBackend.class).values())
                .contains(new OnBackend("state", QuarkBackend.MEMORY), new OnBackend("state", QuarkBackend.REDIS))
                .doesNotContain(new OnBackend("jobs", QuarkBackend.REDIS)));
    }

    @Test
    void theConditionsReportSaysWhichPropertyChoseTheBackend() {
        this.contextRunner.withPropertyValues("quark.backend=redis", "quark.jobs.backend=memory").run((context) -> {
            assertThat(messages(context)).contains(
                    "@ConditionalOnQuarkBackend (area=jobs, backend=memory) Quark's 'jobs' area uses quark.jobs.backend=memory",
                    "@ConditionalOnQuarkBackend (area=jobs, backend=redis) Quark's 'jobs' area uses quark.jobs.backend=memory",
                    "@ConditionalOnQuarkBackend (area=cluster.membership, backend=redis) Quark's 'cluster.membership' "
                            + "area uses quark.backend=redis");
        });
    }

    @Test
    void aValueNamingNoBackendFailsStartupNamingThePropertyAndTheValue() {
        this.contextRunner.withPropertyValues("quark.cluster.membership.backend=zookeeper").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessage("Property quark.cluster.membership.backend with value 'zookeeper' is invalid: must be one of "
                        + "memory, redis, postgres");
        });
    }

    @Test
    void anAreaOnMemoryNeedsNoBackendLibrary() {
        this.contextRunner.withPropertyValues("quark.backend=redis", "quark.jobs.backend=memory",
                "quark.cluster.membership.backend=memory", "quark.persistence.backend=memory")
            .withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
            .run((context) -> assertThat(context).hasNotFailed());
    }

    private static List<String> messages(ConfigurableApplicationContext context) {
        return ConditionEvaluationReport.get(context.getBeanFactory())
            .getConditionAndOutcomesBySource()
            .values()
            .stream()
            .flatMap((outcomes) -> outcomes.stream())
            .map(ConditionAndOutcome::getOutcome)
            .map((outcome) -> outcome.getMessage())
            .toList();
    }

    record OnBackend(String area, QuarkBackend backend) {
    }

    @Configuration(proxyBeanMethods = false)
    static class AreaBeans {

        @Bean
        @ConditionalOnQuarkBackend(area = "jobs", backend = QuarkBackend.MEMORY)
        OnBackend jobsOnMemory() {
            return new OnBackend("jobs", QuarkBackend.MEMORY);
        }

        @Bean
        @ConditionalOnQuarkBackend(area = "jobs", backend = QuarkBackend.REDIS)
        OnBackend jobsOnRedis() {
            return new OnBackend("jobs", QuarkBackend.REDIS);
        }

        @Bean
        @ConditionalOnQuarkBackend(area = "jobs", backend = QuarkBackend.POSTGRES)
        OnBackend jobsOnPostgres() {
            return new OnBackend("jobs", QuarkBackend.POSTGRES);
        }

        @Bean
        @ConditionalOnQuarkBackend(area = "cluster.membership", backend = QuarkBackend.MEMORY)
        OnBackend membershipOnMemory() {
            return new OnBackend("cluster.membership", QuarkBackend.MEMORY);
        }

        @Bean
        @ConditionalOnQuarkBackend(area = "cluster.membership", backend = QuarkBackend.REDIS)
        OnBackend membershipOnRedis() {
            return new OnBackend("cluster.membership", QuarkBackend.REDIS);
        }

        @Bean
        @ConditionalOnQuarkBackend(area = "state", backend = QuarkBackend.MEMORY)
        OnBackend stateOnMemory() {
            return new OnBackend("state", QuarkBackend.MEMORY);
        }

        @Bean
        @ConditionalOnQuarkBackend(area = "state", backend = QuarkBackend.REDIS)
        OnBackend stateOnRedis() {
            return new OnBackend("state", QuarkBackend.REDIS);
        }
    }
}
