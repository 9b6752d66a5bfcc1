package dev.quark.autoconfigure.durabletasks;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.autoconfigure.backend.MissingBackendDependencyException;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.health.DurableTasksHealthIndicator;
import dev.quark.autoconfigure.health.QuarkDurableTasksHealthContributorAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.metrics.DurableTaskInstanceGauges;
import dev.quark.autoconfigure.metrics.MicrometerDurableTaskMetrics;
import dev.quark.autoconfigure.metrics.QuarkDurableTasksMetricsAutoConfiguration;
import dev.quark.durabletasks.Activity;
import dev.quark.durabletasks.ActivityContext;
import dev.quark.durabletasks.DurableTaskClient;
import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.Orchestration;
import dev.quark.durabletasks.OrchestrationContext;
import dev.quark.durabletasks.OrchestrationState;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.TaskName;
import dev.quark.durabletasks.UnknownOrchestrationException;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.memory.InMemoryDurableTaskStore;
import dev.quark.durabletasks.store.redis.RedisDurableTaskStore;
import dev.quark.durabletasks.internal.InstanceCache;
import dev.quark.durabletasks.worker.DurableTaskWorker;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Scope;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class QuarkDurableTasksAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                QuarkLeasesAutoConfiguration.class, QuarkDurableTasksAutoConfiguration.class,
                QuarkDurableTasksWorkerAutoConfiguration.class))
        .withPropertyValues("quark.durabletasks.worker.poll-interval=50ms");

    @Test
    void byDefaultDurableTasksRunInMemoryWithAWorkerStartedWithTheContext() {
        this.contextRunner.withUserConfiguration(Orders.class).run((context) -> {
            assertThat(context).hasSingleBean(DurableTaskClient.class)
                .hasSingleBean(DurableTaskWorker.class)
                .hasSingleBean(DurableTaskRegistry.class);
            assertThat(context.getBean(DurableTaskStore.class)).isInstanceOf(InMemoryDurableTaskStore.class)
                .isSameAs(context.getBean("quarkInMemoryDurableTaskStore"));
            assertThat(context.getBean("quarkInMemoryLeaseStore")).isInstanceOf(InMemoryLeaseStore.class);
            assertThat(context.getBean(DurableTaskWorker.class).isRunning()).isTrue();
            DurableTaskRegistry registry = context.getBean(DurableTaskRegistry.class);
            assertThat(registry.orchestrationNames()).containsExactly("order");
            assertThat(registry.activityNames()).containsExactly("Price");
        });
    }

    @Test
    void orchestrationBeansRunAsANewInstancePerStepAndActivityBeansAsTheyAre() {
        this.contextRunner.withUserConfiguration(Orders.class).run((context) -> {
            DurableTaskClient client = context.getBean(DurableTaskClient.class);
            String id = client.schedule(OrderOrchestration.class, 3);
            OrchestrationState state = client.waitForCompletion(id, Duration.ofSeconds(30));
            assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
            assertThat(state.readOutput(String.class)).isEqualTo("3 items cost 30 (EUR)");
            assertThat(OrderOrchestration.instances).hasValueGreaterThanOrEqualTo(2);
        });
    }

    @Test
    void withoutOrchestrationsOrActivitiesTheWorkerDoesNotPollAndTheClientSchedulesForWorkersElsewhere() {
        this.contextRunner.withConfiguration(AutoConfigurations.of(QuarkDurableTasksHealthContributorAutoConfiguration.class))
            .run((context) -> {
                assertThat(context.getBean(DurableTaskWorker.class).isRunning()).isFalse();
                DurableTaskClient client = context.getBean(DurableTaskClient.class);
                assertThat(client.getState(client.schedule("deployed-elsewhere", null)).orElseThrow().status())
                    .isEqualTo(OrchestrationStatus.PENDING);
                assertThat(context.getBean(DurableTasksHealthIndicator.class).health(true).getStatus())
                    .isEqualTo(Status.UP);
            });
    }

    @Test
    void theWorkerStopsWithTheContext() {
        this.contextRunner.withUserConfiguration(Orders.class).run((context) -> {
            DurableTaskWorker worker = context.getBean(DurableTaskWorker.class);
            context.stop();
            assertThat(worker.isRunning()).isFalse();
        });
    }

    @Test
    void aSingletonOrchestrationFailsStartupNamingTheBean() {
        this.contextRunner.withBean("sharedOrchestration", OrderOrchestration.class, OrderOrchestration::new)
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("Orchestration " + OrderOrchestration.class.getName() + " is the singleton bean "
                            + "'sharedOrchestration': orchestrations must be prototype beans, a new instance for every "
                            + "step, never shared. Annotate it @Scope(\"prototype\")");
            });
    }

    @Test
    void withoutAWorkerTheClientSchedulesAnyNameForWorkersElsewhere() {
        this.contextRunner.withUserConfiguration(Orders.class)
            .withPropertyValues("quark.durabletasks.worker.enabled=false")
            .run((context) -> {
                assertThat(context).doesNotHaveBean(DurableTaskWorker.class).hasSingleBean(DurableTaskClient.class);
                String id = context.getBean(DurableTaskClient.class).schedule("deployed-elsewhere", null);
                assertThat(context.getBean(DurableTaskClient.class).getState(id).orElseThrow().status())
                    .isEqualTo(OrchestrationStatus.PENDING);
            });
    }

    @Test
    void withAWorkerTheClientRefusesNamesItDoesNotRun() {
        this.contextRunner.withUserConfiguration(Orders.class).run((context) -> {
            DurableTaskClient client = context.getBean(DurableTaskClient.class);
            assertThatExceptionOfType(UnknownOrchestrationException.class)
                .isThrownBy(() -> client.schedule("deployed-elsewhere", null))
                .withMessageContaining("registered: [order]");
        });
    }

    @Test
    void durableTasksBackendOverridesQuarkBackend() {
        this.contextRunner
            .withPropertyValues("quark.backend=postgres", "quark.durabletasks.backend=memory", "quark.leases.backend=memory")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(DurableTaskStore.class)).isInstanceOf(InMemoryDurableTaskStore.class);
            });
    }

    @Test
    void onRedisTheStoreKeepsItsKeysUnderQuarksKeyPrefix() {
        LettuceConnectionFactory connectionFactory = new LettuceConnectionFactory();
        this.contextRunner.withBean(RedisConnectionFactory.class, () -> connectionFactory)
            .withPropertyValues("quark.durabletasks.backend=redis", "quark.redis.key-prefix=shop:",
                    "quark.durabletasks.worker.enabled=false")
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(DurableTaskClient.class);
                assertThat(context.getBean(DurableTaskStore.class)).isInstanceOf(RedisDurableTaskStore.class)
                    .isSameAs(context.getBean("quarkRedisDurableTaskStore"))
                    .hasToString("RedisDurableTaskStore[keys shop:{durabletasks}:*, notifying "
                            + "shop:{durabletasks}:work]");
            });
    }

    @Test
    void redisWithoutSpringDataRedisFailsNamingTheDependency() {
        this.contextRunner.withUserConfiguration(Orders.class)
            .withPropertyValues("quark.durabletasks.backend=redis")
            .withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(MissingBackendDependencyException.class)
                    .hasMessageContaining("Quark's 'durabletasks' area uses quark.durabletasks.backend=redis");
            });
    }

    @Test
    void aStoreOfTheApplicationReplacesQuarks() {
        InMemoryDurableTaskStore own = new InMemoryDurableTaskStore();
        this.contextRunner.withBean("myStore", DurableTaskStore.class, () -> own).run((context) -> {
            assertThat(context.getBean(DurableTaskStore.class)).isSameAs(own);
            assertThat(context).doesNotHaveBean("quarkInMemoryDurableTaskStore").hasSingleBean(DurableTaskClient.class);
        });
    }

    @Test
    void invalidPropertiesFailStartupNamingTheProperty() {
        this.contextRunner.withPropertyValues("quark.durabletasks.worker.poll-interval=0s").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("quark.durabletasks.worker.poll-interval");
        });
        this.contextRunner
            .withPropertyValues("quark.durabletasks.history.warn-events=100", "quark.durabletasks.history.max-events=50")
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .hasMessageContaining("quark.durabletasks.history.max-events")
                .hasMessageContaining("must be greater than quark.durabletasks.history.warn-events (100)"));
        this.contextRunner.withPropertyValues("quark.durabletasks.instance-cache-size=-1")
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("quark.durabletasks.instance-cache-size")
                .hasMessageContaining("-1")
                .hasMessageContaining("must not be negative"));
    }

    @Test
    void theInstanceCacheSizeDefaultsByJavaVersionUnlessSet() {
        this.contextRunner.run((context) -> assertThat(context.getBean(DurableTaskWorker.class).instanceCacheSize())
            .isEqualTo(InstanceCache.defaultCapacity(Runtime.version().feature())));
        this.contextRunner.withPropertyValues("quark.durabletasks.instance-cache-size=7")
            .run((context) -> assertThat(context.getBean(DurableTaskWorker.class).instanceCacheSize()).isEqualTo(7));
        this.contextRunner.withPropertyValues("quark.durabletasks.instance-cache-size=0")
            .run((context) -> assertThat(context.getBean(DurableTaskWorker.class).instanceCacheSize()).isZero());
    }

    @Test
    void healthIsUpWhileTheStoreAnswersAndTheWorkerRunsAndDownOnceItStopped() {
        this.contextRunner.withUserConfiguration(Orders.class)
            .withConfiguration(AutoConfigurations.of(QuarkDurableTasksHealthContributorAutoConfiguration.class))
            .run((context) -> {
                DurableTasksHealthIndicator indicator = context.getBean("quarkDurableTasksHealthIndicator",
                        DurableTasksHealthIndicator.class);
                Health health = indicator.health(true);
                assertThat(health.getStatus()).isEqualTo(Status.UP);
                assertThat(health.getDetails()).containsEntry("store", "InMemoryDurableTaskStore")
                    .containsKeys("worker", "activeWork");
                context.getBean(DurableTaskWorker.class).close();
                assertThat(indicator.health(true).getStatus()).isEqualTo(Status.DOWN);
            });
    }

    @Test
    void workersReportStepsActivitiesAndInstancesToMicrometer() {
        this.contextRunner.withUserConfiguration(Orders.class)
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withConfiguration(AutoConfigurations.of(QuarkDurableTasksMetricsAutoConfiguration.class))
            .run((context) -> {
                assertThat(context).hasSingleBean(MicrometerDurableTaskMetrics.class)
                    .hasSingleBean(DurableTaskInstanceGauges.class);
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                context.getBean(DurableTaskInstanceGauges.class).bindTo(registry);
                DurableTaskClient client = context.getBean(DurableTaskClient.class);
                client.waitForCompletion(client.schedule(OrderOrchestration.class, 1), Duration.ofSeconds(30));
                // a worker records a step or an attempt after writing it: the instance can complete first
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(registry.find(MicrometerDurableTaskMetrics.STEPS).tag("orchestration", "order")
                        .tag("status", "completed").timers()).singleElement()
                        .extracting((timer) -> timer.count()).isEqualTo(1L);
                    assertThat(registry.find(MicrometerDurableTaskMetrics.ACTIVITIES).tag("activity", "Price")
                        .tag("outcome", "completed").timers()).singleElement()
                        .extracting((timer) -> timer.count()).isEqualTo(1L);
                });
                assertThat(registry.get(MicrometerDurableTaskMetrics.REPLAY_EVENTS).summary().count()).isPositive();
                assertThat(registry.get(DurableTaskInstanceGauges.INSTANCES).tag("status", "completed").gauge().value())
                    .isEqualTo(1);
            });
    }

    @Configuration(proxyBeanMethods = false)
    static class Orders {

        @Bean
        @Scope(ConfigurableBeanFactory.SCOPE_PROTOTYPE)
        OrderOrchestration orderOrchestration() {
            return new OrderOrchestration();
        }

        @Bean
        Price price() {
            return new Price(Map.of("EUR", 10));
        }

        @Bean
        LeaseStore unrelatedLeaseStoreOfTheApplication() {
            return new InMemoryLeaseStore(Clock.systemUTC());
        }
    }

    @TaskName("order")
    static class OrderOrchestration implements Orchestration<Integer, String> {

        static final AtomicInteger instances = new AtomicInteger();

        OrderOrchestration() {
            instances.incrementAndGet();
        }

        @Override
        public String run(OrchestrationContext ctx, Integer items) {
            int cost = ctx.callActivity(Price.class, items).await();
            return items + " items cost " + cost + " (EUR)";
        }
    }

    static class Price implements Activity<Integer, Integer> {

        private final Map<String, Integer> unitPrices;

        Price(Map<String, Integer> unitPrices) {
            this.unitPrices = unitPrices;
        }

        @Override
        public Integer execute(ActivityContext context, Integer items) {
            return items * this.unitPrices.get("EUR");
        }
    }
}
