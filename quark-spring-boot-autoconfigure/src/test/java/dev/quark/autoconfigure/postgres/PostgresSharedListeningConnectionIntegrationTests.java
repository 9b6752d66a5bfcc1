package dev.quark.autoconfigure.postgres;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.cluster.QuarkClusterAutoConfiguration;
import dev.quark.autoconfigure.durabletasks.QuarkDurableTasksAutoConfiguration;
import dev.quark.autoconfigure.durabletasks.QuarkDurableTasksWorkerAutoConfiguration;
import dev.quark.autoconfigure.jobs.QuarkJobsAutoConfiguration;
import dev.quark.autoconfigure.jobs.QuarkJobsPostgresNotificationsAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.state.QuarkStateAutoConfiguration;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.durabletasks.Activity;
import dev.quark.durabletasks.ActivityContext;
import dev.quark.durabletasks.DurableTaskClient;
import dev.quark.durabletasks.Orchestration;
import dev.quark.durabletasks.OrchestrationContext;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.TaskName;
import dev.quark.durabletasks.store.jdbc.JdbcDurableTaskStore;
import dev.quark.jdbc.PostgresNotificationListener;
import dev.quark.jdbc.PostgresNotificationListeners;
import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.JobType;
import dev.quark.jobs.store.jdbc.JdbcJobStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcClientAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Scope;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A node with the cluster membership, job workers and a durable-task worker on one PostgreSQL data source holds one
 * listening connection for the three, and each still wakes at once (the polls are 30 s and more, the waits 5 s):
 * when another node enqueues a job or schedules an orchestration, and when the membership table changes; also after
 * one area stopped listening, and after the shared connection was terminated.
 */
class PostgresSharedListeningConnectionIntegrationTests {

    private static final Duration AT_ONCE = Duration.ofSeconds(5);

    private static final String CLUSTER = "shared-listen";

