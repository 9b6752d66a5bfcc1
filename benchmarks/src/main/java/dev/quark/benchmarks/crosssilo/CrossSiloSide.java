package dev.quark.benchmarks.crosssilo;

import java.util.concurrent.CompletionStage;

/**
 * One side of the cross-silo workload: a caller in one place, an echo in another, on 127.0.0.1.
 */
interface CrossSiloSide extends AutoCloseable {

    /** Makes one call and waits for its answer: the blocking style, from a virtual thread. */
    byte[] call(byte[] payload) throws Exception;

    /** Makes one call: the asynchronous style. */
    CompletionStage<byte[]> callAsync(byte[] payload);

    /** How many calls the far side has answered so far. */
    long served();

    @Override
    void close();
}
