package dev.quark.autoconfigure.cluster;

import java.util.List;

import dev.quark.testkit.server.RedisClusterTestServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.context.annotation.Configuration;

/**
 * A cluster of contexts whose membership table is on a Redis Cluster of three masters
 * ({@code quark.cluster.membership.backend=redis}, {@code spring.data.redis.cluster.nodes}): the table's keys in the
 * slot of the cluster name's hash tag, the watches on {@code PUBLISH}, which every node of the Redis Cluster hears.
 */
class ClusterOfContextsOnARedisClusterIntegrationTests extends ClusterOfContextsScenarios {

    private static @Nullable RedisClusterTestServer cluster;

    private static String prefix = "";

    @BeforeAll
    static void start() {
        RedisClusterTestServer started = RedisClusterTestServer.get();
        cluster = started;
        prefix = started.uniqueKeyPrefix(ClusterOfContextsOnARedisClusterIntegrationTests.class);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.deleteKeys(prefix);
        }
    }

    @Override
    Class<?> backendConfiguration() {
        return RedisConfiguration.class;
    }

    @Override
    List<String> backendProperties() {
        RedisClusterTestServer redis = cluster;
        if (redis == null) {
            throw new IllegalStateException("Redis Cluster for tests not started");
        }
        return List.of("quark.cluster.membership.backend=redis", "quark.redis.key-prefix=" + prefix,
                "spring.data.redis.cluster.nodes=" + String.join(",", redis.nodes()));
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(DataRedisAutoConfiguration.class)
    static class RedisConfiguration {

    }
}
