package dev.quark.runtime;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * One call of a contract method as call filters and transports see it: where it goes, which method, with
 * which arguments, and the context it carries.
 */
public interface ActorCall {

    /**
     * Returns the called actor.
     * @return the address
     */
    ActorAddress address();

    /**
     * Returns the called method.
     * @return the method, with its name and id
     */
    MethodDescriptor method();

    /**
     * Returns the arguments.
     * @return an unmodifiable view of the arguments, in order
     */
    List<@Nullable Object> arguments();

    /**
     * Returns the request id: the one the outermost caller opened with
     * {@link dev.quark.actor.RequestContext}, otherwise one derived from the call chain id.
     * @return the request id
     */
    String requestId();

    /**
     * Returns the caller's metadata.
     * @return an immutable map, empty when the caller attached none
     */
    Map<String, String> metadata();

    /**
     * Returns the call chain the call belongs to; nested calls keep their caller's chain.
     * @return the call chain id
     */
    long callChainId();

    /**
     * Returns when the call expires: once this instant has passed, a call still waiting in the mailbox is
     * dropped rather than run.
     * @return the deadline, in epoch milliseconds of the runtime's clock
     */
    long deadlineEpochMillis();
}
