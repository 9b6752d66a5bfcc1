package dev.quark.messaging.store.redis;

import java.util.List;
import java.util.function.Consumer;

import org.springframework.data.redis.connection.RedisConnectionFactory;

import dev.quark.state.redis.RedisStagedAttachment;
import dev.quark.state.redis.RedisStateAttachment;

/**
 * Outbox messages appended in the Lua script of a state's save on Redis ({@code RedisStateStore}): after the state's
 * version check, before its write, with the same keys and steps as {@link RedisOutboxStore#append}. On a Redis
 * Cluster, where the state lies in another slot than the outbox, {@linkplain #stagedUnder staged} in the state's slot
 * and moved to the outbox after the save ({@link RedisOutboxStaging}).
 *
 * @param keys the keys of the append
 * @param arguments the arguments of the append
 * @param connectionFactory the outbox store's Redis
 * @param count how many messages
 * @param staging the outbox's staging areas
 * @param afterStagedSave the move after a save that staged the messages, given the area's tag
 */
record RedisOutboxAttachment(List<String> keys, List<String> arguments, RedisConnectionFactory connectionFactory,
        int count, RedisOutboxStaging staging, Consumer<String> afterStagedSave) implements RedisStateAttachment {

    /** The append as the attached part of a save's script, constant for every attachment. */
    static final String SCRIPT = RedisOutboxScripts.APPEND_FUNCTION + """
            local existing = quark_outbox_append(attached_keys, attached_args, 0, 0, (#attached_keys - 2) / 3)
            if existing then
                return 'outbox message ' .. existing .. ' was enqueued already'
            end
            return nil
            """;

    RedisOutboxAttachment {
        keys = List.copyOf(keys);
        arguments = List.copyOf(arguments);
    }

    @Override
    public String script() {
        return SCRIPT;
    }

    @Override
    public String description() {
        return this.count + " outbox message" + ((this.count == 1) ? "" : "s");
    }

    @Override
    public RedisStagedAttachment stagedUnder(String hashTag) {
        return new Staged(this, hashTag, this.staging.areaKeys(hashTag),
                this.staging.stageArguments(this.arguments));
    }

    /**
     * The messages staged in a slot's staging area by the save's script, the area recorded in the index before, and
     * moved to the outbox after.
     */
    private record Staged(RedisOutboxAttachment messages, String tag, List<String> keys,
            List<String> arguments) implements RedisStagedAttachment {

        @Override
        public String script() {
            return RedisOutboxScripts.STAGE;
        }

        @Override
        public RedisConnectionFactory connectionFactory() {
            return this.messages.connectionFactory();
        }

        @Override
        public String description() {
            return this.messages.description() + " staged under {" + this.tag + "}";
        }

        @Override
        public void beforeWrite() {
            this.messages.staging().index(this.tag);
        }

        /**
         * Moves the staged messages; when that fails, records the area in the index again, as far as that works, so
         * that a sweep finds it even when a failover of the outbox's master lost its entry.
         */
        @Override
        public void afterWrite() {
            try {
                this.messages.afterStagedSave().accept(this.tag);
            }
            catch (RuntimeException ex) {
                try {
                    this.messages.staging().index(this.tag);
                }
                catch (RuntimeException indexing) {
                    ex.addSuppressed(indexing);
                }
                throw ex;
            }
        }
    }
}
