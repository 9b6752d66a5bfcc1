package dev.quark.testkit.server;

import java.util.ArrayList;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The test kit's Redis Cluster: several masters that serve every slot, keys without a hash tag spread over them, and
 * its key clean-up reaches every master.
 */
class RedisClusterTestServerTests {

    @Test
    void keysSpreadOverTheMastersAndAreDeletedFromEachOfThem() {
        RedisClusterTestServer cluster = RedisClusterTestServer.get();
        assertThat(cluster.nodes()).hasSizeGreaterThanOrEqualTo(3);
        String prefix = cluster.uniqueKeyPrefix(RedisClusterTestServerTests.class);
        LettuceConnectionFactory factory = RedisTestConnections.connect(cluster);
        try {
            StringRedisTemplate redis = new StringRedisTemplate(factory);
            for (int i = 0; i < 60; i++) {
                redis.opsForValue().set(prefix + i, "v" + i);
            }
            List<Long> perMaster = new ArrayList<>();
            for (String node : cluster.nodes()) {
                perMaster.add(countKeys(cluster.master(node), prefix));
            }
            assertThat(perMaster.stream().mapToLong(Long::longValue).sum()).isEqualTo(60);
            assertThat(perMaster.stream().filter((count) -> count > 0)).as("keys on several masters: %s", perMaster)
                .hasSizeGreaterThan(1);

            assertThat(cluster.deleteKeys(prefix)).isEqualTo(60);
            assertThat(redis.opsForValue().get(prefix + 7)).isNull();
        }
        finally {
            factory.destroy();
        }
    }

    @Test
    void nodesThatAreNotHostAndPortAreRefusedNamingThem() {
        assertThatIllegalArgumentException().isThrownBy(() -> RedisClusterTestServer.fromNodes("127.0.0.1:7000,redis"))
            .withMessageContaining("'redis'");
        assertThatIllegalArgumentException().isThrownBy(() -> RedisClusterTestServer.fromNodes(" , "))
            .withMessageContaining("host:port");
    }

    private static long countKeys(RedisTestServer master, String prefix) {
        try (RespClient redis = new RespClient(master.host(), master.port(), null)) {
            return (Long) redis.command("EVAL", "return #redis.call('KEYS', ARGV[1])", "0", prefix + "*");
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
