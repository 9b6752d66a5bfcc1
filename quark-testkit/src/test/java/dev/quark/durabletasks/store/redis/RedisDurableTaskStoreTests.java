package dev.quark.durabletasks.store.redis;

import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;

import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.NewInstance;
import dev.quark.durabletasks.store.TaskMessage;
import dev.quark.durabletasks.history.EventRaised;
import dev.quark.testkit.durabletasks.DurableTaskStoreContractTests;
import dev.quark.testkit.server.RedisTestArea;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;

class RedisDurableTaskStoreTests extends DurableTaskStoreContractTests {

    private static LettuceConnectionFactory connectionFactory;

    private static String prefix;

    private static RedisDurableTaskStore store;

    private static StringRedisTemplate redis;

    @AutoClose
    private static RedisTestArea area;

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onServer(RedisDurableTaskStoreTests.class));
    }

    /**
     * Runs the tests in a room on a Redis; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param room the factory and the key prefix, closed after the tests
     */
    static void use(RedisTestArea room) {
        area = room;
        prefix = room.prefix();
        connectionFactory = room.connectionFactory();
        store = new RedisDurableTaskStore(connectionFactory, prefix);
        redis = new StringRedisTemplate(connectionFactory);
    }

    @Override
    protected DurableTaskStore store() {
        return store;
    }

    @Test
    void anInstanceIsAHashWithItsMessagesQueuedByVisibleTimeAllUnderOneHashTag() {
        String id = newInstanceId("layout");
        store.create(new NewInstance(id, "order", "{\"id\":7}", null, NOW, NOW));
        String tagged = prefix + "{durabletasks}:";
        assertThat(store.instanceKey(id)).isEqualTo(tagged + "i:" + id);
        assertThat(redis.opsForHash().entries(tagged + "i:" + id)).containsEntry("name", "order")
            .containsEntry("status", "PENDING")
            .containsEntry("input", "{\"id\":7}")
            .containsEntry("history_length", "0")
            .containsEntry("created_at", NOW.toString());
        assertThat(redis.opsForZSet().score(tagged + "s:PENDING", id)).isZero();
        assertThat(redis.opsForZSet().size(tagged + "m:" + id)).isEqualTo(1);
        assertThat(new TreeSet<>(redis.keys(prefix + "*"))).allSatisfy((key) -> assertThat(key).startsWith(tagged));
    }

    @Test
    void aMessageIsNotVisibleBeforeItsInstantEvenWithinAMicrosecond() {
        String id = newInstanceId("micros");
        store.create(new NewInstance(id, "order", null, null, NOW, NOW));
        Instant at = NOW.plusSeconds(1).plusNanos(500);
        store.send(new TaskMessage(id, TaskMessage.ANY_EXECUTION, new EventRaised(at, "late", null), at));
        assertThat(store.claimInstance(id, nextToken(), at.minusNanos(1)).orElseThrow().messages()).hasSize(1);
        assertThat(store.claimInstance(id, nextToken(), at.plusNanos(500)).orElseThrow().messages()).hasSize(2);
        assertThat(RedisDurableTaskStore.visibleScore(at)).isEqualTo(RedisDurableTaskStore.nowScore(at) + 1);
    }

    @Test
    void aStoreUnderAnotherPrefixSeesNothingOfThisOne() {
        String id = newInstanceId("other-prefix");
        store.create(new NewInstance(id, "order", null, null, NOW, NOW));
        RedisDurableTaskStore other = new RedisDurableTaskStore(connectionFactory, prefix + "other:");
        assertThat(other.instance(id)).isEmpty();
        assertThat(other.dueInstances(NOW, 10_000)).doesNotContain(id);
        assertThat(Set.copyOf(store.dueInstances(NOW, 10_000))).contains(id);
    }
}
