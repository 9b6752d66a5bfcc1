package dev.quark.redis;

import java.nio.charset.StandardCharsets;

import org.springframework.data.redis.connection.ClusterSlotHashUtil;

/**
 * A short hash tag for each of Redis Cluster's 16,384 hash slots: a key that carries {@code {tag}} (and no earlier
 * {@code {...}}) lies in the tag's slot. Writes that must share a slot with a key they cannot name (a state's key has
 * no hash tag) put the slot's tag in their own keys, for instance the outbox's staging area beside a state. The table
 * is computed once, on first use, by hashing counter strings ({@code 0}, {@code 1}, … in base 36) until every slot has
 * one: about 160,000 CRC16s, a few milliseconds. The tag of a slot is the first counter string that hashes to it, so
 * it is the same in every process and every version.
 */
public final class RedisSlotTags {

    private RedisSlotTags() {
    }

    /**
     * Returns the hash slot of a key, as Redis Cluster computes it (its hash tag's when it has one).
     * @param key the key
     * @return the slot, 0 to 16,383
     */
    public static int slotOf(String key) {
        return ClusterSlotHashUtil.calculateSlot(key.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Returns the tag of a slot: a short string that hashes to it.
     * @param slot the slot, 0 to 16,383
     * @return the tag, without braces
     * @throws IllegalArgumentException for a slot out of range
     */
    public static String tagOf(int slot) {
        if (slot < 0 || slot >= ClusterSlotHashUtil.SLOT_COUNT) {
            throw new IllegalArgumentException("A Redis Cluster hash slot is 0 to "
                    + (ClusterSlotHashUtil.SLOT_COUNT - 1) + ", was " + slot);
        }
        return Table.TAGS[slot];
    }

    /** Computed on first use of {@link #tagOf}. */
    private static final class Table {

        static final String[] TAGS = compute();

        private static String[] compute() {
            String[] tags = new String[ClusterSlotHashUtil.SLOT_COUNT];
            int missing = tags.length;
            for (long counter = 0; missing > 0; counter++) {
                String tag = Long.toString(counter, Character.MAX_RADIX);
                int slot = slotOf(tag);
                if (tags[slot] == null) {
                    tags[slot] = tag;
                    missing--;
                }
            }
            return tags;
        }
    }
}