    private static ApplicationContextRunner contextRunner(PostgresTestSchema schema) {
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                    DataSourceTransactionManagerAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                    JdbcClientAutoConfiguration.class, JacksonAutoConfiguration.class,
                    QuarkBackendAutoConfiguration.class, QuarkPostgresNotificationsAutoConfiguration.class,
                    QuarkActorsAutoConfiguration.class, QuarkStateAutoConfiguration.class,
                    QuarkClusterAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                    QuarkJobsAutoConfiguration.class, QuarkJobsPostgresNotificationsAutoConfiguration.class,
                    QuarkDurableTasksAutoConfiguration.class, QuarkDurableTasksWorkerAutoConfiguration.class))
            .withUserConfiguration(Work.class)
            .withPropertyValues("quark.backend=postgres", "quark.persistence.backend=memory",
                    "spring.datasource.url=" + schema.jdbcUrl(), "spring.datasource.hikari.maximum-pool-size=8",
                    "quark.jobs.poll-interval=30s", "quark.durabletasks.worker.poll-interval=30s");
    }

    private static ApplicationContextRunner node(PostgresTestSchema schema) {
        return contextRunner(schema).withPropertyValues("quark.cluster.enabled=true", "quark.cluster.name=" + CLUSTER,
                "quark.cluster.silo.id=listening", "quark.cluster.table-refresh-interval=10m",
                "quark.cluster.leave-timeout=10s");
    }

    private static ApplicationContextRunner producer(PostgresTestSchema schema) {
        return contextRunner(schema).withPropertyValues("quark.jobs.workers=0",
                "quark.durabletasks.worker.enabled=false");
    }

    @Test
    void membershipJobsAndDurableTasksOnOneDataSourceShareOneListeningConnectionAndEachWakesAtOnce() {
        try (PostgresTestSchema schema = PostgresTestServer.get()
            .createSchema(PostgresSharedListeningConnectionIntegrationTests.class)) {
            node(schema).run((node) -> producer(schema).run((producer) -> {
                assertThat(node).hasNotFailed();
                assertThat(producer).hasNotFailed();
                assertThat(producer.getBean(PostgresNotificationListeners.class).listeners())
                    .as("a node without listening areas holds no listening connection").isEmpty();
                PostgresNotificationListener shared = sharedListener(node);
                String membership = "quark_membership";
                String jobs = node.getBean(JdbcJobStore.class).channel();
                String tasks = node.getBean(JdbcDurableTaskStore.class).channel();
                assertThat(shared.channels()).containsExactlyInAnyOrder(membership, jobs, tasks);
                HikariDataSource pool = node.getBean(HikariDataSource.class);
                await("one connection held").atMost(AT_ONCE)
                    .until(() -> pool.getHikariPoolMXBean().getActiveConnections() == 1);
                int pid = shared.connectionPid().orElseThrow();
                JdbcClient sql = JdbcClient.create(pool);
                assertThat(sql.sql("select count(*) from pg_stat_activity where pid = ? and datname = "
                        + "current_database()").param(pid).query(Long.class).single()).isOne();

                jobWakesAtOnce(node, producer, "first");
                orchestrationWakesAtOnce(producer, 1);
                membershipWakesAtOnce(node, sql);

                SmartLifecycle jobWakeUps = node.getBean("quarkJobWakeUpsLifecycle", SmartLifecycle.class);
                jobWakeUps.stop();
                await("the jobs' channel un-listened").atMost(AT_ONCE).until(() -> !shared.channels().contains(jobs));
                assertThat(shared.channels()).containsExactlyInAnyOrder(membership, tasks);
                assertThat(shared.connectionPid()).as("the others keep the connection").hasValue(pid);
                orchestrationWakesAtOnce(producer, 2);
                membershipWakesAtOnce(node, sql);
                jobWakeUps.start();
                jobWakesAtOnce(node, producer, "second");

                assertThat(sql.sql("select pg_terminate_backend(?)").param(pid).query(Boolean.class).single()).isTrue();
                await("listening again").atMost(AT_ONCE)
                    .until(() -> shared.connectionPid().isPresent() && shared.connectionPid().getAsInt() != pid);
                assertThat(sharedListener(node)).isSameAs(shared);
                jobWakesAtOnce(node, producer, "third");
                orchestrationWakesAtOnce(producer, 3);
                membershipWakesAtOnce(node, sql);
                // The listening connection and at most one other: a poll or a heartbeat holds one for moments, so a
                // single reading may catch a third (it did once in CI, 2026-12-06); waited for, not read once.
                await("the listening connection and at most one other").atMost(AT_ONCE)
                    .until(() -> pool.getHikariPoolMXBean().getActiveConnections() <= 2);
            }));
        }
    }

    private static PostgresNotificationListener sharedListener(AssertableApplicationContext node) {
        List<PostgresNotificationListener> listeners = node.getBean(PostgresNotificationListeners.class).listeners();
        assertThat(listeners).as("one listening connection for the three areas").hasSize(1);
        return listeners.get(0);
    }

    private static void jobWakesAtOnce(AssertableApplicationContext node, AssertableApplicationContext producer,
            String parcel) {
        producer.getBean(JobQueue.class).enqueue("parcel", parcel);
        await("job " + parcel).atMost(AT_ONCE).until(() -> node.getBean(Parcels.class).handled.contains(parcel));
    }

    private static void orchestrationWakesAtOnce(AssertableApplicationContext producer, int items)
            throws TimeoutException, InterruptedException {
        DurableTaskClient client = producer.getBean(DurableTaskClient.class);
        String id = client.schedule(Count.class, items);
        assertThat(client.waitForCompletion(id, AT_ONCE).status()).isEqualTo(OrchestrationStatus.COMPLETED);
    }

    /** A new version of the membership table (as another silo's write makes) is read at once, not at the 10 m poll. */
    private static void membershipWakesAtOnce(AssertableApplicationContext node, JdbcClient sql) {
        SiloMembership membership = node.getBean(SiloMembership.class);
        long before = membership.current().version();
        sql.sql("update quark_membership_version set version = version + 1 where cluster_name = ?")
            .param(CLUSTER)
            .update();
        sql.sql("select pg_notify('quark_membership', ?)").param(CLUSTER).query((row) -> { });
        await("membership").atMost(AT_ONCE).until(() -> membership.current().version() > before);
    }

    @Configuration(proxyBeanMethods = false)
    static class Work {

        @Bean
        Parcels parcels() {
            return new Parcels();
        }

        @Bean
        @Scope(ConfigurableBeanFactory.SCOPE_PROTOTYPE)
        Count count() {
            return new Count();
        }

        @Bean
        Twice twiceActivity() {
            return new Twice();
        }
    }

    @JobType("parcel")
    static class Parcels implements JobHandler<String> {

        final List<String> handled = new CopyOnWriteArrayList<>();

        @Override
        public void handle(String parcel, JobContext context) {
            this.handled.add(parcel);
        }
    }

    @TaskName("count")
    static class Count implements Orchestration<Integer, Integer> {

        @Override
        public Integer run(OrchestrationContext ctx, Integer items) {
            return ctx.callActivity(Twice.class, items).await();
        }
    }

    static class Twice implements Activity<Integer, Integer> {

        @Override
        public Integer execute(ActivityContext context, Integer items) {
            return items * 2;
        }
    }
}
