package dev.quark.autoconfigure.durabletasks;

import java.time.Duration;
import java.util.List;

import javax.sql.DataSource;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkChangelogRunner;
import dev.quark.autoconfigure.durabletasks.QuarkDurableTasksAutoConfigurationTests.OrderOrchestration;
import dev.quark.autoconfigure.durabletasks.QuarkDurableTasksAutoConfigurationTests.Orders;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.durabletasks.DurableTaskClient;
import dev.quark.durabletasks.OrchestrationState;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.jdbc.JdbcDurableTaskStore;
import dev.quark.durabletasks.store.jdbc.PostgresDurableTaskWakeUps;
import dev.quark.jdbc.PostgresNotificationSender;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Durable tasks on PostgreSQL as an application gets them: Spring Boot's DataSource, the shared changelog runner
 * creating the lease and durable-task tables, and an orchestration run to completion by the worker, in a schema of
 * the test's own.
 */
class PostgresDurableTasksIntegrationTests {

    @Test
    void onPostgresTheTablesAreCreatedAndAnOrchestrationRunsToCompletion() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(PostgresDurableTasksIntegrationTests.class)) {
            new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, JacksonAutoConfiguration.class,
                        QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                        QuarkDurableTasksAutoConfiguration.class, QuarkDurableTasksWorkerAutoConfiguration.class))
                .withUserConfiguration(Orders.class)
                .withPropertyValues("quark.backend=postgres", "spring.datasource.url=" + schema.jdbcUrl(),
                        "quark.durabletasks.worker.poll-interval=100ms")
                .run((context) -> {
                    assertThat(context).hasNotFailed().hasSingleBean(QuarkChangelogRunner.class);
                    assertThat(context.getBean(DurableTaskStore.class)).isInstanceOf(JdbcDurableTaskStore.class);
                    assertThat(context.getBean("quarkJdbcLeaseStore")).isInstanceOf(JdbcLeaseStore.class);
                    List<String> tables = JdbcClient.create(context.getBean(DataSource.class))
                        .sql("select table_name from information_schema.tables where table_schema = current_schema() "
                                + "and table_name like 'quark_%' order by table_name")
                        .query(String.class)
                        .list();
                    assertThat(tables).contains("quark_lease", "quark_durable_instance", "quark_durable_history",
                            "quark_durable_message", "quark_durable_activity");
                    DurableTaskClient client = context.getBean(DurableTaskClient.class);
                    OrchestrationState state = client.waitForCompletion(client.schedule(OrderOrchestration.class, 4),
                            Duration.ofSeconds(30));
                    assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
                    assertThat(state.readOutput(String.class)).isEqualTo("4 items cost 40 (EUR)");
                });
        }
    }

    private static ApplicationContextRunner contextRunner(PostgresTestSchema schema) {
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, JacksonAutoConfiguration.class,
                    QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                    QuarkDurableTasksAutoConfiguration.class, QuarkDurableTasksWorkerAutoConfiguration.class))
            .withUserConfiguration(Orders.class)
            .withPropertyValues("quark.backend=postgres", "spring.datasource.url=" + schema.jdbcUrl());
    }

    @Test
    void anInstanceScheduledOnANodeWithoutAWorkerWakesAnotherNodesWorkerAtOnceByDefault() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(PostgresDurableTasksIntegrationTests.class)) {
            contextRunner(schema).withPropertyValues("quark.durabletasks.worker.poll-interval=30s").run((consumer) -> {
                assertThat(consumer).hasNotFailed().hasSingleBean(PostgresNotificationSender.class);
                assertThat(consumer.getBean(JdbcDurableTaskStore.class).notifying()).isTrue();
                PostgresDurableTaskWakeUps wakeUps = consumer.getBean(DurableTaskWorkerLifecycle.class)
                    .wakeUps(PostgresDurableTaskWakeUps.class);
                assertThat(wakeUps).isNotNull().returns(true, PostgresDurableTaskWakeUps::isRunning);
                contextRunner(schema).withPropertyValues("quark.durabletasks.worker.enabled=false").run((producer) -> {
                    assertThat(producer).hasNotFailed().doesNotHaveBean(DurableTaskWorkerLifecycle.class);
                    DurableTaskClient client = producer.getBean(DurableTaskClient.class);
                    String id = client.schedule(OrderOrchestration.class, 2);
                    OrchestrationState state = client.waitForCompletion(id, Duration.ofSeconds(5));
                    assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
                    assertThat(producer.getBean(PostgresNotificationSender.class).sent()).isPositive();
                });
            });
        }
    }

    @Test
    void notificationsTurnedOffSendNothingAndNoConnectionListens() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(PostgresDurableTasksIntegrationTests.class)) {
            contextRunner(schema).withPropertyValues("quark.durabletasks.postgres.notify-enabled=false")
                .run((context) -> {
                    assertThat(context).hasNotFailed().doesNotHaveBean(PostgresNotificationSender.class);
                    assertThat(context.getBean(JdbcDurableTaskStore.class).notifying()).isFalse();
                    assertThat(context.getBean(DurableTaskWorkerLifecycle.class)
                        .wakeUps(PostgresDurableTaskWakeUps.class)).isNull();
                });
        }
    }
}
