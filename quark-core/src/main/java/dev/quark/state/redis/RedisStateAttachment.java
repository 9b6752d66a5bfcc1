package dev.quark.state.redis;

import java.util.List;

import org.springframework.data.redis.connection.RedisConnectionFactory;

import dev.quark.state.StateWriteAttachment;

/**
 * Redis writes that {@link RedisStateStore} makes in the Lua script of a state's save: after the version check,
 * before the state is written, in one atomic step. The script sees the attachment's keys as the Lua table
 * {@code attached_keys} and its arguments as {@code attached_args}; it checks first and writes afterwards, and returns
 * a message to refuse (nothing is written then, the state neither) or {@code nil} to go on. Scripts are cached by
 * their text, so a kind of attachment keeps its text constant and varies its keys and arguments.
 * <p>
 * The state and the attached keys must live on one Redis: the attachment names the connection factory its keys
 * belong to, and the store refuses one of another factory. On Redis Cluster one script must stay within one slot, and
 * a state's key carries no hash tag: attached writes work on a standalone Redis (or with Sentinel), not on a Cluster,
 * where the store refuses an attachment whose keys lie outside the state's slot before writing anything.
 */
public interface RedisStateAttachment extends StateWriteAttachment {

    /**
     * Returns the Lua that checks and writes.
     * @return the script's text, the same for every attachment of a kind
     */
    String script();

    /**
     * Returns the keys the script touches.
     * @return the keys, {@code attached_keys} in the script
     */
    List<String> keys();

    /**
     * Returns the script's arguments.
     * @return the arguments, {@code attached_args} in the script
     */
    List<String> arguments();

    /**
     * Returns the connection factory of the Redis the keys belong to.
     * @return the connection factory
     */
    RedisConnectionFactory connectionFactory();
}
