package dev.quark.durabletasks.store.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.quark.durabletasks.OrchestrationState;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.ScheduleOptions;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.redis.RedisLeaseStore;
import dev.quark.testkit.durabletasks.OrchestrationContractTests;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Orchestrations on Redis, with their leases on the same server: leases expire on the server's clock, so a crashed
 * worker's work is taken over after a real wait of the lease duration.
 */
class RedisOrchestrationTests extends OrchestrationContractTests {

    /** Per instance: two instances together hold more than the 10,000 messages a look for due work reads. */
    private static final int PILED_UP_EVENTS = 5_001;

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static RedisDurableTaskStore store;

    @BeforeAll
    static void connect() {
        RedisTestServer server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisOrchestrationTests.class);
        connectionFactory = RedisTestConnections.connect(server);
        store = new RedisDurableTaskStore(connectionFactory, prefix);
    }

    @AfterAll
    static void disconnect() {
        if (prefix != null) {
            RedisTestServer.get().deleteKeys(prefix);
        }
        if (connectionFactory != null) {
            connectionFactory.destroy();
        }
    }

    @Test
    void eventsPilingUpOnASuspendedOrADelayedInstanceDoNotHoldUpOthers() throws Exception {
        Node node = node("node-a", approvals());
        String suspended = node.client().schedule("approval", "a", ScheduleOptions.instanceId(newInstanceId("parked")));
        node.run();
        node.client().suspend(suspended, "audit");
        node.run();
        String delayed = node.client().schedule("approval", "c", ScheduleOptions.instanceId(newInstanceId("delayed"))
            .withStartAt(this.clock.instant().plus(Duration.ofHours(1))));
        try (ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < PILED_UP_EVENTS; i++) {
                sent.add(senders.submit(() -> node.client().raiseEvent(suspended, "noise", "x")));
                sent.add(senders.submit(() -> node.client().raiseEvent(delayed, "noise", "x")));
            }
            for (Future<?> send : sent) {
                send.get(1, TimeUnit.MINUTES);
            }
        }
        node.advance(Duration.ofSeconds(1));
        String other = node.client().schedule("approval", "b", ScheduleOptions.instanceId(newInstanceId("other")));
        node.client().raiseEvent(other, "approved", new Approval("bob"));
        node.run();
        OrchestrationState state = node.client().getState(other).orElseThrow();
        assertThat(state.status()).isEqualTo(OrchestrationStatus.COMPLETED);
        assertThat(state.readOutput(String.class)).isEqualTo("b approved by bob");
        assertThat(node.client().getState(suspended).orElseThrow().status()).isEqualTo(OrchestrationStatus.SUSPENDED);
        node.client().resume(suspended, null);
        node.client().raiseEvent(suspended, "approved", new Approval("ann"));
        node.run();
        assertThat(node.client().getState(suspended).orElseThrow().readOutput(String.class)).isEqualTo("a approved by ann");
    }

    @Override
    protected DurableTaskStore store() {
        return store;
    }

    @Override
    protected LeaseStore leaseStore(Clock clock) {
        return new RedisLeaseStore(connectionFactory, prefix, clock);
    }

    @Override
    protected Duration leaseDuration() {
        return Duration.ofSeconds(5);
    }

    @Override
    protected void awaitExpiry(String resource) {
        LeaseStore leases = leaseStore(Clock.systemUTC());
        await("expiry of the lease on " + resource).atMost(leaseDuration().plusSeconds(15))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> leases.holder(resource).isEmpty());
    }
}
