package dev.quark.benchmarks.crosssilo;

import java.util.concurrent.CompletableFuture;

import dev.quark.actor.Actor;

/**
 * The actor of the cross-silo workload: it answers with the bytes it was given, in each calling style.
 */
public interface Echo extends Actor {

    /** The blocking style: the caller waits for the bytes to come back. */
    byte[] echo(byte[] payload);

    /** The asynchronous style: the future completes with the bytes. */
    CompletableFuture<byte[]> echoAsync(byte[] payload);
}
