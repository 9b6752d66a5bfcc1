package dev.quark.actor;

/**
 * Marker for actor contracts. A contract is an interface that extends {@code Actor}; its methods are the
 * messages an actor accepts.
 * <p>
 * A contract method may return:
 * <ul>
 * <li>{@code void} or any value type {@code T}: the caller waits until the turn completes (cheap on virtual
 * threads);</li>
 * <li>{@link java.util.concurrent.CompletableFuture} or {@link java.util.concurrent.CompletionStage}: the call
 * is asynchronous and the future completes with the turn's result.</li>
 * </ul>
 * A {@code void} method annotated {@link OneWay} does not wait at all. Other asynchronous or lazy types
 * ({@code Future}, streams, iterators, reactive publishers) are rejected when the runtime starts.
 *
 * @see QuarkActor
 * @see ActorRefFactory
 */
public interface Actor {
}
