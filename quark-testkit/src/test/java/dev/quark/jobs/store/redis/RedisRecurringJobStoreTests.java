package dev.quark.jobs.store.redis;


import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.RecurringJobStore;
import dev.quark.testkit.jobs.RecurringJobStoreContractTests;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

class RedisRecurringJobStoreTests extends RecurringJobStoreContractTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static RedisRecurringJobStore store;

    private static RedisJobStore jobs;

    @BeforeAll
    static void connect() {
        RedisTestServer server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisRecurringJobStoreTests.class);
        connectionFactory = RedisTestConnections.connect(server);
        store = new RedisRecurringJobStore(connectionFactory, prefix);
        jobs = new RedisJobStore(connectionFactory, prefix);
    }

    @AfterAll
    static void disconnect() {
        if (connectionFactory != null) {
            RedisTestServer.get().deleteKeys(prefix);
            connectionFactory.destroy();
        }
    }

    @Override
    protected RecurringJobStore recurringStore() {
        return store;
    }

    @Override
    protected JobStore jobStore() {
        return jobs;
    }
}
