package dev.quark.state.redis;

import java.util.Map;

import dev.quark.state.StateKey;
import dev.quark.state.StateStore;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;
import dev.quark.testkit.state.StateStoreContractTests;
import org.junit.jupiter.api.AfterAll;
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

    private static Runnable deleteKeys;

    @BeforeAll
    static void connect() {
        RedisTestServer server = RedisTestServer.get();
        String keys = server.uniqueKeyPrefix(RedisStateStoreTests.class);
        use(RedisTestConnections.connect(server), keys, () -> server.deleteKeys(keys));
    }

    /**
     * Runs the tests on a connection factory; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param factory the started factory, destroyed after the tests
     * @param keyPrefix the prefix of the tests' keys
     * @param cleanUp deletes the tests' keys after them
     */
    static void use(LettuceConnectionFactory factory, String keyPrefix, Runnable cleanUp) {
        prefix = keyPrefix;
        connectionFactory = factory;
        deleteKeys = cleanUp;
        store = new RedisStateStore(connectionFactory, prefix);
    }

    @AfterAll
    static void disconnect() {
        if (connectionFactory != null) {
            connectionFactory.destroy();
            connectionFactory = null;
        }
        if (deleteKeys != null) {
            deleteKeys.run();
            deleteKeys = null;
        }
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
