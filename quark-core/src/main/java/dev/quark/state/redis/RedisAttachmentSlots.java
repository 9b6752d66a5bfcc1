package dev.quark.state.redis;


import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quark.redis.RedisClusterSlots;
import dev.quark.redis.RedisSlotTags;

/**
 * Chooses the form of a {@link RedisStateAttachment} a store's script can run beside a key, for {@link RedisStateStore}
 * and the Redis event store: the attachment itself when its keys lie in the key's hash slot (always, on a standalone
 * Redis or with Sentinel), else, on a Redis Cluster, its form {@linkplain RedisStateAttachment#stagedUnder staged}
 * under the hash tag of the key's slot ({@link RedisSlotTags}), prepared ({@link RedisStagedAttachment#beforeWrite()})
 * before the script runs.
 */
public final class RedisAttachmentSlots {

    private static final Logger logger = LoggerFactory.getLogger(RedisAttachmentSlots.class);

    private final RedisClusterSlots slots;

    /**
     * Creates the choice for one store's Redis.
     * @param slots whether that Redis is a Cluster
     */
    public RedisAttachmentSlots(RedisClusterSlots slots) {
        this.slots = slots;
    }

    /**
     * Returns the attachment to run in the script of a key, and prepares it when it is staged.
     * @param key the script's first key (the state's, or the stream's)
     * @param attachment the attachment
     * @param action what the script does, for a refusal: {@code save state Account/a/balance}
     * @param owner whose key {@code key} is, for a refusal: {@code state} or {@code stream}
     * @return the attachment, or its staged form
     * @throws UnsupportedOperationException when the attachment's keys lie in another slot and it cannot be staged
     * there, naming both keys; nothing is written
     * @throws IllegalStateException when the staged form's keys do not hash to the key's slot (a brace in the key
     * prefix moves their hash tag), naming the staged key
     */
    public RedisStateAttachment runnableBeside(String key, RedisStateAttachment attachment, String action,
            String owner) {
        String outside = this.slots.keyOutsideSlotOf(key, attachment.keys());
        if (outside == null) {
            return attachment;
        }
        String tag = RedisSlotTags.tagOf(RedisSlotTags.slotOf(key));
        RedisStagedAttachment staged = attachment.stagedUnder(tag);
        if (staged == null) {
            throw new UnsupportedOperationException("Cannot " + action + " with " + attachment.description()
                    + " on a Redis Cluster: one script writes both, the " + owner + "'s key " + key
                    + " and the attachment's key " + outside + " lie in different hash slots (Redis refuses such a "
                    + "script, CROSSSLOT), and the attachment cannot be staged in the " + owner + "'s slot; keep "
                    + "them on a standalone Redis (or with Sentinel), or on PostgreSQL. Nothing was written");
        }
        String stagedOutside = this.slots.keyOutsideSlotOf(key, staged.keys());
        if (stagedOutside != null) {
            throw new IllegalStateException("Cannot stage " + attachment.description() + " beside " + key
                    + ": the staged key " + stagedOutside + " does not hash to the hash tag {" + tag
                    + "}, as a '{' in the key prefix moves a key's hash tag; use a key prefix without braces. "
                    + "Nothing was written");
        }
        staged.beforeWrite();
        return staged;
    }

    /**
     * Carries a staged attachment's writes on after the write it ran with succeeded; nothing for an attachment
     * written in place. Never throws: the write is committed.
     * @param ran the attachment {@link #runnableBeside} returned
     * @param written what was written, for the log
     */
    public static void afterWrite(RedisStateAttachment ran, String written) {
        if (ran instanceof RedisStagedAttachment staged) {
            try {
                staged.afterWrite();
            }
            catch (RuntimeException ex) {
                logger.warn("{} with {} was written, but carrying the staged writes on failed; they stay staged for "
                        + "their owner to carry on later", written, ran.description(), ex);
            }
        }
    }
}
