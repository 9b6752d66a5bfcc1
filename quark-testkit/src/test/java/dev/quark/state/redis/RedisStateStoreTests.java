package dev.quark.state.redis;

import java.util.Map;

import dev.quark.state.StateKey;
import dev.quark.state.StateStore;
import dev.quark.testkit.server.RedisTestArea;
import dev.quark.testkit.state.StateStoreContractTests;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class RedisStateStoreTests extends StateStoreContractTests {

    private static String prefix;

    private static LettuceConnectionFactory connectionFactory;

    private static RedisStateStore store;

    @AutoClose
    private static RedisTestArea area;

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onServer(RedisStateStoreTests.class));
    }

    /**
     * Runs the tests in a room on a Redis; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param room the factory and the key prefix, closed after the tests
     */
    static void use(RedisTestArea room) {
        area = room;
        prefix = room.prefix();
        connectionFactory = room.connectionFactory();
        store = new RedisStateStore(connectionFactory, prefix);
    }

    @Override
    protected StateStore store() {
        return store;
    }

    @Test
    void eachStateIsOneHashUnderTheDocumentedKey() {
        StateKey key = newKey("profile");
        store.save(key, "{\"name\":\"Ada\"}", 0);
        store.save(key, "{\"name\":\"Grace\"}", 1);
        String redisKey = prefix + "state:" + key.actorType() + ":" + key.actorId() + ":profile";
        assertThat(store.redisKey(key)).isEqualTo(redisKey);
        Map<Object, Object> hash = new StringRedisTemplate(connectionFactory).opsForHash().entries(redisKey);
        assertThat(hash).containsOnly(Map.entry("version", "2"), Map.entry("payload", "{\"name\":\"Grace\"}"));
    }

    @Test
    void aHashThatIsNotAStateIsReportedRatherThanReadAsEmpty() {
        StateKey key = newKey("foreign");
        new StringRedisTemplate(connectionFactory).opsForHash().put(store.redisKey(key), "payload", "{}");
        assertThatIllegalStateException().isThrownBy(() -> store.load(key))
            .withMessageContaining(store.redisKey(key))
            .withMessageContaining("'version'");
    }
}
