package dev.quark.redis;

import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.ClusterSlotHashUtil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class RedisSlotTagsTests {

    @Test
    void everySlotHasAShortTagThatPutsAKeyInIt() {
        IntStream.range(0, ClusterSlotHashUtil.SLOT_COUNT).forEach((slot) -> {
            String tag = RedisSlotTags.tagOf(slot);
            assertThat(tag).hasSizeLessThanOrEqualTo(4).doesNotContain("{", "}");
            assertThat(RedisSlotTags.slotOf("quark:{" + tag + "}:outbox-staged")).isEqualTo(slot);
        });
    }

    @Test
    void aKeyWithAHashTagLiesInItsTagsSlot() {
        assertThat(RedisSlotTags.slotOf("quark:events:{Account/alice}"))
            .isEqualTo(RedisSlotTags.slotOf("Account/alice"));
    }

    @Test
    void aSlotOutOfRangeIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> RedisSlotTags.tagOf(16_384))
            .withMessage("A Redis Cluster hash slot is 0 to 16383, was 16384");
    }
}
