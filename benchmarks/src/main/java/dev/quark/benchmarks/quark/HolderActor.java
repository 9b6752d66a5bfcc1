package dev.quark.benchmarks.quark;

import java.util.concurrent.CompletableFuture;

import dev.quark.actor.QuarkActor;
import dev.quark.benchmarks.Completion;

@QuarkActor(name = "bench-holder")
public class HolderActor implements Holder {

    private int value;

    @Override
    public void hold(int value, Completion started) {
        this.value = value;
        started.done();
    }

    @Override
    public CompletableFuture<Void> holdAsync(int value, Completion started) {
        hold(value, started);
        return CompletableFuture.completedFuture(null);
    }
}
