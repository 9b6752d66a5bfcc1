package dev.quark.messaging.store.redis;

import java.util.List;

import org.springframework.data.redis.connection.RedisConnectionFactory;

import dev.quark.state.redis.RedisStateAttachment;

/**
 * Outbox messages appended in the Lua script of a state's save on Redis ({@code RedisStateStore}): after the state's
 * version check, before its write, with the same keys and steps as {@link RedisOutboxStore#append}.
 *
 * @param keys the keys of the append
 * @param arguments the arguments of the append
 * @param connectionFactory the outbox store's Redis
 * @param count how many messages
 */
record RedisOutboxAttachment(List<String> keys, List<String> arguments, RedisConnectionFactory connectionFactory,
        int count) implements RedisStateAttachment {

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
}
