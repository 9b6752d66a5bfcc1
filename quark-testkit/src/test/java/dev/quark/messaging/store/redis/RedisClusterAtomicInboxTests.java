package dev.quark.messaging.store.redis;

import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.quark.testkit.server.RedisTestArea;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The Redis inbox with its handlers' writes on a Redis Cluster of three masters: keys in the inbox's slot are written
 * with the record, a key outside it is refused before anything is written.
 */
class RedisClusterAtomicInboxTests extends RedisAtomicInboxTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterAtomicInboxTests.class));
    }

    @Test
    void aKeyOutsideTheInboxSlotIsRefusedNamingItAndNothingIsWritten() {
        String consumer = consumer("slots");
        String inside = key("inside");
        String outside = area.prefix() + "account:" + UUID.randomUUID();
        assertThatIllegalArgumentException()
            .isThrownBy(() -> inbox.process(consumer, "m-1", (writes) -> writes.set(inside, "1").set(outside, "2")))
            .withMessageContaining("'" + outside + "'")
            .withMessageContaining("{inbox}");
        assertThat(redis.hasKey(inside)).isFalse();
        assertThat(store.contains(consumer, "m-1")).isFalse();
    }
}
