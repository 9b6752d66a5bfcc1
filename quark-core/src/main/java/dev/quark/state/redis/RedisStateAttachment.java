package dev.quark.state.redis;

import java.util.List;

import org.jspecify.annotations.Nullable;
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
 * belong to, and the store refuses one of another factory. On a Redis Cluster one script must stay within one slot,
 * and a state's key carries no hash tag: when the attachment's keys lie in another slot than the state's, the store
 * asks for the attachment {@linkplain #stagedUnder staged} in the state's slot (keys carrying the slot's hash tag,
 * {@code RedisSlotTags}) and runs that form, whose owner carries the writes on after the save
 * ({@link RedisStagedAttachment}); an attachment that cannot be staged is refused before anything is written. On a
 * standalone Redis (or with Sentinel) the attachment's own keys are written in the save's script.
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

    /**
     * Returns these writes staged in a Redis Cluster hash slot, for a save whose state lies in another slot than the
     * attachment's keys: keys that carry the slot's hash tag, written in the save's script, and the step that carries
     * them on after the save.
     * @param hashTag the tag of the state's slot, without braces, to put in every staged key as {@code {hashTag}}
     * @return the staged form, or {@code null} (the default) when these writes cannot be staged: the store refuses the
     * save then, before anything is written
     */
    default @Nullable RedisStagedAttachment stagedUnder(String hashTag) {
        return null;
    }
}
