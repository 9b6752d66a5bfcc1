package dev.quark.runtime.internal;

/**
 * How a contract method hands its result to the caller.
 */
public enum ReturnKind {

    /** A value (or {@code void}); the caller waits for the turn. */
    SYNCHRONOUS,

    /** {@code void} with {@link dev.quark.actor.OneWay}; the caller does not wait. */
    ONE_WAY,

    /** {@link java.util.concurrent.CompletableFuture} or {@link java.util.concurrent.CompletionStage}. */
    ASYNCHRONOUS
}
