package dev.quark.autoconfigure.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.sql.DataSource;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkChangelog;
import dev.quark.autoconfigure.health.JobQueueHealthIndicator;
import dev.quark.autoconfigure.health.QuarkJobsHealthContributorAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.jdbc.PostgresNotificationSender;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.JobWorkflow;
import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.WorkflowStatus;
import dev.quark.jobs.runtime.PostgresJobWakeUps;
import dev.quark.jobs.store.jdbc.JdbcJobStore;
import dev.quark.jobs.store.jdbc.JdbcRecurringJobStore;
import dev.quark.jobs.store.jdbc.JdbcWorkflowStore;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcClientAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Jobs on PostgreSQL as an application gets them: Spring Boot's DataSource, Quark's changelogs for the jobs and
 * leases tables, the queue joining the application's transactions, the orchestrator running the handlers.
 */
class PostgresJobsIntegrationTests {

    private static final String NOTIFY_OFF = "quark.jobs.postgres.notify-enabled=false";

    private ApplicationContextRunner contextRunner(PostgresTestSchema schema) {
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                    DataSourceTransactionManagerAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                    JdbcClientAutoConfiguration.class, JacksonAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                    QuarkLeasesAutoConfiguration.class, QuarkJobsAutoConfiguration.class,
                    QuarkJobsPostgresNotificationsAutoConfiguration.class,
                    QuarkJobsHealthContributorAutoConfiguration.class))
            .withUserConfiguration(ShippingApplication.class)
            .withPropertyValues("quark.backend=postgres", "quark.jobs.poll-interval=100ms",
                    "spring.datasource.url=" + schema.jdbcUrl(), "spring.datasource.hikari.maximum-pool-size=6");
    }

    @Test
    void jobsRunFromTheTablesQuarksChangelogsCreate() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(PostgresJobsIntegrationTests.class)) {
            contextRunner(schema).run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(JdbcJobStore.class)
                    .hasSingleBean(JdbcRecurringJobStore.class)
                    .hasBean("quarkJdbcLeaseStore");
                assertThat(context.getBean("quarkJdbcLeaseStore")).isInstanceOf(JdbcLeaseStore.class);
                assertThat(context.getBeansOfType(QuarkChangelog.class).values()).extracting(QuarkChangelog::area)
                    .containsExactlyInAnyOrder("jobs", "leases");
                JobQueue jobs = context.getBean(JobQueue.class);
                JobId id = jobs.enqueue("ship", new Shipment("parcel-1"));
                await().atMost(Duration.ofSeconds(20))
                    .until(() -> jobs.find(id).map(Job::status).orElseThrow() == JobStatus.SUCCEEDED);
                assertThat(context.getBean(ShipHandler.class).shipped).containsExactly("parcel-1");
                Health health = context.getBean(JobQueueHealthIndicator.class).health();
                assertThat(health.getStatus()).isEqualTo(Status.UP);
                assertThat(health.getDetails()).containsEntry("backlog", 0L).containsEntry("deadLetters", 0L);
            });
        }
    }

    @Test
    void aJobEnqueuedOnANodeWithoutWorkersWakesAnotherNodesWorkersAtOnceByDefault() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(PostgresJobsIntegrationTests.class)) {
            contextRunner(schema).withPropertyValues("quark.jobs.poll-interval=30s").run((consumer) -> {
                assertThat(consumer).hasNotFailed().hasSingleBean(JobWakeUpsLifecycle.class)
                    .hasSingleBean(PostgresNotificationSender.class);
                assertThat(consumer.getBean(JdbcJobStore.class).notifying()).isTrue();
                assertThat(consumer.getBean(JdbcRecurringJobStore.class).notifying()).isTrue();
                assertThat(consumer.getBean(JobWakeUpsLifecycle.class).wakeUps()).get()
                    .returns(true, PostgresJobWakeUps::isRunning);
                contextRunner(schema).withPropertyValues("quark.jobs.workers=0").run((producer) -> {
                    assertThat(producer).hasNotFailed().doesNotHaveBean(JobWakeUpsLifecycle.class);
                    PostgresNotificationSender sender = producer.getBean(PostgresNotificationSender.class);
                    JobId id = producer.getBean(JobQueue.class).enqueue("ship", new Shipment("parcel-3"));
                    await().atMost(Duration.ofSeconds(5))
                        .until(() -> consumer.getBean(ShipHandler.class).shipped.contains("parcel-3"));
                    assertThat(producer.getBean(JobQueue.class).find(id).map(Job::owner).orElseThrow()).isNotNull();
                    assertThat(sender.sent()).as("sent after commit by the node's sender").isEqualTo(1);
                });
            });
        }
    }

    @Test
    void notificationsTurnedOffSendNothingAndNoConnectionListens() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(PostgresJobsIntegrationTests.class)) {
            contextRunner(schema).withPropertyValues(NOTIFY_OFF).run((context) -> {
                assertThat(context).hasNotFailed().doesNotHaveBean(JobWakeUpsLifecycle.class)
                    .doesNotHaveBean(PostgresJobWakeUps.class)
                    .doesNotHaveBean(PostgresNotificationSender.class);
                assertThat(context.getBean(JdbcJobStore.class).notifying()).isFalse();
                assertThat(context.getBean(JdbcRecurringJobStore.class).notifying()).isFalse();
            });
        }
    }

    @Test
    void aStoreThatDoesNotNotifyGetsNoListeningConnectionEvenWithNotificationsOn() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(PostgresJobsIntegrationTests.class)) {
            contextRunner(schema).withUserConfiguration(SilentStoreApplication.class)
                .run((context) -> {
                    assertThat(context).hasNotFailed().hasSingleBean(JobWakeUpsLifecycle.class);
                    assertThat(context.getBean(JdbcJobStore.class).notifying()).isFalse();
                    assertThat(context.getBean(JobWakeUpsLifecycle.class).wakeUps()).isEmpty();
                });
        }
    }

    @Test
    void aNotifyValueThatIsNotABooleanFailsNamingTheProperty() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(PostgresJobsIntegrationTests.class)) {
            contextRunner(schema).withPropertyValues("quark.jobs.postgres.notify-enabled=sometimes")
                .run((context) -> assertThat(context).hasFailed()
                    .getFailure()
                    .hasStackTraceContaining("quark.jobs.postgres.notify-enabled"));
        }
    }

    @Test
    void jobsOnPostgresAloneClaimWithPostgresLeasesWithoutFurtherProperties() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(PostgresJobsIntegrationTests.class)) {
            contextRunner(schema).withPropertyValues("quark.backend=", "quark.jobs.backend=postgres").run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(JdbcJobStore.class);
                assertThat(context.getBean("quarkJdbcLeaseStore")).isInstanceOf(JdbcLeaseStore.class);
                assertThat(context.getBeansOfType(QuarkChangelog.class).values()).extracting(QuarkChangelog::area)
                    .containsExactlyInAnyOrder("jobs", "leases");
                JobQueue jobs = context.getBean(JobQueue.class);
                JobId id = jobs.enqueue("ship", new Shipment("parcel-2"));
                await().atMost(Duration.ofSeconds(20))
                    .until(() -> jobs.find(id).map(Job::status).orElseThrow() == JobStatus.SUCCEEDED);
            });
        }
    }

    @Test
    void explicitInMemoryLeasesForJobsOnPostgresAreRefusedNamingTheProperty() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(PostgresJobsIntegrationTests.class)) {
            contextRunner(schema).withPropertyValues("quark.leases.backend=memory")
                .run((context) -> assertThat(context).hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("leases in memory (quark.leases.backend=memory)")
                    .hasMessageContaining("set quark.leases.backend=postgres"));
        }
    }

    @Test
    void aJobEnqueuedInTheApplicationsTransactionExistsOnlyIfItCommits() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(PostgresJobsIntegrationTests.class)) {
            contextRunner(schema).withPropertyValues("quark.jobs.workers=0").run((context) -> {
                JdbcClient jdbc = context.getBean(JdbcClient.class);
                jdbc.sql("create table shipment (id text primary key)").update();
                TransactionTemplate transactions = new TransactionTemplate(
                        context.getBean(PlatformTransactionManager.class));
                JobQueue jobs = context.getBean(JobQueue.class);

                JobId committed = transactions.execute((status) -> {
                    jdbc.sql("insert into shipment (id) values ('parcel-2')").update();
                    return jobs.enqueue("ship", new Shipment("parcel-2"));
                });
                JobId rolledBack = transactions.execute((status) -> {
                    jdbc.sql("insert into shipment (id) values ('parcel-3')").update();
                    JobId id = jobs.enqueue("ship", new Shipment("parcel-3"));
                    status.setRollbackOnly();
                    return id;
                });
                assertThat(jobs.find(committed)).isPresent();
                assertThat(jobs.find(rolledBack)).isEmpty();
                assertThat(jdbc.sql("select id from shipment").query(String.class).list()).containsExactly("parcel-2");
            });
        }
    }

    @Test
    void aWorkflowEnqueuedInTheApplicationsTransactionExistsOnlyIfItCommitsAndThenRuns() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(PostgresJobsIntegrationTests.class)) {
            contextRunner(schema).run((context) -> {
                assertThat(context).hasSingleBean(JdbcWorkflowStore.class);
                TransactionTemplate transactions = new TransactionTemplate(
                        context.getBean(PlatformTransactionManager.class));
                JobQueue jobs = context.getBean(JobQueue.class);
                WorkflowId committed = transactions.execute((status) -> jobs.enqueue(shipping("kept")));
                WorkflowId rolledBack = transactions.execute((status) -> {
                    WorkflowId id = jobs.enqueue(shipping("dropped"));
                    status.setRollbackOnly();
                    return id;
                });
                assertThat(jobs.findWorkflow(rolledBack)).isEmpty();
                await().atMost(Duration.ofSeconds(20))
                    .until(() -> jobs.findWorkflow(committed).orElseThrow().status() == WorkflowStatus.SUCCEEDED);
                assertThat(context.getBean(ShipHandler.class).shipped).containsExactly("kept-pack", "kept-send");
            });
        }
    }

    private static JobWorkflow shipping(String parcel) {
        return JobWorkflow.builder("shipping-" + parcel)
            .step("pack", "ship", new Shipment(parcel + "-pack"))
            .step("send", "ship", new Shipment(parcel + "-send")).after("pack")
            .build();
    }

    @Configuration(proxyBeanMethods = false)
    static class ShippingApplication {

        @Bean
        ShipHandler shipHandler() {
            return new ShipHandler();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class SilentStoreApplication {

        @Bean
        JdbcJobStore silentJobStore(DataSource dataSource) {
            return new JdbcJobStore(dataSource, new TablePrefix(TablePrefix.DEFAULT), Clock.systemUTC(), null);
        }
    }

    record Shipment(String parcel) {
    }

    @dev.quark.jobs.JobType("ship")
    static class ShipHandler implements JobHandler<Shipment> {

        final List<String> shipped = new CopyOnWriteArrayList<>();

        @Override
        public void handle(Shipment shipment, JobContext context) {
            this.shipped.add(shipment.parcel());
        }
    }
}
