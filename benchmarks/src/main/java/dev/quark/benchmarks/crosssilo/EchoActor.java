package dev.quark.benchmarks.crosssilo;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

import dev.quark.actor.QuarkActor;

/**
 * An echo that counts the calls it serves, so that the workload can check they all reached the silo it runs on. Its
 * actor type is named after its contract, {@code Echo}, the name a silo that does not host it calls it by.
 */
@QuarkActor
public class EchoActor implements Echo {

    private final LongAdder served;

    EchoActor(LongAdder served) {
        this.served = served;
    }

    @Override
    public byte[] echo(byte[] payload) {
        this.served.increment();
        return payload;
    }

    @Override
    public CompletableFuture<byte[]> echoAsync(byte[] payload) {
        return CompletableFuture.completedFuture(echo(payload));
    }
}
