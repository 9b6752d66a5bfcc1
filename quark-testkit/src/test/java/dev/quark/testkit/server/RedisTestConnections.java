package dev.quark.testkit.server;

import java.time.Duration;

import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;

import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The Lettuce connection factory the Redis backends' tests connect with: the test server's address and password, a
 * 10-second command timeout, started. The caller destroys it.
 */
public final class RedisTestConnections {

    private RedisTestConnections() {
    }

    /**
     * Connects to a test server.
     * @param server the server
     * @return a started connection factory
     */
    public static LettuceConnectionFactory connect(RedisTestServer server) {
        RedisStandaloneConfiguration configuration = new RedisStandaloneConfiguration(server.host(), server.port());
        if (server.password() != null) {
            configuration.setPassword(server.password());
        }
        LettuceConnectionFactory factory = new LettuceConnectionFactory(configuration,
                LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(10)).build());
        factory.afterPropertiesSet();
        factory.start();
        return factory;
    }

    /**
     * Connects to a test Redis Cluster: its masters as the seed nodes, the same command timeout, the topology refreshed
     * as Lettuce's adaptive triggers (a MOVED or ASK redirection, a lost node) tell.
     * @param cluster the cluster
     * @return a started connection factory
     */
    public static LettuceConnectionFactory connect(RedisClusterTestServer cluster) {
        RedisClusterConfiguration configuration = new RedisClusterConfiguration(cluster.nodes());
        ClusterClientOptions options = ClusterClientOptions.builder()
            .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder().enableAllAdaptiveRefreshTriggers().build())
            .build();
        LettuceConnectionFactory factory = new LettuceConnectionFactory(configuration,
                LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(10)).clientOptions(options).build());
        factory.afterPropertiesSet();
        factory.start();
        return factory;
    }
}
