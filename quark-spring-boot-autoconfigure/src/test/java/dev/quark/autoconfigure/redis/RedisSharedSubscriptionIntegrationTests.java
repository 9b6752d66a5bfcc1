package dev.quark.autoconfigure.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.cluster.QuarkClusterAutoConfiguration;
import dev.quark.autoconfigure.durabletasks.QuarkDurableTasksAutoConfiguration;
import dev.quark.autoconfigure.durabletasks.QuarkDurableTasksWorkerAutoConfiguration;
import dev.quark.autoconfigure.durabletasks.RedisDurableTaskWakeUpsBeans;
import dev.quark.autoconfigure.jobs.QuarkJobsAutoConfiguration;
import dev.quark.autoconfigure.jobs.QuarkJobsRedisNotificationsAutoConfiguration;
import dev.quark.autoconfigure.jobs.RedisJobWakeUpsBeans;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.reminders.QuarkRemindersAutoConfiguration;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipState;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.redis.RedisMembershipProvider;
import dev.quark.durabletasks.Activity;
import dev.quark.durabletasks.ActivityContext;
import dev.quark.durabletasks.store.redis.RedisDurableTaskStore;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.store.redis.RedisJobStore;
import dev.quark.testkit.server.RedisTestServer;
import io.lettuce.core.KillArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.types.RedisClientInfo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A node running jobs, durable tasks and a cluster silo, all on Redis, as an application gets them: their
 * subscriptions (the jobs' and durable tasks' wake-ups, the membership's watch) share one subscribed connection of the
 * connection factory ({@code QuarkRedisSubscriptionsAutoConfiguration}). The connections are told apart by the client
 * name the test gives the factory ({@code spring.data.redis.client-name}).
 */
class RedisSharedSubscriptionIntegrationTests {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private static ApplicationContextRunner contextRunner(RedisTestServer server, String prefix, String clientName) {
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, JacksonAutoConfiguration.class,
                    QuarkActorsAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                    QuarkLeasesAutoConfiguration.class, QuarkRemindersAutoConfiguration.class,
                    QuarkClusterAutoConfiguration.class, QuarkJobsAutoConfiguration.class,
                    QuarkJobsRedisNotificationsAutoConfiguration.class, QuarkDurableTasksAutoConfiguration.class,
                    QuarkDurableTasksWorkerAutoConfiguration.class, QuarkRedisSubscriptionsAutoConfiguration.class))
            .withBean("echo", JobHandler.class, () -> JobHandler.of("echo", String.class, (payload, context) -> {
            }))
            .withBean("upper", Activity.class, Upper::new)
            .withPropertyValues("quark.backend=redis", "quark.redis.key-prefix=" + prefix, "quark.cluster.enabled=true",
                    "quark.cluster.name=shared-" + Long.toHexString(System.nanoTime()), "quark.cluster.silo.id=shared",
                    "quark.jobs.poll-interval=30s", "quark.durabletasks.worker.poll-interval=30s",
                    "spring.data.redis.client-name=" + clientName, "spring.data.redis.host=" + server.host(),
                    "spring.data.redis.port=" + server.port(), "spring.data.redis.timeout=2s",
                    "spring.data.redis.password=" + ((server.password() != null) ? server.password() : ""));
    }

    /** Runs the test on a node whose three areas subscribed, and deletes the node's keys afterwards. */
    private static void onANodeOfThreeAreas(NodeTest test) {
        RedisTestServer server = RedisTestServer.get();
        String prefix = server.uniqueKeyPrefix(RedisSharedSubscriptionIntegrationTests.class);
        String clientName = "quark-shared-subs-" + Long.toHexString(System.nanoTime());
        try {
            contextRunner(server, prefix, clientName).run((context) -> {
                assertThat(context).hasNotFailed();
                await("the silo joined, its membership watch subscribed").atMost(WAIT)
                    .until(() -> context.getBean(SiloMembership.class).state() == MembershipState.ACTIVE);
                Node node = new Node(context, clientName);
                await("the jobs' and durable tasks' wake-ups subscribed").atMost(WAIT)
                    .until(() -> node.jobsSubscriptions() > 0 && node.durableTaskSubscriptions() > 0);
                test.run(node);
            });
        }
        finally {
            server.deleteKeys(prefix);
        }
    }

    /**
     * A membership table read from replicas would show versions the table has left: an application whose Lettuce
     * factory reads from replicas fails at start, told which setting to change.
     */
    @Test
    void aSiloWhoseConnectionFactoryReadsFromReplicasFailsAtStartNamingTheSetting() {
        RedisTestServer server = RedisTestServer.get();
        contextRunner(server, server.uniqueKeyPrefix(RedisSharedSubscriptionIntegrationTests.class), "quark-read-from")
            .withPropertyValues("spring.data.redis.lettuce.read-from=replica-preferred")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must read from the Redis primary")
                .hasMessageContaining("reads from ReplicaPreferred")
                .hasMessageContaining("spring.data.redis.lettuce.read-from"));
    }

    @Test
    void aNodeWithJobsDurableTasksAndMembershipOnRedisHoldsOneSubscribedConnection() {
        onANodeOfThreeAreas((node) -> {
            assertThat(node.subscribedConnections()).as("the node's subscribed connections").hasSize(1);
            assertThat(node.subscribedConnections().getFirst().get("sub")).as("its channels").isEqualTo("3");
            assertThat(node.subscribers(node.jobsChannel())).isEqualTo(1);
            assertThat(node.subscribers(node.durableTasksChannel())).isEqualTo(1);
            assertThat(node.subscribers(node.membershipChannel())).isEqualTo(1);
        });
    }

    @Test
    void aKilledSubscriptionConnectionIsSubscribedAgainAndEveryAreaIsToldItMayHaveMissedNotices() {
        onANodeOfThreeAreas((node) -> {
            AtomicInteger membershipHints = new AtomicInteger();
            try (MembershipProvider.Watch watch = node.context.getBean(MembershipProvider.class)
                .watch(membershipHints::incrementAndGet)) {
                int jobs = node.jobsSubscriptions();
                int durableTasks = node.durableTaskSubscriptions();
                assertThat(node.subscribedConnections()).hasSize(1);
                node.killSubscribedConnections();
                await("the jobs polled once after subscribing again").atMost(WAIT)
                    .until(() -> node.jobsSubscriptions() > jobs);
                await("the durable tasks polled once after subscribing again").atMost(WAIT)
                    .until(() -> node.durableTaskSubscriptions() > durableTasks);
                await("the membership watch told after subscribing again").atMost(WAIT)
                    .until(() -> membershipHints.get() > 0);
                assertThat(node.subscribedConnections()).as("still one connection").hasSize(1);
                assertThat(node.subscribers(node.jobsChannel())).isEqualTo(1);
                assertThat(node.subscribers(node.durableTasksChannel())).isEqualTo(1);
                assertThat(node.subscribers(node.membershipChannel())).isEqualTo(1);
            }
        });
    }

    @Test
    void stoppingOneAreaLeavesTheOthersSubscribedOnTheSameConnection() {
        onANodeOfThreeAreas((node) -> {
            node.jobsLifecycle().stop();
            await("the jobs' channel un-subscribed").atMost(WAIT).until(() -> node.subscribers(node.jobsChannel()) == 0);
            assertThat(node.subscribers(node.durableTasksChannel())).isEqualTo(1);
            assertThat(node.subscribers(node.membershipChannel())).isEqualTo(1);
            assertThat(node.subscribedConnections()).hasSize(1);
            assertThat(node.subscribedConnections().getFirst().get("sub")).isEqualTo("2");
        });
    }

    @FunctionalInterface
    private interface NodeTest {

        void run(Node node) throws Exception;
    }

    /** What the test looks at of a node. */
    private record Node(AssertableApplicationContext context, String clientName) {

        int jobsSubscriptions() {
            return RedisJobWakeUpsBeans.wakeUps(this.context).subscriptions();
        }

        int durableTaskSubscriptions() {
            return RedisDurableTaskWakeUpsBeans.wakeUps(this.context).subscriptions();
        }

        SmartLifecycle jobsLifecycle() {
            return RedisJobWakeUpsBeans.lifecycle(this.context);
        }

        String jobsChannel() {
            return this.context.getBean(RedisJobStore.class).channel();
        }

        String durableTasksChannel() {
            return this.context.getBean(RedisDurableTaskStore.class).channel();
        }

        String membershipChannel() {
            return this.context.getBean(RedisMembershipProvider.class).channel();
        }

        List<RedisClientInfo> subscribedConnections() {
            try (RedisConnection connection = this.context.getBean(RedisConnectionFactory.class).getConnection()) {
                return connection.serverCommands()
                    .getClientList()
                    .stream()
                    .filter((client) -> this.clientName.equals(client.getName()))
                    .filter((client) -> {
                        String subscribed = client.get("sub");
                        return subscribed != null && Long.parseLong(subscribed) > 0;
                    })
                    .toList();
            }
        }

        @SuppressWarnings("unchecked")
        void killSubscribedConnections() throws Exception {
            try (RedisConnection connection = this.context.getBean(RedisConnectionFactory.class).getConnection()) {
                // CLIENT KILL ID replies with an integer, which the generic execute cannot read.
                RedisAsyncCommands<byte[], byte[]> commands = (RedisAsyncCommands<byte[], byte[]>) connection
                    .getNativeConnection();
                for (RedisClientInfo client : subscribedConnections()) {
                    commands.clientKill(KillArgs.Builder.id(Long.parseLong(client.get("id"))))
                        .get(10, TimeUnit.SECONDS);
                }
            }
        }

        @SuppressWarnings("unchecked")
        long subscribers(String channel) throws Exception {
            try (RedisConnection connection = this.context.getBean(RedisConnectionFactory.class).getConnection()) {
                RedisAsyncCommands<byte[], byte[]> commands = (RedisAsyncCommands<byte[], byte[]>) connection
                    .getNativeConnection();
                return commands.pubsubNumsub(channel.getBytes(StandardCharsets.UTF_8))
                    .get(10, TimeUnit.SECONDS)
                    .values()
                    .iterator()
                    .next();
            }
        }
    }

    /** An activity, so that the durable-task worker has work and runs. */
    static class Upper implements Activity<String, String> {

        @Override
        public String execute(ActivityContext context, String input) {
            return input.toUpperCase(java.util.Locale.ROOT);
        }
    }
}
