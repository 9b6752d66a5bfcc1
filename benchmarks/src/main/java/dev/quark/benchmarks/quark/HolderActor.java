package dev.quark.benchmarks.quark;

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
}
