package dev.quark.jobs.store.redis;

import java.time.Clock;

import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.WorkflowStore;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.redis.RedisLeaseStore;
import dev.quark.testkit.jobs.WorkflowStoreContractTests;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

class RedisWorkflowStoreTests extends WorkflowStoreContractTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static RedisWorkflowStore store;

    private static RedisJobStore jobs;

    private static RedisLeaseStore leases;

    @BeforeAll
    static void connect() {
        RedisTestServer server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisWorkflowStoreTests.class);
        connectionFactory = RedisTestConnections.connect(server);
        store = new RedisWorkflowStore(connectionFactory, prefix);
        jobs = new RedisJobStore(connectionFactory, prefix);
        leases = new RedisLeaseStore(connectionFactory, prefix, Clock.systemUTC());
    }

    @AfterAll
    static void disconnect() {
        if (connectionFactory != null) {
            RedisTestServer.get().deleteKeys(prefix);
            connectionFactory.destroy();
        }
    }

    @Override
    protected WorkflowStore workflowStore() {
        return store;
    }

    @Override
    protected JobStore jobStore() {
        return jobs;
    }

    @Override
    protected LeaseStore leaseStore() {
        return leases;
    }
}
