package dev.quark.autoconfigure.cluster;

import java.util.List;

import dev.quark.testkit.server.RedisTestServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.context.annotation.Configuration;

/**
 * Contexts of a cluster on one reminder table, and the bucket leases, on a real Redis
 * ({@code quark.reminders.backend=redis}).
 */
class RedisRemindersAcrossContextsIntegrationTests extends RemindersAcrossContextsScenarios {

    private static @Nullable RedisTestServer server;

    private static String prefix = "";

    @BeforeAll
    static void start() {
        RedisTestServer started = RedisTestServer.get();
        server = started;
        prefix = started.uniqueKeyPrefix(RedisRemindersAcrossContextsIntegrationTests.class);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.deleteKeys(prefix);
        }
    }

    @Override
    Class<?> backendConfiguration() {
        return RedisConfiguration.class;
    }

    @Override
    List<String> backendProperties() {
        RedisTestServer redis = server;
        if (redis == null) {
            throw new IllegalStateException("Redis test server not started");
        }
        return List.of("quark.reminders.backend=redis", "quark.redis.key-prefix=" + prefix,
                "spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port(),
                "spring.data.redis.password=" + orEmpty(redis.password()));
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(DataRedisAutoConfiguration.class)
    static class RedisConfiguration {

    }
}
