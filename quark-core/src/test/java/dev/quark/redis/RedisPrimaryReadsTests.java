package dev.quark.redis;

import java.time.Duration;

import dev.quark.cluster.membership.redis.RedisMembershipProvider;
import io.lettuce.core.ReadFrom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * A Redis membership table refuses a Lettuce connection factory that reads from replicas, naming the setting; one
 * that reads from the primary, or prefers it, or says nothing, is taken. No connection is made: the factories are
 * not started.
 */
class RedisPrimaryReadsTests {

    @ParameterizedTest
    @ValueSource(strings = { "replica", "replicaPreferred", "any", "anyReplica", "lowestLatency" })
    void aMembershipTableOnAFactoryThatReadsFromReplicasIsRefusedNamingTheSetting(String setting) {
        LettuceConnectionFactory factory = factoryReadingFrom(ReadFrom.valueOf(setting));

        assertThatIllegalArgumentException()
            .isThrownBy(() -> new RedisMembershipProvider(factory, "quark:", "orders", Duration.ofSeconds(30)))
            .withMessageStartingWith("The Redis membership table of cluster 'orders' must read from the Redis primary")
            .withMessageContaining("spring.data.redis.lettuce.read-from")
            .withMessageContaining("reads from " + ReadFrom.valueOf(setting).getClass().getSimpleName()
                .replaceFirst("^ReadFrom", ""));
    }

    @ParameterizedTest
    @ValueSource(strings = { "upstream", "master", "upstreamPreferred" })
    void aFactoryThatReadsFromThePrimaryIsTaken(String setting) {
        LettuceConnectionFactory factory = factoryReadingFrom(ReadFrom.valueOf(setting));

        assertThatCode(() -> new RedisMembershipProvider(factory, "quark:", "orders", Duration.ofSeconds(30)))
            .doesNotThrowAnyException();
    }

    @Test
    void aFactoryWithoutAReadSettingIsTaken() {
        LettuceConnectionFactory factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration());

        assertThatCode(() -> RedisPrimaryReads.require(factory, "The test")).doesNotThrowAnyException();
    }

    private static LettuceConnectionFactory factoryReadingFrom(ReadFrom readFrom) {
        return new LettuceConnectionFactory(new RedisStandaloneConfiguration(),
                LettuceClientConfiguration.builder().readFrom(readFrom).build());
    }
}
