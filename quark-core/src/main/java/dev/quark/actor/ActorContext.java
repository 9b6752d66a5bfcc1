package dev.quark.actor;

import java.util.Map;

/**
 * What a turn knows about the call it is serving: which actor runs it, the request it belongs to and the
 * metadata the caller attached.
 * <p>
 * The request id and metadata of the call being served flow into every actor call the turn makes, so a
 * request can be followed through a graph of actors. Every call started outside an actor begins a new call
 * chain; nested calls keep their chain id.
 *
 * @see RequestContext
 */
public interface ActorContext {

    /**
     * Returns the id of the actor serving the call.
     * @return the actor id
     */
    String actorId();

    /**
     * Returns the request id: the one the outermost caller opened with {@link RequestContext}, otherwise
     * one derived from the call chain id.
     * @return the request id, never blank
     */
    String requestId();

    /**
     * Returns the caller's metadata, propagated unchanged through nested calls.
     * @return an immutable map, empty when the caller attached none
     */
    Map<String, String> metadata();

    /**
     * Returns the id of the call chain this call belongs to. A top-level call starts a chain; calls made by
     * actors while serving it carry the same id.
     * @return the call chain id
     */
    long callChainId();
}
